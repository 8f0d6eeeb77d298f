from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from strategy import roles
from strategy.models import CompanySettings


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
        # The company's name, as executives set it (empty until they do); read when shown.
        "company_name": SimpleLazyObject(lambda: CompanySettings.read().name),
    }
