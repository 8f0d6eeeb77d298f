"""What the cadence tasks do: each run decides from the database what is due, and does it.

Every function takes `now`, is safe to run twice or concurrently (unique rows and conditional
updates decide who does what), and returns a small count for the task's log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reviews import announce, cadence, services
from reviews.models import AlignmentCheck, CadenceSettings, ReviewCycle
from strategy import services as strategy
from strategy.models import (
    StrategicPosition,
    Unit,
    company_tzinfo,
    fiscal_year_of,
    fiscal_year_start,
)

RUNNING = [ReviewCycle.State.OPEN, ReviewCycle.State.IN_REVIEW]
PLAN_AHEAD = timedelta(days=31)


def _today(now: datetime, config: CadenceSettings, *, at_reminder_hour: bool = False):
    hour = config.reminder_hour if at_reminder_hour else 0
    return cadence.local_day(now, company_tzinfo(), from_hour=hour)


# --- Opening ---------------------------------------------------------------------------------


def plan_cycles(*, now: datetime, config: CadenceSettings | None = None) -> int:
    """Plan the quarterly reviews opening within a month that are not past due."""
    config = config or CadenceSettings.load()
    today = _today(now, config)
    planned = 0
    this_year = fiscal_year_of(today)
    for year in (this_year - 1, this_year):
        for quarter in (1, 2, 3, 4):
            opens_on, due_on = cadence.quarter_opening(
                year,
                quarter,
                open_days=config.open_days_after_quarter_end,
                due_days=config.due_days_after_opening,
            )
            if due_on < today or opens_on > today + PLAN_AHEAD:
                continue
            planned_cycle = ReviewCycle(
                fiscal_year=year, quarter=quarter, opens_on=opens_on, due_on=due_on
            )
            if planned_cycle.date_errors(config=config):
                continue  # settings that leave their own window (saved outside the form)
            position = (
                StrategicPosition.objects.published()
                .filter(fiscal_year__lte=year)
                .order_by("-fiscal_year")
                .first()
            )
            if position is None:
                continue
            _cycle, created = ReviewCycle.objects.get_or_create(
                kind=ReviewCycle.Kind.QUARTERLY,
                fiscal_year=year,
                quarter=quarter,
                defaults={"position": position, "opens_on": opens_on, "due_on": due_on},
            )
            planned += created
    return planned


DATE_SETTINGS = {
    "open_days_after_quarter_end",
    "due_days_after_opening",
}


def replan_cycles(*, config: CadenceSettings, previous: CadenceSettings | None = None) -> int:
    """After the settings change, move the dates of the quarterly reviews not opened yet.

    A review whose dates an executive chose by hand (they differ from what the previous
    settings gave) keeps them.
    """
    moved = 0
    for cycle in ReviewCycle.objects.quarterly().filter(state=ReviewCycle.State.PLANNED):
        if previous is not None:
            planned = cadence.quarter_opening(
                cycle.fiscal_year,
                cycle.quarter,
                open_days=previous.open_days_after_quarter_end,
                due_days=previous.due_days_after_opening,
            )
            if (cycle.opens_on, cycle.due_on) != planned:
                continue
        opens_on, due_on = cadence.quarter_opening(
            cycle.fiscal_year,
            cycle.quarter,
            open_days=config.open_days_after_quarter_end,
            due_days=config.due_days_after_opening,
        )
        if (cycle.opens_on, cycle.due_on) != (opens_on, due_on):
            cycle.opens_on, cycle.due_on = opens_on, due_on
            cycle.save(update_fields=["opens_on", "due_on"])
            moved += 1
    return moved


def replan_for_calendar(*, previous_month: int, month: int) -> int:
    """After the month fiscal years start in changed, move the quarterly reviews not opened yet
    to the new quarters' dates. A review whose dates an executive chose by hand (they differ
    from what the previous calendar gave) keeps them; returns how many moved."""
    config = CadenceSettings.load()
    days = {
        "open_days": config.open_days_after_quarter_end,
        "due_days": config.due_days_after_opening,
    }
    moved = []
    for cycle in ReviewCycle.objects.quarterly().filter(state=ReviewCycle.State.PLANNED):
        planned = cadence.quarter_opening(
            cycle.fiscal_year, cycle.quarter, first_month=previous_month, **days
        )
        if (cycle.opens_on, cycle.due_on) != planned:
            continue
        opens_on, due_on = cadence.quarter_opening(
            cycle.fiscal_year, cycle.quarter, first_month=month, **days
        )
        if (cycle.opens_on, cycle.due_on) != (opens_on, due_on):
            cycle.opens_on, cycle.due_on = opens_on, due_on
            cycle.save(update_fields=["opens_on", "due_on"])
            moved.append(cycle)
    return len(moved)


def open_due_cycles(*, now: datetime) -> int:
    """Plan upcoming quarterly reviews and open those whose opening date has come."""
    config = CadenceSettings.load()
    plan_cycles(now=now, config=config)
    today = _today(now, config)
    opened = 0
    due = ReviewCycle.objects.quarterly().filter(
        state=ReviewCycle.State.PLANNED, opens_on__lte=today
    )
    for cycle in due:
        # A review whose dates leave the window (a typo such as 0001-01-01) stays planned: its
        # page says why, rather than every team being mailed at once.
        if not cycle.open_refusal(today=today, config=config):
            opened += cycle_open_and_notify(cycle=cycle, now=now)
    return opened


@transaction.atomic
def cycle_open_and_notify(*, cycle: ReviewCycle, now: datetime) -> int:
    """Open a cycle and tell each team's heads that their check is open. 1 if it opened."""
    if not services.cycle_open(cycle=cycle, now=now) and not cycle.checks.exists():
        return 0
    cycle.refresh_from_db()
    checks = dict(cycle.checks.values_list("unit_id", "pk"))
    notes = {}

    def opened():
        return _("Your alignment check for %(cycle)s is open, due %(due)s") % {
            "cycle": cycle.label,
            "due": _due(cycle),
        }

    for user_id, unit_ids in announce.heads_of(checks).items():
        link = (
            reverse("reviews:check-edit", args=[checks[unit_ids[0]]])
            if len(unit_ids) == 1
            else reverse("home")
        )
        notes[user_id] = announce.Note(opened, link)
    teams = _team_notes(
        checks,
        # Translators: team is a team's name, cycle a review's, due a date.
        lambda: (
            _("The %(team)s check for %(cycle)s is open, due %(due)s")
            % {"team": TEAM, "cycle": cycle.label, "due": _due(cycle)}
        ),
    )
    created = announce.deliveries_create(
        cycle=cycle, kind=announce.Kind.CHECK_OPENED, step="", notes=notes, now=now, teams=teams
    )
    return 1 if created or notes else 0


