"""When things happen, in the organisation's time zone (Europe/Paris).

The first half simulates beat: every 15 minutes (UTC) it runs the four dispatch functions with
`now` = that tick, and a stand-in worker sends what they enqueue. Around each date that tends to
break schedulers (a quarter end, New Year, 29 February, both DST changes) the deliveries created
and the cycles' state changes must match a table written out below, in Paris time and UTC.

The second half tabulates the pure functions of reviews/cadence.py.
"""

import dataclasses
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from notifications import notify
from notifications.models import Delivery, Notification
from reviews import cadence, dispatch
from reviews.models import AlignmentCheck, CadenceSettings, ReviewCycle, quarter_end
from tests.factories import CommitmentFactory, UnitFactory, fill_check, make_head
from tests.reviews.cadence.support import PARIS, UTC, configure, everyone_has_read, paris, utc

TICK = timedelta(minutes=15)


# --- The simulated beat ------------------------------------------------------------------------


@dataclasses.dataclass
class Window:
    """Ticks every 15 minutes from local midnight of `start` for `days` days.

    Before it, `warm_up` days are run with one tick a day (12:00 UTC), so that the steps before
    the window have happened as they would have, without simulating every quarter hour.
    `expected` lists what the window creates: (Paris time, UTC time, kind, step, cycle,
    recipients); `states` lists the cycles' state changes: (Paris time, cycle, new state).
    """

    config: dict
    start: date
    days: int
    warm_up: int
    expected: list[tuple]
    states: list[tuple]


HEADS = ("fay-finance", "hugo-head", "sam-sales")
LATE_HEADS = ("hugo-head", "sam-sales")  # Finance submits as soon as its check opens
EXECUTIVES = ("erin-exec",)

WINDOWS = {
    # Q1 FY2026 ends on Tuesday 31 March 2026; with open_days_after_quarter_end=1 it opens on
    # 1 April, Paris time: 22:00 UTC on 31 March (summer time began on 29 March).
    "quarter end": Window(
        config={"open_days_after_quarter_end": 1, "due_days_after_opening": 14},
        start=date(2026, 3, 31),
        days=2,
        warm_up=0,
        expected=[
            ("2026-04-01 00:00", "2026-03-31 22:00", "check_opened", "", "Q1 FY2026", HEADS),
        ],
        states=[
            ("2026-03-31 00:00", "Q1 FY2026", "planned"),
            ("2026-04-01 00:00", "Q1 FY2026", "open"),
        ],
    ),
    # Q4 FY2026 opens on 1 January 2027 (23:00 UTC on 31 December). The refresh of FY2027
    # started on 25 December, so its first weekly reminder falls on New Year's Day, 08:00.
    "new year": Window(
        config={
            "open_days_after_quarter_end": 1,
            "due_days_after_opening": 14,
            "refresh_month": 12,
            "refresh_day": 25,
            "refresh_reminder_every_days": 7,
        },
        start=date(2026, 12, 31),
        days=2,
        warm_up=11,
        expected=[
            ("2027-01-01 00:00", "2026-12-31 23:00", "check_opened", "", "Q4 FY2026", HEADS),
            (
                "2027-01-01 08:00",
                "2027-01-01 07:00",
                "refresh_reminder",
                "week-1",
                "Annual refresh FY2027",
                EXECUTIVES,
            ),
        ],
        states=[("2027-01-01 00:00", "Q4 FY2026", "open")],
    ),
    # Q4 FY2027 opens 40 days after 31 December 2027 (9 February 2028) and is due 14 days
    # later, on 23 February: 5 days overdue on 28 February, 6 days on 29 February.
    "29 February": Window(
        config={"open_days_after_quarter_end": 40, "due_days_after_opening": 14},
        start=date(2028, 2, 28),
        days=2,
        warm_up=20,
        expected=[
            ("2028-02-28 08:00", "2028-02-28 07:00", "escalation", "", "Q4 FY2027", EXECUTIVES),
            (
                "2028-02-29 08:00",
                "2028-02-29 07:00",
                "check_reminder",
                "overdue-6",
                "Q4 FY2027",
                LATE_HEADS,
            ),
        ],
        states=[],
    ),
    # Q4 FY2026 opens 60 days after 31 December (1 March 2027) and is due 21 days later, on
    # 22 March. Summer time starts on Sunday 28 March at 02:00: the escalation on the 27th
    # goes at 07:00 UTC, the overdue reminder on the 28th at 06:00 UTC, both at 08:00 in Paris.
    "DST start": Window(
        config={"open_days_after_quarter_end": 60, "due_days_after_opening": 21},
        start=date(2027, 3, 27),
        days=2,
        warm_up=27,
        expected=[
            ("2027-03-27 08:00", "2027-03-27 07:00", "escalation", "", "Q4 FY2026", EXECUTIVES),
            (
                "2027-03-28 08:00",
                "2027-03-28 06:00",
                "check_reminder",
                "overdue-6",
                "Q4 FY2026",
                LATE_HEADS,
            ),
        ],
        states=[],
    ),
    # Q3 FY2026 opens on 5 October 2026, due 19 October. Summer time ends on Sunday 25 October
    # at 03:00: the escalation on the 24th goes at 06:00 UTC, the overdue reminder on the 25th
    # at 07:00 UTC. The refresh of FY2027, set for 25 October, starts at midnight in Paris,
    # still summer time: 22:00 UTC on the 24th.
    "DST end": Window(
        config={
            "open_days_after_quarter_end": 5,
            "due_days_after_opening": 14,
            "refresh_month": 10,
            "refresh_day": 25,
        },
        start=date(2026, 10, 24),
        days=2,
        warm_up=20,
        expected=[
            ("2026-10-24 08:00", "2026-10-24 06:00", "escalation", "", "Q3 FY2026", EXECUTIVES),
            (
                "2026-10-25 00:00",
                "2026-10-24 22:00",
                "refresh_started",
                "",
                "Annual refresh FY2027",
                EXECUTIVES,
            ),
            (
                "2026-10-25 08:00",
                "2026-10-25 07:00",
                "check_reminder",
                "overdue-6",
                "Q3 FY2026",
                LATE_HEADS,
            ),
        ],
        states=[("2026-10-25 00:00", "Annual refresh FY2027", "open")],
    ),
}


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(PARIS):%Y-%m-%d %H:%M}"


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


