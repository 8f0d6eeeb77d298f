from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from alignment import roles


def user_roles(request: HttpRequest) -> dict:
    user = request.user

    def build() -> dict:
        return {
            "is_executive": roles.is_executive(user),
            "is_admin": roles.is_admin(user),
            "is_head": roles.is_head(user),
        }

    def unread() -> int:
        if not user.is_authenticated:
            return 0
        return user.notifications.filter(read_at__isnull=True).count()

    return {
        "role": SimpleLazyObject(build),
        "unread_count": SimpleLazyObject(unread),
        "company_name": settings.COMPANY_NAME,
    }
