"""Measured outcomes: periods, the planned path, the status, recording values and who may."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from strategy import outcomes, services
from strategy.models import CompanySettings, Measure, MeasureActual, RefreshDecision
from strategy.outcomes import OutcomeStatus, Period, last_due_period, status_for, straight_line
from tests.factories import MeasureFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

Q = Measure.Frequency.QUARTERLY
M = Measure.Frequency.MONTHLY


# --- Periods ---------------------------------------------------------------------------------


def test_quarters_and_months_follow_the_fiscal_year_start():
    assert Period(2026, 1).bounds(1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert Period(2026, 4).bounds(4) == (date(2027, 1, 1), date(2027, 3, 31))
    assert Period(2026, 10, M).bounds(4) == (date(2027, 1, 1), date(2027, 1, 31))
    assert Period(2026, 12, M).bounds(7) == (date(2027, 6, 1), date(2027, 6, 30))
    assert str(Period(2026, 2)) == "FY2026 Q2"
    assert str(Period(2026, 7, M)) == "FY2026 M7"
    assert Period(2026, 1).previous() == Period(2025, 4)


def test_a_period_outside_the_year_is_refused():
    with pytest.raises(ValidationError, match="Quarter 5 does not exist"):
        Period(2026, 5)
    with pytest.raises(ValidationError, match="Month 13"):
        Period(2026, 13, M)


@pytest.mark.parametrize(
    ("text", "frequency", "number"),
    [("Q2", Q, 2), ("q4", Q, 4), ("3", Q, 3), ("2.0", Q, 2), ("M12", M, 12), ("7", M, 7)],
)
def test_periods_are_read_as_typed(text, frequency, number):
    assert Period.parse(text, fiscal_year=2026, frequency=frequency).number == number


@pytest.mark.parametrize(("text", "frequency"), [("Q5", Q), ("M2", Q), ("13", M), ("", Q)])
def test_a_period_the_measure_does_not_have_is_refused_in_words(text, frequency):
    with pytest.raises(ValidationError, match="does not exist: this measure is reported"):
        Period.parse(text, fiscal_year=2026, frequency=frequency)


def test_the_last_due_period_is_the_last_that_ended():
    def due(today, frequency=Q, start=1):
        return last_due_period(
            fiscal_year=2026, frequency=frequency, today=today, start_month=start
        )

    assert due(date(2026, 3, 31)) is None  # the first quarter is still running
    assert due(date(2026, 4, 1)) == Period(2026, 1)
    assert due(date(2026, 12, 31)) == Period(2026, 3)
    assert due(date(2027, 5, 1)) == Period(2026, 4)  # the year is over: its last quarter
    assert due(date(2026, 8, 15), M) == Period(2026, 7, M)
    assert due(date(2026, 8, 15), Q, 4) == Period(2026, 1)  # April to June


# --- The plan and the status -----------------------------------------------------------------


def test_the_straight_line_goes_from_baseline_to_target_in_equal_steps():
    assert [straight_line(D(80), D(95), number=n, count=4) for n in range(1, 5)] == [
        D("83.75"),
        D("87.50"),
        D("91.25"),
        D("95.00"),
    ]
    # Lower is better: 10 days down to 4.
    assert [straight_line(D(10), D(4), number=n, count=4) for n in range(1, 5)] == [
        D("8.50"),
        D("7.00"),
        D("5.50"),
        D("4.00"),
    ]
    assert straight_line(D(80), D(90), number=1, count=12) == D("80.83")


def status(actual, planned, baseline=80, target=90, higher=True):
    return status_for(
        None if actual is None else D(str(actual)),
        D(str(planned)),
        baseline=D(baseline),
        target=D(target),
        higher_is_better=higher,
        tolerance_percent=10,
        off_track_percent=50,
    )


def test_the_status_measures_the_shortfall_against_the_planned_change():
    # 80 → 90: the year plans 10 points; on plan within 1, behind up to 5, off track beyond.
    assert status(86, 85) == OutcomeStatus.ON_PLAN  # better than plan
    assert status(84, 85) == OutcomeStatus.ON_PLAN  # 1 short = 10%
    assert status(83.9, 85) == OutcomeStatus.BEHIND
    assert status(80, 85) == OutcomeStatus.BEHIND  # 5 short = 50%
    assert status(79.9, 85) == OutcomeStatus.OFF_TRACK
    assert status(None, 85) is None


def test_lower_is_better_turns_the_shortfall_around():
    # 10 days → 4 days: Q2 plans 7.
    assert status(6, 7, baseline=10, target=4, higher=False) == OutcomeStatus.ON_PLAN
    assert status(7.6, 7, baseline=10, target=4, higher=False) == OutcomeStatus.ON_PLAN  # 10%
    assert status(8, 7, baseline=10, target=4, higher=False) == OutcomeStatus.BEHIND
    assert status(11, 7, baseline=10, target=4, higher=False) == OutcomeStatus.OFF_TRACK


def test_a_measure_planned_to_hold_its_level_is_measured_against_its_size():
    # Hold 95%: 10% of 95 is 9.5 points.
    assert status(90, 95, baseline=95, target=95) == OutcomeStatus.ON_PLAN
    assert status(80, 95, baseline=95, target=95) == OutcomeStatus.BEHIND
    # Hold 0 defects: any defect is off track.
    assert status(0, 0, baseline=0, target=0, higher=False) == OutcomeStatus.ON_PLAN
    assert status(1, 0, baseline=0, target=0, higher=False) == OutcomeStatus.OFF_TRACK


@pytest.mark.parametrize(
    ("raw", "value"),
    [("94", D("94.00")), (" 94.5 % ", D("94.50")), (91.3, D("91.30")), ("-2", D("-2.00"))],
)
def test_values_are_read_as_numbers(raw, value):
    assert outcomes.parse_value(raw) == value


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "is not a number"),
        ("94,5", "use a point for decimals"),
        ("1,234", "no thousands separator"),
        ("94.123", "more than two decimals"),
        ("", "value is empty"),
        ("nan", "is not a number"),
        ("1e15", "too large"),
    ],
)
def test_a_value_that_is_not_a_number_is_refused_in_words(raw, message):
    with pytest.raises(ValidationError, match=message):
        outcomes.parse_value(raw)


def test_the_company_thresholds_must_leave_room_for_behind():
    company = CompanySettings.load()
    company.plan_tolerance_percent, company.off_track_percent = 20, 20
    with pytest.raises(ValidationError, match="Off track must start beyond"):
        company.full_clean()


# --- A measure's plan, values and status -----------------------------------------------------


@pytest.fixture
def measure(current_position, logistics):
    objective = current_position.objectives.order_by("order").first()
    return MeasureFactory(
        objective=objective,
        name="On-time delivery",
        baseline=D(80),
        target=D(96),
        reporting_team=logistics,
    )


def test_a_measure_starts_on_the_straight_line_and_a_plan_point_replaces_a_period(
    measure, executive
):
    assert outcomes.measure_plan(measure) == {1: D(84), 2: D(88), 3: D(92), 4: D(96)}
    outcomes.measure_plan_set(measure=measure, values={2: "85", 3: "90.5"}, by=executive)
    assert outcomes.measure_plan(measure) == {1: D(84), 2: D(85), 3: D("90.5"), 4: D(96)}
    outcomes.measure_plan_set(measure=measure, values={2: None}, by=executive)
    assert outcomes.measure_plan(measure)[2] == D(88)
    year = measure.objective.position.fiscal_year
    assert outcomes.measure_planned_value(measure, Period(year, 3)) == D("90.5")
    assert outcomes.measure_planned_value(measure, Period(year - 1, 3)) is None


def test_a_monthly_measure_plans_twelve_steps(measure):
    measure.frequency = Measure.Frequency.MONTHLY
    measure.save()
    plan = outcomes.measure_plan(measure)
    assert len(plan) == 12
    assert (plan[1], plan[6], plan[12]) == (D("81.33"), D(88), D(96))


def test_recording_a_value_twice_keeps_one_history_row(measure, head):
    year = measure.objective.position.fiscal_year
    first = outcomes.measure_actual_record(
        measure=measure, period=Period(year, 1), value="83", by=head, comment="Two late trucks"
    )
    again = outcomes.measure_actual_record(
        measure=measure, period=Period(year, 1), value=D("83.00"), by=head
    )
    assert again.pk == first.pk
    assert first.history.count() == 1
    assert (again.comment, again.entered_by, again.source) == ("Two late trucks", head, "entered")


def test_a_correction_keeps_the_old_value_in_the_history(measure, head, executive):
    year = measure.objective.position.fiscal_year
    period = Period(year, 2)
    outcomes.measure_actual_record(measure=measure, period=period, value="85", by=head)
    outcomes.measure_actual_record(
        measure=measure, period=period, value="86.5", by=executive, source="api"
    )
    actual = MeasureActual.objects.get(measure=measure)
    assert (actual.value, actual.entered_by, actual.source) == (D("86.5"), executive, "api")
    assert [h.value for h in actual.history.order_by("history_id")] == [D(85), D("86.5")]
    assert actual.history.latest("history_id").history_user == executive


def test_a_value_for_a_period_the_measure_does_not_have_is_refused(measure, head):
    year = measure.objective.position.fiscal_year
    with pytest.raises(ValidationError, match="is measured in FY"):
        outcomes.measure_actual_record(
            measure=measure, period=Period(year + 3, 1), value="1", by=head
        )
    with pytest.raises(ValidationError, match="is reported quarterly: give a quarter"):
        outcomes.measure_actual_record(
            measure=measure, period=Period(year, 2, M), value="1", by=head
        )
    with pytest.raises(ValidationError, match="is not a number"):
        outcomes.measure_actual_record(measure=measure, period=Period(year, 1), value="x", by=head)
    assert not MeasureActual.objects.exists()


def test_the_status_of_a_period_reads_its_value_and_the_company_thresholds(measure, head):
    year = measure.objective.position.fiscal_year
    record = outcomes.measure_actual_record
    record(measure=measure, period=Period(year, 1), value="83", by=head)  # plan 84, 1/16 short
    record(measure=measure, period=Period(year, 2), value="83", by=head)  # plan 88, 5/16 short
    record(measure=measure, period=Period(year, 3), value="80", by=head)  # plan 92, 12/16 short
    assert outcomes.measure_status(measure, Period(year, 1)) == OutcomeStatus.ON_PLAN
    assert outcomes.measure_status(measure, Period(year, 2)) == OutcomeStatus.BEHIND
    assert outcomes.measure_status(measure, Period(year, 3)) == OutcomeStatus.OFF_TRACK
    assert outcomes.measure_status(measure, Period(year, 4)) is None
    company = CompanySettings.load()
    company.plan_tolerance_percent, company.off_track_percent = 40, 80
    company.save()
    assert outcomes.measure_status(measure, Period(year, 2)) == OutcomeStatus.ON_PLAN
    assert outcomes.measure_status(measure, Period(year, 3)) == OutcomeStatus.BEHIND


def test_a_measure_is_stale_when_the_last_due_period_has_no_value(measure, head):
    year = measure.objective.position.fiscal_year
    assert not outcomes.measure_is_stale(measure, today=date(year, 2, 1))  # nothing due yet
    assert outcomes.measure_is_stale(measure, today=date(year, 4, 2))
    outcomes.measure_actual_record(measure=measure, period=Period(year, 1), value="84", by=head)
    assert not outcomes.measure_is_stale(measure, today=date(year, 4, 2))
    assert outcomes.measure_is_stale(measure, today=date(year, 7, 2))  # Q2 is due now


def test_the_series_has_every_period_with_its_value_and_plan(measure, head):
    year = measure.objective.position.fiscal_year
    outcomes.measure_actual_record(measure=measure, period=Period(year, 2), value="87", by=head)
    series = outcomes.measure_series(measure)
    assert [(p.period.number, p.actual, p.planned) for p in series] == [
        (1, None, D(84)),
        (2, D(87), D(88)),
        (3, None, D(92)),
        (4, None, D(96)),
    ]


def test_the_latest_status_alone_is_the_one_the_whole_outcome_has(measure, head, executive):
    """measures_statuses (the position page's promises at risk) reads this year's values and
    the plan points alone, and finds the same latest period, value, plan and status as
    measures_outcomes (the objective page) does with the whole series."""
    year = measure.objective.position.fiscal_year
    objective = measure.objective
    record = outcomes.measure_actual_record
    record(measure=measure, period=Period(year, 1), value="84", by=head)
    record(measure=measure, period=Period(year, 2), value="83", by=head)  # plan 88: behind
    planned = MeasureFactory(objective=objective, baseline=D(10), target=D(4), direction="lower")
    outcomes.measure_plan_set(measure=planned, values={1: "9"}, by=executive)
    record(measure=planned, period=Period(year, 1), value="10", by=head)  # plan point 9
    monthly = MeasureFactory(objective=objective, frequency=M, baseline=D(0), target=D(12))
    record(measure=monthly, period=Period(year, 7, M), value="0.5", by=head)  # plan 7
    # A value of the year before belongs to last year's measure, not to this year's status.
    MeasureActual.objects.create(measure=measure, fiscal_year=year - 1, period=4, value=D(1))
    # A quarterly measure that was monthly keeps a value of month 7, which is no quarter.
    was_monthly = MeasureFactory(objective=objective, baseline=D(0), target=D(4))
    MeasureActual.objects.create(measure=was_monthly, fiscal_year=year, period=7, value=D(9))
    record(measure=was_monthly, period=Period(year, 2), value="2", by=head)
    empty = MeasureFactory(objective=objective)
    measures = list(
        Measure.objects.filter(
            pk__in=[m.pk for m in (measure, planned, monthly, was_monthly, empty)]
        )
        .select_related("objective__position")
        .order_by("pk")
    )
    company = CompanySettings.read()

    statuses = outcomes.measures_statuses(measures, company=company, fiscal_year=year)
    whole = outcomes.measures_outcomes(
        measures, company=company, today=date(year, 1, 1), start_month=1
    )

    assert [(s.measure, s.latest, s.status) for s in statuses] == [
        (o.measure, o.latest, o.status) for o in whole
    ]
    assert [s.status for s in statuses] == [
        OutcomeStatus.BEHIND,
        OutcomeStatus.BEHIND,  # 10 for a plan of 9, on the way from 10 to 4
        OutcomeStatus.OFF_TRACK,
        OutcomeStatus.ON_PLAN,
        None,
    ]
    assert [s.is_at_risk for s in statuses] == [True, True, True, False, False]
    assert statuses[0].status_label == "Behind plan"


# --- Who may enter values --------------------------------------------------------------------


def test_a_head_enters_the_values_of_the_measures_their_team_reports(
    measure, head, other_head, executive, member, admin_user
):
    perm = "alignment.enter_measure_actuals"
    assert head.has_perm(perm, measure)
    assert executive.has_perm(perm, measure)
    assert not other_head.has_perm(perm, measure)
    assert not member.has_perm(perm, measure)
    assert not admin_user.has_perm(perm, measure)
    # A measure no team reports yet is the executives' to enter.
    unreported = MeasureFactory(objective=measure.objective, reporting_team=None)
    assert executive.has_perm(perm, unreported)
    assert not head.has_perm(perm, unreported)


def test_members_read_the_measures_of_a_published_strategy_and_not_of_a_draft(
    measure, member, executive
):
    assert member.has_perm("alignment.view_measure_actuals", measure)
    draft = MeasureFactory(objective=ObjectiveFactory(position__fiscal_year=2031))
    assert not member.has_perm("alignment.view_measure_actuals", draft)
    assert executive.has_perm("alignment.view_measure_actuals", draft)


def test_importing_values_is_for_executives_and_heads(head, executive, member, admin_user):
    perm = "alignment.import_measure_actuals"
    assert head.has_perm(perm) and executive.has_perm(perm)
    assert not member.has_perm(perm) and not admin_user.has_perm(perm)


# --- The annual refresh ----------------------------------------------------------------------


def test_the_refresh_carries_whether_customers_feel_a_measure(measure):
    position = measure.objective.position
    felt = MeasureFactory(objective=measure.objective, name="Complaints answered")
    measure.customer_felt = False
    measure.save()

    draft = services.position_copy_for_refresh(
        source=position, fiscal_year=position.fiscal_year + 1
    )

    copies = Measure.objects.filter(objective__position=draft)
    assert dict(copies.values_list("previous", "customer_felt")) == {
        measure.pk: False,
        felt.pk: True,
    }


def test_the_refresh_carries_a_measure_and_its_values_to_the_revised_objective(
    measure, head, executive, logistics
):
    position = measure.objective.position
    year = position.fiscal_year
    measure.direction, measure.frequency = Measure.Direction.LOWER, Measure.Frequency.MONTHLY
    measure.baseline, measure.target = D(10), D(4)
    measure.save()
    outcomes.measure_plan_set(measure=measure, values={12: "4.5"}, by=executive)
    outcomes.measure_actual_record(measure=measure, period=Period(year, 11, M), value="6", by=head)
    outcomes.measure_actual_record(measure=measure, period=Period(year, 11, M), value="5", by=head)

    draft = services.position_copy_for_refresh(source=position, fiscal_year=year + 1)
    copy = Measure.objects.get(objective__position=draft, name="On-time delivery")
    assert (copy.previous, copy.direction, copy.frequency, copy.reporting_team) == (
        measure,
        "lower",
        "monthly",
        logistics,
    )
    # The executives revise the objective: its measure keeps its past.
    objective = copy.objective
    services.objective_decide(objective=objective, decision=RefreshDecision.REVISED)
    copy.target = D(3)
    copy.save()

    series = outcomes.measure_series(copy)
    assert len(series) == 24
    last_year = {p.period.number: p for p in series if p.period.fiscal_year == year}
    assert (last_year[11].actual, last_year[12].planned) == (D(5), D("4.5"))
    assert series[-1].planned == D(3)
    # Last year's value, corrected after the refresh, goes to last year's measure, history
    # and all.
    outcomes.measure_actual_record(
        measure=copy, period=Period(year, 11, M), value="5.5", by=executive
    )
    actual = MeasureActual.objects.get(fiscal_year=year, period=11)
    assert actual.measure == measure
    assert [h.value for h in actual.history.order_by("history_id")] == [D(6), D(5), D("5.5")]
    # The new year's values go to the copy.
    outcomes.measure_actual_record(measure=copy, period=Period(year + 1, 1, M), value="9", by=head)
    assert MeasureActual.objects.get(fiscal_year=year + 1).measure == copy