def _label(kind: str, fiscal_year: int, quarter: int | None) -> str:
    return ReviewCycle(kind=kind, fiscal_year=fiscal_year, quarter=quarter).label


class Beat:
    """Runs the dispatch functions at each tick, then sends what they enqueued."""

    def __init__(self, monkeypatch, finance_head):
        self.enqueued: list[int] = []
        self.outcomes: dict[int, list[str]] = {}
        self.ticks = 0
        self.finance_head = finance_head
        # Enqueue straight to the stand-in worker instead of after commit through the broker.
        monkeypatch.setattr(notify, "enqueue", self.enqueued.extend)

    def states(self) -> dict[str, str]:
        rows = ReviewCycle.objects.values_list("kind", "fiscal_year", "quarter", "state")
        return {_label(k, y, q): s for k, y, q, s in rows}

    def tick(self, now: datetime) -> None:
        self.ticks += 1
        dispatch.open_due_cycles(now=now)
        dispatch.send_due_reminders(now=now)
        dispatch.escalate_overdue(now=now)
        dispatch.start_annual_refresh(now=now)
        for pk in self.enqueued:
            outcome = notify.delivery_send(delivery_id=pk, now=now)
            self.outcomes.setdefault(pk, []).append(outcome.state)
        self.enqueued.clear()
        # Finance submits its check as soon as it opens; the other teams are late.
        for check in AlignmentCheck.objects.filter(
            unit__code="finance", cycle__state=ReviewCycle.State.OPEN
        ).exclude(state=AlignmentCheck.State.SUBMITTED):
            fill_check(check, by=self.finance_head)


@pytest.fixture
def organisation(current_position, executive, head, other_head, admin_user, logistics, finance):
    """FY2026 published; Logistics and Warehouse headed by Hugo, Finance by Fay, Sales by Sam.
    Every team commits to the first objective, so that every check has an item to score, and
    everybody has read the strategy (no acknowledgement reminders)."""
    warehouse = UnitFactory(name="Warehouse", code="warehouse")
    sales = UnitFactory(name="Sales", code="sales")
    make_head(warehouse, username=head.username)
    make_head(sales, username="sam-sales")
    objective = current_position.objectives.first()
    for team in (logistics, warehouse, finance, sales):
        CommitmentFactory(unit=team, objective=objective)
    everyone_has_read(current_position)
    return current_position


