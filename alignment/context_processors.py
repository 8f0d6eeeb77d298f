from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Subquery
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject, cached_property

from strategy import roles
from strategy.models import CompanySettings
from strategy.prepared import prepared


@prepared
def _header(*, user):
    name = CompanySettings.objects.filter(pk=1).values("name")[:1]
    return (
        get_user_model()
        .objects.filter(pk=user)
        .annotate(
            company=Subquery(name),
            unread=Count("notifications", filter=Q(notifications__read_at__isnull=True)),
        )
        .order_by("pk")
        .values_list("company", "unread")[:1]
    )


def user_roles(request: HttpRequest) -> dict:
    user = request.user
    header: dict = {}

    class Role:
        # Each answer read when a template asks for it: whether the user heads a team costs a
        # query that most pages never need.
        is_executive = cached_property(lambda self: roles.is_executive(user))
        is_admin = cached_property(lambda self: roles.is_admin(user))
        is_head = cached_property(lambda self: roles.is_head(user))

    def read_header() -> dict:
        """What every page's header shows: the company's name, as executives set it (empty
        until they do), and a signed-in user's unread notifications; one query for both."""
        if header:
            return header
        found = _header(user=user.pk) if user.is_authenticated else []
        if not found:
            header.update(company=CompanySettings.read().name, unread=0)
        else:
            ((company, unread),) = found
            if company is None:  # no row yet: the defaults, as CompanySettings.read() has them
                company = CompanySettings.read().name
            header.update(company=company, unread=unread)
        return header

    return {
        "role": Role(),
        "unread_count": SimpleLazyObject(lambda: read_header()["unread"]),
        # Read when shown.
        "company_name": SimpleLazyObject(lambda: read_header()["company"]),
        # The footer's switch names each language in itself, whatever the page's language.
        "language_choices": settings.LANGUAGES,
    }
