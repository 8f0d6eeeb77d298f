"""The measured-outcome signals: pure functions over hand-computed series (docs/signals.md, 8)."""

import pytest

from sustain.measures import (
    MeasureSeries,
    not_measuring,
    promise_at_risk,
    roller_coaster_outcomes,
    say_do_gap,
)

THRESHOLDS = {"tolerance_percent": 10, "off_track_percent": 50}
LABELS = ["FY2026 Q1", "FY2026 Q2", "FY2026 Q3", "FY2026 Q4"]


def on_time(actuals, plans=(84, 88, 92, 96), baseline=80, target=96):
    """80% → 96% over the year: the straight line plans 84, 88, 92, 96."""
    return MeasureSeries(
        name="On-time delivery",
        unit="%",
        higher_is_better=True,
        baseline=baseline,
        target=target,
        actuals=list(actuals),
        plans=list(plans)[: len(actuals)],
        labels=LABELS[: len(actuals)],
    )


def days_late(actuals, plans=(8.5, 7, 5.5, 4)):
    """10 days → 4 days: lower is better."""
    return MeasureSeries(
        name="Days late",
        unit="days",
        higher_is_better=False,
        baseline=10,
        target=4,
        actuals=list(actuals),
        plans=list(plans)[: len(actuals)],
        labels=LABELS[: len(actuals)],
    )


def gap(scores, *measures, target_score=75, quarters=3):
    return say_do_gap(
        "Logistics",
        scores,
        list(measures),
        target_score=target_score,
        quarters=quarters,
        **THRESHOLDS,
    )


# --- Say-do gap ------------------------------------------------------------------------------


def test_scores_rising_while_the_measure_falls_is_a_say_do_gap():
    # Planned to hold 96%: each quarter is within 10% of 96, but the fit rises as it falls.
    held = on_time([94, 91, 88], plans=[96, 96, 96], baseline=96, target=96)
    found = gap([4.6, 4.7, 4.8], held, target_score=4.5)
    assert found.flagged is True
    assert found.reason == (
        "Logistics says 4.6, 4.7, 4.8; On-time delivery 94%, 91%, 88% against a plan of 96%"
    )
    assert found.measures == ["On-time delivery"]


def test_high_scores_while_the_measure_stays_behind_plan_is_a_say_do_gap():
    # Plans 84, 88, 92: 3, 6 and 9 points short of a planned change of 16 (19%, 38%, 56%).
    found = gap([80, 80, 80], on_time([81, 82, 83]))
    assert found.flagged is True
    assert found.reason == (
        "Logistics says 80, 80, 80; On-time delivery 81%, 82%, 83% against a plan of 84%, 88%, 92%"
    )


def test_high_scores_with_the_measure_on_plan_agree():
    found = gap([80, 82, 81], on_time([84, 87.5, 92]))
    assert found.flagged is False
    assert found.reason == "Logistics says 80, 82, 81; its measures agree."


def test_rising_scores_with_a_rising_measure_agree():
    assert gap([60, 65, 70], on_time([81, 82, 83])).flagged is False


def test_low_flat_scores_with_a_measure_behind_plan_are_no_gap():
    # The team does not claim to be aligned: the scores are under target and do not rise.
    assert gap([60, 60, 60], on_time([81, 82, 83])).flagged is False


def test_a_measure_behind_in_only_some_quarters_is_no_gap():
    assert gap([80, 80, 80], on_time([84, 82, 83])).flagged is False


def test_lower_is_better_reads_a_rise_in_days_as_worse():
    worse = gap([70, 72, 74], days_late([6, 7, 8]))
    assert worse.flagged is True
    assert worse.reason == (
        "Logistics says 70, 72, 74; Days late 6, 7, 8 days against a plan of 8.5, 7, 5.5 days"
    )
    # Days falling (better) while scores rise: they agree, and so do high scores on plan.
    assert gap([70, 72, 74], days_late([8, 7, 6])).flagged is False
    assert gap([80, 80, 80], days_late([8, 7, 6])).flagged is False


def test_a_missing_quarter_cannot_be_judged():
    assert gap([80, None, 80], on_time([81, 82, 83])).flagged is None
    missing_value = gap([80, 80, 80], on_time([81, None, 83]))
    assert missing_value.flagged is None
    assert missing_value.reason == (
        "Logistics says 80, 80, 80; its measures have too few values to compare."
    )
    assert gap([80, 80], on_time([81, 82])).flagged is None  # fewer quarters than N


def test_only_the_last_n_quarters_count():
    # Four quarters, N = 3: the first (on plan) is outside the window.
    found = gap([80, 80, 80, 80], on_time([84, 85, 82, 83], plans=[84, 88, 92, 96]))
    assert found.flagged is True


# --- Roller-coaster outcomes -----------------------------------------------------------------


def coaster(series, window=4):
    return roller_coaster_outcomes(series, window=window, min_mean_change=15, min_reversals=2)


def test_an_alternating_measure_is_a_roller_coaster():
    # 84, 92, 83, 93 of a planned change 80 → 96: 25%, 75%, 18.75%, 81.25% of the way;
    # changes +50, -56.25, +62.5: mean 56.25, two reversals.
    found = coaster(on_time([84, 92, 83, 93]))
    assert found.flagged is True
    assert found.mean_change == pytest.approx(56.25)
    assert found.reversals == 2
    assert found.reason == (
        "On-time delivery 84%, 92%, 83%, 93% over the last 4 periods: moves 56% of the planned "
        "change a period on average and changed direction 2 times."
    )


