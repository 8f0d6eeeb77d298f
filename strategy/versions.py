"""The version of what the strategy pages show, which the parts they cache are keyed on.

Every write to a table those pages read (`INPUTS`, and a person's name) moves
`ContentVersion.number` on: database triggers do it in the writer's transaction, whatever wrote
it, a save, a QuerySet.update or a bulk write (migration alignment 0011); on PostgreSQL once per
transaction, as it commits, so that no writer waits for another's open transaction on the
version's row (migration 0013). A page
reads the number with one small query and looks its cached parts up under it: a part computed
before a write is never read after its commit, in any process, and a part computed from data
newer than its version only shows that newer data a little sooner.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Subquery
from django.utils import timezone

from strategy.models import (
    Commitment,
    CompanySettings,
    Competitor,
    ContentTranslation,
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

# What the cached parts are made of: the tables the triggers watch (tests hold the two lists
# together). Acknowledgements are not: who has read the strategy is shown beside the cached
# parts, never in them.
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
    ContentTranslation,
)


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