@pytest.mark.parametrize("name", list(WINDOWS))
def test_the_schedule_around_a_tricky_date_matches_the_table(
    name, organisation, other_head, monkeypatch, mailoutbox
):
    window = WINDOWS[name]
    configure(**window.config)
    beat = Beat(monkeypatch, finance_head=other_head)
    start = paris(window.start.year, window.start.month, window.start.day)
    for days in range(window.warm_up, 0, -1):
        day = window.start - timedelta(days=days)
        beat.tick(utc(day.year, day.month, day.day, 12, 0))
    before_window = set(Delivery.objects.values_list("pk", flat=True))
    outcomes_before = dict(beat.outcomes)
    states = beat.states()

    changes = []
    end = paris(*(window.start + timedelta(days=window.days)).timetuple()[:3])
    now = start
    while now < end:
        beat.tick(now)
        new_states = beat.states()
        changes += [(_local(now), c, s) for c, s in new_states.items() if states.get(c) != s]
        states = new_states
        now += TICK

    created = Delivery.objects.exclude(pk__in=before_window).select_related("cycle", "recipient")
    grouped: dict[tuple, list[str]] = {}
    for d in created:
        key = (_local(d.created_at), _utc(d.created_at), d.kind, d.step, d.cycle.label)
        grouped.setdefault(key, []).append(d.recipient.username)
    actual = sorted((*key, tuple(sorted(names))) for key, names in grouped.items())
    assert actual == sorted(window.expected)
    assert changes == window.states
    # About 100 ticks a day (92 or 100 on the day the clocks change), yet everything exists
    # once...
    assert beat.ticks - window.warm_up == (end - start) / TICK
    keys = Counter(Delivery.objects.values_list("cycle", "recipient", "kind", "step"))
    assert set(keys.values()) == {1}
    assert Notification.objects.count() == Delivery.objects.count()
    # ...and was enqueued once and sent once.
    window_outcomes = {pk: o for pk, o in beat.outcomes.items() if pk not in outcomes_before}
    assert window_outcomes == {d.pk: ["sent"] for d in created}
    assert {d.state for d in created} <= {Delivery.State.SENT}
    assert all(states == ["sent"] for states in outcomes_before.values())
    headers = Counter(m.extra_headers["X-Alignment-Delivery"] for m in mailoutbox)
    assert len(headers) == Delivery.objects.count() and set(headers.values()) == {1}


def test_a_quarterly_review_is_planned_a_month_ahead_with_the_dates_of_the_settings(organisation):
    configure(open_days_after_quarter_end=1, due_days_after_opening=14)

    assert dispatch.plan_cycles(now=paris(2026, 2, 28, 23, 59)) == 0
    assert dispatch.plan_cycles(now=paris(2026, 3, 1)) == 1
    assert dispatch.plan_cycles(now=paris(2026, 3, 2)) == 0

    cycle = ReviewCycle.objects.get()
    assert (cycle.label, cycle.state, cycle.position) == ("Q1 FY2026", "planned", organisation)
    assert (cycle.opens_on, cycle.due_on) == (date(2026, 4, 1), date(2026, 4, 15))


@pytest.mark.parametrize(
    ("quarter", "opens_on", "due_on", "quiet", "due"),
    [
        # Summer: the 7-days-before step of a check due on 19 April 2026 is due at 06:00 UTC.
        (1, date(2026, 4, 5), date(2026, 4, 19), utc(2026, 4, 12, 5, 59), utc(2026, 4, 12, 6)),
        # Winter: the same step of a check due on 19 January 2027 is due at 07:00 UTC.
        (4, date(2027, 1, 5), date(2027, 1, 19), utc(2027, 1, 12, 6, 59), utc(2027, 1, 12, 7)),
    ],
    ids=["summer", "winter"],
)
def test_a_reminder_step_becomes_due_at_8_in_paris_whatever_the_season(
    organisation, quarter, opens_on, due_on, quiet, due
):
    configure()
    ReviewCycle.objects.create(
        position=organisation, fiscal_year=2026, quarter=quarter, opens_on=opens_on, due_on=due_on
    )
    dispatch.open_due_cycles(now=paris(*opens_on.timetuple()[:3], 9))

    assert dispatch.send_due_reminders(now=quiet) == 0
    assert dispatch.send_due_reminders(now=due) == len(HEADS)
    assert dispatch.send_due_reminders(now=due + TICK) == 0
    assert {d.created_at for d in Delivery.objects.filter(kind="check_reminder")} == {due}


# --- Pure functions ----------------------------------------------------------------------------

DUE = date(2026, 4, 19)
D = timedelta(days=1)


