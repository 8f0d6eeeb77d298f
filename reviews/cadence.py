"""When things are due: pure functions over dates and the cadence settings' plain values.

Beat runs in UTC every few minutes; these functions turn "now" into the organisation's local
date and say which step of which schedule is due, so that each run decides from the data alone
and a run after an outage catches up with the latest step instead of replaying every one.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from reviews.models import quarter_end


def local_day(now: datetime, tz: zoneinfo.ZoneInfo, *, from_hour: int = 0) -> date:
    """The local date whose steps are due at `now`: a day's steps become due at `from_hour`."""
    local = now.astimezone(tz)
    day = local.date()
    return day if local.hour >= from_hour else day - timedelta(days=1)


def quarter_opening(
    fiscal_year: int, quarter: int, *, open_days: int, due_days: int, first_month: int | None = None
):
    """(opens_on, due_on) of the review of a quarter; `first_month` (the month fiscal years
    start in) when already read, else the company's calendar is read."""
    quarter_last = quarter_end(fiscal_year, quarter, first_month=first_month)
    opens_on = quarter_last + timedelta(days=open_days)
    return opens_on, opens_on + timedelta(days=due_days)


def reminder_step(
    today: date, due_on: date, *, days_before: list[int], overdue_every: int
) -> str | None:
    """The reminder step due on `today` for a check due on `due_on`, or None.

    Before the due date: "before-N" for the smallest N with today >= due_on - N (so a late run
    sends the latest step only). After it: "overdue-K" every `overdue_every` days, K being
    whole days overdue rounded down to a multiple of `overdue_every`.
    """
    if today <= due_on:
        reached = [n for n in days_before if today >= due_on - timedelta(days=n)]
        return f"before-{min(reached)}" if reached else None
    overdue = (today - due_on).days
    if overdue < overdue_every:
        return None
    return f"overdue-{overdue // overdue_every * overdue_every}"


def escalation_due(today: date, due_on: date, *, after_days: int) -> bool:
    return (today - due_on).days >= after_days


def refresh_date(next_year_start: date, *, month: int, day: int) -> date:
    """The day the annual refresh of the fiscal year starting `next_year_start` begins: the
    last (month, day) before that start."""
    candidate = date(next_year_start.year, month, day)
    if candidate >= next_year_start:
        candidate = date(next_year_start.year - 1, month, day)
    return candidate


def refresh_reminder_step(today: date, started_on: date, *, every: int) -> str | None:
    """Executives are reminded of an unfinished refresh every `every` days after it started."""
    days = (today - started_on).days
    if days < every:
        return None
    return f"week-{days // every}"
