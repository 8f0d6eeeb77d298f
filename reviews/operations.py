"""What the operations page shows: the beat schedule's next runs and the reminders to come."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef
from django.utils.translation import gettext as _

from reviews import announce, cadence
from reviews.models import AlignmentCheck, CadenceSettings, ReviewCycle
from strategy.languages import company_locale
from strategy.prepared import prepared

LOOK_AHEAD_DAYS = 14


def schedule_overview(*, now: datetime) -> list[dict]:
    rows = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        # From a "last run" of now, the next run after now (measured from now, not from the
        # clock Celery would read a moment later).
        start, delta, _ = schedule.remaining_delta(now)
        next_run = start + delta
        rows.append(
            {"name": name, "task": entry["task"], "cron": _cron(schedule), "next_run": next_run}
        )
    return sorted(rows, key=lambda r: r["next_run"])


def _cron(schedule) -> str:
    """A crontab schedule in the five-field notation admins know."""
    fields = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
    return " ".join(str(getattr(schedule, f"_orig_{f}", "?")) for f in fields)


def upcoming_reminders(*, now: datetime, config: CadenceSettings) -> list[dict]:
    """Reminder steps falling due in the next two weeks, per running quarterly review, and
    the planned reviews opening in them: in two queries, whatever the number of reviews,
    teams and deliveries (the reviews with their late heads counted, and the steps already
    sent)."""
    today = cadence.local_day(
        now, zoneinfo.ZoneInfo(company_locale()[1]), from_hour=config.reminder_hour
    )
    last_day = today + timedelta(days=LOOK_AHEAD_DAYS)
    kind, states = str(ReviewCycle.Kind.QUARTERLY), [str(s) for s in RUNNING]
    sent: dict[int, set[str]] = {}
    for pk, step in _sent_steps(kind=kind, states=states):
        sent.setdefault(pk, set()).add(step)
    rows = []
    for pk, year, quarter, state, opens_on, due_on, heads in _cycles(
        kind=kind, states=[*states, str(ReviewCycle.State.PLANNED)]
    ):
        cycle = ReviewCycle(
            pk=pk,
            kind=kind,
            fiscal_year=year,
            quarter=quarter,
            state=state,
            opens_on=opens_on,
            due_on=due_on,
        )
        if state == ReviewCycle.State.PLANNED:
            if today <= opens_on <= last_day:
                rows.append(
                    {
                        "cycle": cycle,
                        "day": opens_on,
                        "what": _("opens; heads are told"),
                        "recipients": None,
                    }
                )
            continue
        rows.extend(_reminders(cycle, today, config, seen=sent.get(pk, set()), recipients=heads))
    return sorted(rows, key=lambda r: r["day"])


def _reminders(cycle, today, config, *, seen: set[str], recipients: int) -> list[dict]:
    """The steps a running review's reminders reach in the next two weeks, each on the first
    day it is due, but those sent already."""
    rows, last = [], None
    days_before = config.reminder_days()
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        step = cadence.reminder_step(
            day,
            cycle.due_on,
            days_before=days_before,
            overdue_every=config.overdue_reminder_every_days,
        )
        if step and step != last and step not in seen:
            rows.append(
                {
                    "cycle": cycle,
                    "day": day,
                    # Translators: step is a reminder's code ("before-7").
                    "what": _("reminder (%(step)s)") % {"step": step},
                    "recipients": recipients,
                }
            )
        last = step
    return rows


RUNNING = (ReviewCycle.State.OPEN, ReviewCycle.State.IN_REVIEW)


@prepared
def _cycles(*, kind, states):
    """The reviews of `kind` in `states`, each with how many heads its late teams have (the
    teams whose check is not in; the reminders go to them)."""
    late = (
        AlignmentCheck.objects.filter(cycle_id=OuterRef(OuterRef("pk")))
        .exclude(state=AlignmentCheck.State.SUBMITTED)
        .values("unit_id")
    )
    return (
        ReviewCycle.objects.filter(kind=kind, state__in=states)
        .annotate(heads=announce.heads_count_of(late))
        .values_list("pk", "fiscal_year", "quarter", "state", "opens_on", "due_on", "heads")
    )


@prepared
def _sent_steps(*, kind, states):
    """The steps of the deliveries about each review of `kind` in `states`, each once."""
    return (
        ReviewCycle.objects.filter(kind=kind, state__in=states, deliveries__isnull=False)
        .order_by()
        .values_list("pk", "deliveries__step")
        .distinct()
    )
