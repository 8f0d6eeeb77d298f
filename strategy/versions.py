"""The version of what the strategy pages show, which the parts they cache are keyed on.

Every save or deletion of a row those pages read moves `ContentVersion.number` on, in the
writer's transaction (the receivers below, connected in `StrategyConfig.ready`; writes in bulk
call `bump()` themselves). A page reads the number with one small query and looks its cached
parts up under it: a part computed before a save is never read after it, in any process, and
a part computed from data newer than its version only shows that newer data a little longer.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import F, Subquery
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from strategy.models import (
    Commitment,
    CompanySettings,
    Competitor,
    ContentVersion,
    CustomerPriority,
    ExchangeRate,
    Measure,
    MeasureActual,
    MeasurePlanPoint,
    Membership,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Unit,
    time_zone_or_default,
)
from strategy.prepared import prepared
from strategy.signals import organisation_imported

# What the cached parts are made of. Acknowledgements are not: who has read the strategy is
# shown beside the cached parts, never in them.
INPUTS = (
    CompanySettings,
    ExchangeRate,
    StrategicPosition,
    PositioningTheme,
    CustomerPriority,
    Competitor,
    Objective,
    Measure,
    MeasurePlanPoint,
    MeasureActual,
    Unit,
    Membership,
    Commitment,
)
# A person's name shows on those pages; a login saves last_login alone, which changes nothing.
USER_FIELDS_SHOWN = {"username", "first_name", "last_name", "is_active"}


@prepared
def _read(*, pk, company):
    time_zone = CompanySettings.objects.filter(pk=company).values("time_zone")[:1]
    return ContentVersion.objects.filter(pk=pk).values_list("number", Subquery(time_zone))


def current() -> int:
    """The version now: one indexed read of one row."""
    rows = _read(pk=1, company=1)
    return rows[0][0] if rows else 0


def page_key(*, now: datetime | None = None) -> str:
    """The version and the company's today (what a part that shows dates or periods due also
    changes with), from one query: the key of a cached part of a page."""
    rows = _read(pk=1, company=1)
    number, time_zone = rows[0] if rows else (0, None)
    today = timezone.localdate(now or timezone.now(), time_zone_or_default(time_zone))
    return f"{number}-{today.isoformat()}"


def bump() -> None:
    """Move the version on (a write in bulk that sends no save signal calls this itself)."""
    if not ContentVersion.objects.filter(pk=1).update(number=F("number") + 1):
        ContentVersion.objects.get_or_create(pk=1, defaults={"number": 1})


def input_changed(sender, **kwargs) -> None:
    bump()


def user_changed(sender, *, update_fields=None, **kwargs) -> None:
    if update_fields is None or USER_FIELDS_SHOWN & set(update_fields):
        bump()


def connect() -> None:
    for model in INPUTS:
        uid = f"content-version-{model.__name__}"
        post_save.connect(input_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(input_changed, sender=model, dispatch_uid=f"{uid}-delete")
    user = get_user_model()
    post_save.connect(user_changed, sender=user, dispatch_uid="content-version-user")
    post_delete.connect(input_changed, sender=user, dispatch_uid="content-version-user-delete")
    # An admin import writes units, people and memberships in bulk, without a save per row.
    organisation_imported.connect(input_changed, dispatch_uid="content-version-import")