@pytest.mark.parametrize(
    ("today", "step"),
    [
        (DUE - 18 * D, None),  # the day the check opens
        (DUE - 8 * D, None),
        (DUE - 7 * D, "before-7"),
        (DUE - 3 * D, "before-7"),  # same step: already sent, nothing new
        (DUE - 1 * D, "before-1"),
        (DUE, "before-1"),  # on the due date the last step still stands
        (DUE + 1 * D, None),
        (DUE + 2 * D, None),
        (DUE + 3 * D, "overdue-3"),
        (DUE + 5 * D, "overdue-3"),
        (DUE + 6 * D, "overdue-6"),
        (DUE + 30 * D, "overdue-30"),
        (DUE + 31 * D, "overdue-30"),
    ],
)
def test_reminder_step_before_at_and_after_the_due_date(today, step):
    assert cadence.reminder_step(today, DUE, days_before=[7, 1], overdue_every=3) == step


@pytest.mark.parametrize(
    ("outage", "first_run", "step"),
    [
        ("before-7 and before-1 missed", DUE - D, "before-1"),
        ("before-1 missed, run on the due date", DUE, "before-1"),
        ("overdue-3 and overdue-6 missed", DUE + 7 * D, "overdue-6"),
        ("a month missed", DUE + 31 * D, "overdue-30"),
    ],
)
def test_after_an_outage_only_the_latest_reminder_step_is_due(outage, first_run, step):
    assert cadence.reminder_step(first_run, DUE, days_before=[7, 1], overdue_every=3) == step


@pytest.mark.parametrize(
    ("days_before", "today", "step"),
    [
        ([1, 7], DUE - 7 * D, "before-7"),  # order of the setting does not matter
        ([], DUE - D, None),
        ([0], DUE, "before-0"),
        ([14, 7, 1], DUE - 10 * D, "before-14"),
    ],
)
def test_reminder_step_with_other_reminder_days(days_before, today, step):
    assert cadence.reminder_step(today, DUE, days_before=days_before, overdue_every=3) == step


def test_reminder_step_counts_days_across_29_february():
    due = date(2028, 2, 23)

    assert cadence.reminder_step(date(2028, 2, 29), due, days_before=[7], overdue_every=3) == (
        "overdue-6"
    )
    assert cadence.reminder_step(date(2028, 3, 1), due, days_before=[7], overdue_every=3) == (
        "overdue-6"
    )
    assert cadence.reminder_step(
        date(2028, 2, 22), date(2028, 2, 29), days_before=[7], overdue_every=3
    ) == ("before-7")


@pytest.mark.parametrize(
    ("today", "after_days", "due"),
    [
        (DUE, 5, False),
        (DUE + 4 * D, 5, False),
        (DUE + 5 * D, 5, True),
        (DUE + 40 * D, 5, True),
        (DUE + D, 1, True),
        (DUE - 3 * D, 1, False),
    ],
)
def test_escalation_is_due_from_n_days_overdue(today, after_days, due):
    assert cadence.escalation_due(today, DUE, after_days=after_days) is due


@pytest.mark.parametrize(
    ("next_year_start", "month", "day", "refresh_on"),
    [
        # Fiscal years starting in January.
        (date(2027, 1, 1), 11, 1, date(2026, 11, 1)),
        (date(2027, 1, 1), 12, 28, date(2026, 12, 28)),
        (date(2027, 1, 1), 1, 1, date(2026, 1, 1)),  # "before" is strict: a year ahead
        # Fiscal years starting in April.
        (date(2027, 4, 1), 11, 1, date(2026, 11, 1)),
        (date(2027, 4, 1), 2, 28, date(2027, 2, 28)),
        (date(2027, 4, 1), 3, 28, date(2027, 3, 28)),
        (date(2027, 4, 1), 4, 1, date(2026, 4, 1)),
        # Fiscal years starting in March: the refresh day is 28 February, even in a leap year.
        (date(2028, 3, 1), 2, 28, date(2028, 2, 28)),
    ],
)
def test_refresh_date_is_the_last_such_day_before_the_year_starts(
    next_year_start, month, day, refresh_on
):
    assert cadence.refresh_date(next_year_start, month=month, day=day) == refresh_on


@pytest.mark.django_db
@pytest.mark.parametrize("day", [0, 29, 31])
def test_a_refresh_day_that_some_month_lacks_is_refused_so_refresh_date_never_meets_one(day):
    """refresh_date() would raise for 29 February in a common year: the settings never hold it."""
    config = CadenceSettings.load()
    config.refresh_month, config.refresh_day = 2, day

    with pytest.raises(ValidationError) as error:
        config.full_clean()
    assert "refresh_day" in error.value.message_dict


