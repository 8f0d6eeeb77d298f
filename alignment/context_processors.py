from functools import cached_property

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from strategy import roles
from strategy.models import CompanySettings


class _Roles:
    """The user's roles, each worked out when a template first asks for it: the header needs
    only is_admin, and is_head costs a query of its own."""

    def __init__(self, user):
        self._user = user

    @cached_property
    def is_executive(self) -> bool:
        return roles.is_executive(self._user)

    @cached_property
    def is_admin(self) -> bool:
        return roles.is_admin(self._user)

    @cached_property
    def is_head(self) -> bool:
        return roles.is_head(self._user)


def user_roles(request: HttpRequest) -> dict:
    user = request.user

    def unread() -> int:
        if not user.is_authenticated:
            return 0
        return user.notifications.filter(read_at__isnull=True).count()

    return {
        "role": _Roles(user),
        "unread_count": SimpleLazyObject(unread),
        # The company's name, as executives set it (empty until they do); read when shown.
        "company_name": SimpleLazyObject(lambda: CompanySettings.read().name),
    }