def test_a_flat_or_steadily_rising_measure_is_no_roller_coaster():
    flat = coaster(on_time([90, 90, 90, 90]))
    assert (flat.flagged, flat.mean_change, flat.reversals) == (False, 0, 0)
    rising = coaster(on_time([84, 88, 92, 96]))
    assert (rising.flagged, rising.mean_change, rising.reversals) == (False, 25, 0)


def test_a_falling_measure_is_no_roller_coaster():
    assert coaster(on_time([92, 88, 84, 80])).flagged is False


def test_a_lower_is_better_measure_swinging_is_a_roller_coaster():
    # 9, 6, 9, 6 days of a planned change 10 → 4: 16.7%, 66.7%, 16.7%, 66.7%: mean 50.
    found = coaster(days_late([9, 6, 9, 6]))
    assert found.flagged is True
    assert found.mean_change == pytest.approx(50)
    assert "Days late 9, 6, 9, 6 days over the last 4 periods: moves 50%" in found.reason


def test_small_swings_are_no_roller_coaster():
    # 8, 8.2, 7.9, 8.1 days: changes of 3.3%, 5%, 3.3% of the planned change.
    found = coaster(days_late([8, 8.2, 7.9, 8.1]))
    assert (found.flagged, found.reversals) == (False, 2)


def test_missing_periods_are_skipped_and_too_few_values_cannot_be_judged():
    assert coaster(on_time([84, None, 92, 83])).flagged is False  # 84, 92, 83: one reversal
    short = coaster(on_time([84, None, 92]))
    assert short.flagged is None
    assert short.reason == "On-time delivery: Not enough quarters to judge (84%, –, 92%)."


def test_a_measure_planned_to_hold_is_read_against_its_target():
    held = on_time([96, 80, 96, 80], plans=[96] * 4, baseline=96, target=96)
    found = coaster(held)
    assert found.flagged is True
    assert "of its target" in found.reason
    zero = MeasureSeries("Defects", "", False, 0, 0, [0, 1, 0, 1], [0] * 4)
    assert coaster(zero).flagged is None


# --- Promise at risk -------------------------------------------------------------------------

PROMISE = "Your order arrives on the date we promise."


def test_a_promise_whose_measure_is_behind_plan_is_at_risk():
    # Q3 plans 92: 83 is 9 points short of a planned change of 16 (56%): off track.
    found = promise_at_risk(
        "Deliver on the promised date", PROMISE, [on_time([84, 88, 83])], **THRESHOLDS
    )
    assert found.flagged is True
    assert found.reason == (
        "“Deliver on the promised date” promises “Your order arrives on the date we promise.”; "
        "On-time delivery 83% in FY2026 Q3 against a plan of 92% (off track)."
    )


def test_the_latest_period_with_a_value_is_the_one_read():
    # Q3 has no value yet: Q2's 86 against 88 is 2 short of 16 (12.5%), behind plan.
    found = promise_at_risk("Deliver", PROMISE, [on_time([84, 86, None])], **THRESHOLDS)
    assert found.flagged is True
    assert "On-time delivery 86% in FY2026 Q2 against a plan of 88% (behind plan)" in found.reason


def test_a_promise_with_its_measures_on_plan_is_not_at_risk():
    measures = [on_time([84, 88, 91]), days_late([8.5, 7.2])]
    found = promise_at_risk("Deliver", PROMISE, measures, **THRESHOLDS)
    assert (found.flagged, found.reason) == (False, "“Deliver”: its measures are on plan.")


def test_only_the_measures_behind_plan_are_named():
    measures = [on_time([84, 88, 91]), days_late([8.5, 9])]  # 9 days against 7: 33%, behind
    found = promise_at_risk("Deliver", PROMISE, measures, **THRESHOLDS)
    assert found.measures == ["Days late"]
    assert "Days late 9 days in FY2026 Q2 against a plan of 7 days (behind plan)." in found.reason


def test_no_promise_or_no_values_is_not_judged_as_at_risk():
    assert promise_at_risk("Deliver", " ", [on_time([80])], **THRESHOLDS).flagged is False
    none_yet = promise_at_risk("Deliver", PROMISE, [on_time([None, None])], **THRESHOLDS)
    assert none_yet.flagged is None


# --- Not measuring ---------------------------------------------------------------------------


def test_no_value_for_the_last_due_period_is_not_measuring():
    found = not_measuring(on_time([84, 88, None]), periods=3)
    assert (found.flagged, found.reason) == (True, "On-time delivery has no value for FY2026 Q3.")


def test_values_that_never_change_are_not_measuring():
    found = not_measuring(on_time([84, 90, 90, 90]), periods=3)
    assert found.flagged is True
    assert found.reason == "On-time delivery reads 90% for 3 periods in a row: is it measured?"
    # Two equal values of three are a measure that moves.
    assert not_measuring(on_time([84, 90, 90]), periods=3).flagged is False


def test_a_measure_that_moves_is_measured():
    found = not_measuring(days_late([9, 8.5, 8]), periods=3)
    assert (found.flagged, found.reason) == (False, "Days late: measured (9, 8.5, 8 days).")


def test_nothing_due_yet_is_not_flagged():
    assert not_measuring(on_time([]), periods=3).flagged is False


def test_a_promise_without_a_measure_customers_feel_is_not_judged():
    found = promise_at_risk("Deliver", PROMISE, [], **THRESHOLDS)

    assert (found.flagged, found.reason) == (None, "“Deliver”: no measure customers feel.")
