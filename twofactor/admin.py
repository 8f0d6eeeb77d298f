from django.contrib import admin

from twofactor.models import FactorEvent


@admin.register(FactorEvent)
class FactorEventAdmin(admin.ModelAdmin):
    """The second factors' history: read only, as it happened."""

    list_display = ["at", "user", "kind", "by", "address"]
    list_filter = ["kind"]
    search_fields = ["user__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