TEAM = "{team}"  # where a team's name goes in the title of its chat message


def _due(cycle: ReviewCycle) -> str:
    """A cycle's due date as the active language writes a date ("19 Apr 2026")."""
    return formats.date_format(cycle.due_on, "DATE_FORMAT")


def _team_notes(checks: dict[int, int], title: Callable[[], str]) -> dict[int, announce.Note]:
    """What each team's chat channel is told (unit id → note): `title` (written in the
    channel's language) with the team's name for TEAM, and the link to its check (`checks`:
    unit id → check id)."""
    names = dict(Unit.objects.filter(pk__in=checks).values_list("pk", "name"))
    return {
        unit_id: announce.Note(
            lambda name=names[unit_id]: title().replace(TEAM, name),
            reverse("reviews:check-edit", args=[pk]),
        )
        for unit_id, pk in checks.items()
        if unit_id in names
    }


# --- Reminders and escalation ----------------------------------------------------------------


def send_due_reminders(*, now: datetime) -> int:
    """Remind heads of unsubmitted checks at each step, and executives of an open refresh."""
    config = CadenceSettings.load()
    today = _today(now, config, at_reminder_hour=True)
    created = 0
    for cycle in ReviewCycle.objects.quarterly().filter(state__in=RUNNING):
        step = cadence.reminder_step(
            today,
            cycle.due_on,
            days_before=config.reminder_days(),
            overdue_every=config.overdue_reminder_every_days,
        )
        if step is None:
            continue
        late = dict(
            cycle.checks.exclude(state=AlignmentCheck.State.SUBMITTED).values_list("unit_id", "pk")
        )
        overdue = step.startswith("overdue")
        notes = {}

        def reminded(cycle=cycle, overdue=overdue):
            values = {"cycle": cycle.label, "due": _due(cycle)}
            if overdue:
                return _("Overdue: your alignment check for %(cycle)s was due %(due)s") % values
            return _("Reminder: your alignment check for %(cycle)s is due %(due)s") % values

        for user_id, unit_ids in announce.heads_of(late).items():
            link = (
                reverse("reviews:check-edit", args=[late[unit_ids[0]]])
                if len(unit_ids) == 1
                else reverse("home")
            )
            notes[user_id] = announce.Note(reminded, link)

        def team_reminded(cycle=cycle, overdue=overdue):
            values = {"team": TEAM, "cycle": cycle.label, "due": _due(cycle)}
            if overdue:
                return _("Overdue: the %(team)s check for %(cycle)s was due %(due)s") % values
            return _("Reminder: the %(team)s check for %(cycle)s is due %(due)s") % values

        teams = _team_notes(late, team_reminded)
        created += len(
            announce.deliveries_create(
                cycle=cycle,
                kind=announce.Kind.CHECK_REMINDER,
                step=step,
                notes=notes,
                now=now,
                teams=teams,
            )
        )
    created += _refresh_reminders(now=now, today=today, config=config)
    created += _acknowledgement_reminders(now=now, today=today)
    announce.redrive_stalled(now=now)
    return created


