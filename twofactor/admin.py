from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from twofactor.models import FactorEvent

# django-otp's own pages would show each device's key and recovery codes to whoever runs the
# admin: people set up their factor themselves, and the user list's reset action removes it.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


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