@pytest.mark.parametrize(
    ("today", "step"),
    [
        (date(2026, 11, 1), None),
        (date(2026, 11, 7), None),
        (date(2026, 11, 8), "week-1"),
        (date(2026, 11, 14), "week-1"),
        (date(2026, 11, 15), "week-2"),
        (date(2026, 11, 23), "week-3"),  # catch-up after an outage: the latest step only
        (date(2027, 1, 1), "week-8"),
    ],
)
def test_refresh_reminder_step_every_week_after_the_start(today, step):
    assert cadence.refresh_reminder_step(today, date(2026, 11, 1), every=7) == step


@pytest.mark.parametrize(
    ("now", "from_hour", "day"),
    [
        # Midnight in Paris is 22:00 UTC in summer and 23:00 UTC in winter.
        (utc(2026, 10, 24, 21, 59), 0, date(2026, 10, 24)),
        (utc(2026, 10, 24, 22, 0), 0, date(2026, 10, 25)),
        (utc(2026, 12, 31, 22, 59), 0, date(2026, 12, 31)),
        (utc(2026, 12, 31, 23, 0), 0, date(2027, 1, 1)),
        (utc(2028, 2, 28, 23, 0), 0, date(2028, 2, 29)),
        # Spring forward, Sunday 28 March 2027: 02:00 CET becomes 03:00 CEST.
        (utc(2027, 3, 27, 6, 59), 8, date(2027, 3, 26)),
        (utc(2027, 3, 27, 7, 0), 8, date(2027, 3, 27)),
        (utc(2027, 3, 28, 0, 59), 2, date(2027, 3, 27)),  # 01:59 CET
        (utc(2027, 3, 28, 1, 0), 2, date(2027, 3, 28)),  # 03:00 CEST: 02:xx never happens
        (utc(2027, 3, 28, 5, 59), 8, date(2027, 3, 27)),
        (utc(2027, 3, 28, 6, 0), 8, date(2027, 3, 28)),
        # Fall back, Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:xx happens twice.
        (utc(2026, 10, 24, 5, 59), 8, date(2026, 10, 23)),
        (utc(2026, 10, 24, 6, 0), 8, date(2026, 10, 24)),
        (utc(2026, 10, 25, 0, 30), 3, date(2026, 10, 24)),  # 02:30 CEST
        (utc(2026, 10, 25, 1, 30), 3, date(2026, 10, 24)),  # 02:30 CET, the second time
        (utc(2026, 10, 25, 2, 0), 3, date(2026, 10, 25)),  # 03:00 CET
        (utc(2026, 10, 25, 6, 59), 8, date(2026, 10, 24)),
        (utc(2026, 10, 25, 7, 0), 8, date(2026, 10, 25)),
    ],
)
def test_local_day_follows_paris_time_across_dst(now, from_hour, day):
    assert cadence.local_day(now, PARIS, from_hour=from_hour) == day


def test_local_day_does_not_depend_on_the_time_zone_now_is_given_in():
    moment = utc(2027, 3, 28, 6, 0)

    assert cadence.local_day(moment.astimezone(PARIS), PARIS, from_hour=8) == date(2027, 3, 28)
    assert cadence.local_day(moment.replace(tzinfo=UTC), PARIS, from_hour=8) == date(2027, 3, 28)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start_month", "fiscal_year", "quarter", "ends_on", "opens_on", "due_on"),
    [
        (1, 2026, 1, date(2026, 3, 31), date(2026, 4, 5), date(2026, 4, 19)),
        (1, 2026, 4, date(2026, 12, 31), date(2027, 1, 5), date(2027, 1, 19)),
        (4, 2026, 4, date(2027, 3, 31), date(2027, 4, 5), date(2027, 4, 19)),
        (3, 2027, 4, date(2028, 2, 29), date(2028, 3, 5), date(2028, 3, 19)),  # leap year
        (3, 2026, 4, date(2027, 2, 28), date(2027, 3, 5), date(2027, 3, 19)),
    ],
)
def test_quarter_opening_follows_the_fiscal_year(
    start_month, fiscal_year, quarter, ends_on, opens_on, due_on
):
    configure(fiscal_year_start_month=start_month)

    assert quarter_end(fiscal_year, quarter) == ends_on
    assert cadence.quarter_opening(fiscal_year, quarter, open_days=5, due_days=14) == (
        opens_on,
        due_on,
    )
