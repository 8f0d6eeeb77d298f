"""Personal access tokens in the Django admin: administrators see every token (never its
secret, which is kept nowhere) and revoke them."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from api import services
from api.models import AccessToken
from strategy import roles


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "scope", "created_at", "expires_at", "last_used_at",
                    "revoked_at"]  # fmt: skip
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter), "expires_at"]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "scope", "prefix", "created_at", "expires_at",
                       "last_used_at", "revoked_at", "revoked_by"]  # fmt: skip
    fields = readonly_fields
    actions = ["revoke"]

    # The Admin role (strategy.roles.is_admin), as for the Operations page: no permission rows.
    def has_module_permission(self, request) -> bool:
        return roles.is_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.is_admin(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        # Only to revoke: every field is read-only.
        return roles.is_admin(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # a token is made by its user, who alone sees its secret

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, not deleted: it stays on record with who revoked it

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        revoked = sum(services.token_revoke(token=t, by=request.user) for t in queryset)
        self.message_user(
            request,
            ngettext("%(count)s token revoked.", "%(count)s tokens revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
