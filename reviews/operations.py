"""What the operations page shows: the beat schedule's next runs and the reminders to come."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from reviews import announce, cadence
from reviews.models import AlignmentCheck, CadenceSettings, ReviewCycle
from strategy.models import company_tzinfo

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
    """Reminder steps falling due in the next two weeks, per running quarterly review."""
    rows = []
    today = cadence.local_day(now, company_tzinfo(), from_hour=config.reminder_hour)
    cycles = (
        ReviewCycle.objects.quarterly()
        .filter(
            state__in=[
                ReviewCycle.State.OPEN,
                ReviewCycle.State.IN_REVIEW,
                ReviewCycle.State.PLANNED,
            ]
        )
        .defer("snapshot")  # dates and labels only
    )
    for cycle in cycles:
        # The heads of the teams whose check is not in: counted by the database, which a
        # review of many teams otherwise sends every team and head to this page.
        late = cycle.checks.exclude(state=AlignmentCheck.State.SUBMITTED).values("unit_id")
        recipients = (
            announce.heads_count(late) if cycle.state != ReviewCycle.State.PLANNED else None
        )
        seen = set(cycle.deliveries.values_list("step", flat=True).distinct())
        last = None
        for offset in range(LOOK_AHEAD_DAYS + 1):
            day = today + timedelta(days=offset)
            if cycle.state == ReviewCycle.State.PLANNED:
                if day == cycle.opens_on:
                    rows.append(
                        {
                            "cycle": cycle,
                            "day": day,
                            "what": _("opens; heads are told"),
                            "recipients": None,
                        }
                    )
                continue
            step = cadence.reminder_step(
                day,
                cycle.due_on,
                days_before=config.reminder_days(),
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
    return sorted(rows, key=lambda r: r["day"])
