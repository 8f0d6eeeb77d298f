from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Subquery
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject, cached_property

from strategy import roles
from strategy.models import CompanySettings


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
        row = None
        if user.is_authenticated:
            name = CompanySettings.objects.filter(pk=1).values("name")[:1]
            row = (
                get_user_model()
                .objects.filter(pk=user.pk)
                .values(
                    company=Subquery(name),
                    unread=Count("notifications", filter=Q(notifications__read_at__isnull=True)),
                )
                .first()
            )
        if row is None:
            header.update(company=CompanySettings.read().name, unread=0)
        else:
            company = row["company"]
            if company is None:  # no row yet: the defaults, as CompanySettings.read() has them
                company = CompanySettings.read().name
            header.update(company=company, unread=row["unread"])
        return header

    return {
        "role": Role(),
        "unread_count": SimpleLazyObject(lambda: read_header()["unread"]),
        # Read when shown.
        "company_name": SimpleLazyObject(lambda: read_header()["company"]),
    }