def _acknowledgement_reminders(*, now: datetime, today) -> int:
    """Once per running quarterly review, whoever has not read the current strategy yet is
    asked to."""
    from strategy.models import Acknowledgement, Membership

    position = StrategicPosition.objects.current()
    cycle = ReviewCycle.objects.quarterly().filter(state__in=RUNNING).order_by("-opens_on").first()
    if position is None or cycle is None or today < cycle.opens_on:
        return 0
    people = set(
        Membership.objects.filter(unit__is_active=True, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    read = set(Acknowledgement.objects.filter(position=position).values_list("user_id", flat=True))

    def title():
        return _("Please read the FY%(year)s strategy and your team's commitments") % {
            "year": position.fiscal_year
        }

    notes = {
        user_id: announce.Note(title, position.get_absolute_url()) for user_id in people - read
    }
    return len(
        announce.deliveries_create(
            cycle=cycle,
            kind=announce.Kind.ACK_REMINDER,
            step=f"position-{position.pk}",
            notes=notes,
            now=now,
        )
    )


def escalate_overdue(*, now: datetime) -> int:
    """One digest to the executives per cycle whose checks are late past the threshold."""
    config = CadenceSettings.load()
    today = _today(now, config, at_reminder_hour=True)
    created = 0
    for cycle in ReviewCycle.objects.quarterly().filter(state__in=RUNNING):
        if not cadence.escalation_due(
            today, cycle.due_on, after_days=config.escalate_after_days_overdue
        ):
            continue
        late = cycle.checks.exclude(state=AlignmentCheck.State.SUBMITTED).count()
        if not late:
            continue

        def title(cycle=cycle, late=late):
            return ngettext(
                "%(count)s team is late with the %(cycle)s check, due %(due)s",
                "%(count)s teams are late with the %(cycle)s check, due %(due)s",
                late,
            ) % {"count": late, "cycle": cycle.label, "due": _due(cycle)}

        note = announce.Note(title, cycle.get_absolute_url())
        notes = {user_id: note for user_id in announce.executives()}
        created += len(
            announce.deliveries_create(
                cycle=cycle,
                kind=announce.Kind.ESCALATION,
                step="",
                notes=notes,
                now=now,
                executives=note,
            )
        )
    return created


def notify_cycle_closed(*, cycle: ReviewCycle, now: datetime) -> int:
    notes = {
        user_id: announce.Note(
            lambda: _("The %(cycle)s review is closed") % {"cycle": cycle.label},
            cycle.get_absolute_url(),
        )
        for user_id in announce.admins_and_executives()
    }
    return len(
        announce.deliveries_create(
            cycle=cycle, kind=announce.Kind.CYCLE_CLOSED, step="", notes=notes, now=now
        )
    )


# --- The annual refresh ----------------------------------------------------------------------


def start_annual_refresh(*, now: datetime) -> int:
    """On the refresh date, copy the current position into a draft for next year."""
    config = CadenceSettings.load()
    today = _today(now, config)
    next_year = fiscal_year_of(today) + 1
    starts_on = cadence.refresh_date(
        fiscal_year_start(next_year), month=config.refresh_month, day=config.refresh_day
    )
    if today < starts_on:
        return 0
    if ReviewCycle.objects.filter(kind=ReviewCycle.Kind.ANNUAL, fiscal_year=next_year).exists():
        return 0
    current = StrategicPosition.objects.current()
    if current is None or current.fiscal_year >= next_year:
        return 0
    return refresh_start(source=current, fiscal_year=next_year, today=today, now=now)


@transaction.atomic
def refresh_start(*, source: StrategicPosition, fiscal_year: int, today, now: datetime) -> int:
    draft = strategy.position_copy_for_refresh(source=source, fiscal_year=fiscal_year)
    cycle, created = ReviewCycle.objects.get_or_create(
        kind=ReviewCycle.Kind.ANNUAL,
        fiscal_year=fiscal_year,
        defaults={
            "position": draft,
            "opens_on": today,
            "due_on": max(today, fiscal_year_start(fiscal_year) - timedelta(days=1)),
            "state": ReviewCycle.State.OPEN,
            "opened_at": now,
        },
    )
    if not created:
        return 0
    notes = {
        user_id: announce.Note(
            lambda: (
                _(
                    "The annual refresh for FY%(year)s has started: publish the new position "
                    "by %(due)s"
                )
                % {"year": fiscal_year, "due": _due(cycle)}
            ),
            draft.get_absolute_url(),
        )
        for user_id in announce.executives()
    }
    announce.deliveries_create(
        cycle=cycle, kind=announce.Kind.REFRESH_STARTED, step="", notes=notes, now=now
    )
    return 1


def _refresh_reminders(*, now: datetime, today, config: CadenceSettings) -> int:
    created = 0
    refreshes = ReviewCycle.objects.filter(
        kind=ReviewCycle.Kind.ANNUAL, state__in=RUNNING
    ).select_related("position")
    for cycle in refreshes:
        if cycle.position.is_published:
            continue
        step = cadence.refresh_reminder_step(
            today, cycle.opens_on, every=config.refresh_reminder_every_days
        )
        if step is None:
            continue
        undecided = strategy.undecided_objectives(cycle.position).count()

        def title(cycle=cycle, undecided=undecided):
            values = {"year": cycle.fiscal_year, "count": undecided, "due": _due(cycle)}
            if undecided:
                return (
                    ngettext(
                        "Annual refresh FY%(year)s: %(count)s objectives still to decide, "
                        "due %(due)s",
                        "Annual refresh FY%(year)s: %(count)s objectives still to decide, "
                        "due %(due)s",
                        undecided,
                    )
                    % values
                )
            return (
                _("Annual refresh FY%(year)s: the new position is ready to publish, due %(due)s")
                % values
            )

        notes = {
            user_id: announce.Note(title, cycle.position.get_absolute_url())
            for user_id in announce.executives()
        }
        created += len(
            announce.deliveries_create(
                cycle=cycle, kind=announce.Kind.REFRESH_REMINDER, step=step, notes=notes, now=now
            )
        )
    return created


@transaction.atomic
def refresh_finish(*, position: StrategicPosition, now: datetime) -> int:
    """After the refreshed position is published: close its refresh. Once it is current (its
    fiscal year has started, or an executive switched to it), ask every team's heads to
    confirm or revise their commitments for the new year; asking again asks nobody twice."""
    cycle = ReviewCycle.objects.filter(kind=ReviewCycle.Kind.ANNUAL, position=position).first()
    if cycle is None or not position.is_published:
        return 0
    ReviewCycle.objects.filter(pk=cycle.pk, state__in=RUNNING).update(
        state=ReviewCycle.State.CLOSED, closed_at=now
    )
    if not position.is_current:
        return 0
    teams = Unit.objects.active().functional().values_list("pk", "code")
    codes = dict(teams)
    notes = {}
    for user_id, unit_ids in announce.heads_of(codes).items():
        notes[user_id] = announce.Note(
            lambda: (
                _("Confirm or revise your team's commitments for FY%(year)s")
                % {"year": position.fiscal_year}
            ),
            reverse("strategy:unit-detail", args=[codes[unit_ids[0]]]),
        )
    return len(
        announce.deliveries_create(
            cycle=cycle, kind=announce.Kind.COMMITMENTS_CONFIRM, step="", notes=notes, now=now
        )
    )


def take_over_positions(*, now: datetime) -> int:
    """On the first day of a fiscal year (local time), its published position becomes current.
    1 if a position became current."""
    config = CadenceSettings.load()
    position = strategy.position_take_over(today=_today(now, config))
    if position is None:
        return 0
    # What publishing a current position does, now that it is current: heads are asked to carry
    # over or drop last year's commitments (acknowledgements are per position: everyone is
    # asked to read the new one).
    refresh_finish(position=position, now=now)
    return 1
