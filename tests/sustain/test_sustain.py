"""The signal formulas of sustain.measures against series worked out by hand (docs/signals.md).

Defaults as in the docs: a window of 4 quarters, a mean change of at least 15 points and at
least 2 reversals for a roller-coaster, a target score of 75, and funding flagged below 0.5 ×
the weight share.
"""

from datetime import date

import pytest
from django.utils import translation

from sustain import measures
from sustain.measures import TOO_SHORT

ROLLER = {"window": 4, "min_mean_change": 15, "min_reversals": 2}
LABELS = {"inventory": "Inventory and materials", "processes": "Processes and policies"}
LABELS |= {"people": "People and skills", "funding": "Funding"}

# --- 1. Roller-coaster -----------------------------------------------------------------------

# (series, flagged, mean change, reversals, window)
ROLLER_CASES = {
    # changes 0, 0, 0 → mean 0; no direction at all → 0 reversals.
    "flat": ([60, 60, 60, 60], False, 0, 0, 4),
    # +10, +10, +10 → mean 10; always up → 0 reversals.
    "rising": ([40, 50, 60, 70], False, 10, 0, 4),
    # −20, −20, −20 → mean 20, over the threshold, but always down → 0 reversals.
    "falling": ([90, 70, 50, 30], False, 20, 0, 4),
    # The docs' Logistics: −41, +38, −41 → 120 / 3 = 40; down, up, down → 2 reversals.
    "alternating": ([82, 41, 79, 38], True, 40, 2, 4),
    # +2, −1, +2 → 5 / 3 ≈ 1.67: it alternates (2 reversals) but under the 15 points.
    "small alternation": ([60, 62, 61, 63], False, 5 / 3, 2, 4),
    # +15, −15, +15 → exactly 15, and 2 reversals: "at least" both, so flagged.
    "alternation at the threshold": ([50, 65, 50, 65], True, 15, 2, 4),
    # −40, +50, +5 → 95 / 3 ≈ 31.7, but down, up, up is 1 reversal only.
    "one reversal": ([80, 40, 90, 95], False, 95 / 3, 1, 4),
    # +30, 0, −30 → 60 / 3 = 20; the zero change is ignored: up, down → 1 reversal.
    "a flat step is no reversal": ([50, 80, 80, 50], False, 20, 1, 4),
    # Window 5: +30, 0, −30, +30 → 90 / 4 = 22.5; up, down, up → 2 reversals.
    "a flat step between reversals": ([50, 80, 80, 50, 80], True, 22.5, 2, 5),
    # Window 5, a gap skipped: 82, 41, 79, 38 → −41, +38, −41 → mean 40, 2 reversals.
    "with a gap": ([82, None, 41, 79, 38], True, 40, 2, 5),
    # Window 4 over 82, –, 41, 79: 82 → 41 → 79 is −41, +38 → 79 / 2 = 39.5, 1 reversal.
    "a gap leaves one reversal": ([82, None, 41, 79], False, 39.5, 1, 4),
    # Only the last 4 count: 60, 60, 60, 60 → flat, whatever came before.
    "window cuts an old roller-coaster": ([82, 41, 79, 38, 60, 60, 60, 60], False, 0, 0, 4),
    # The last 4 are the docs' example: flagged however calm it was before.
    "window keeps a recent roller-coaster": ([60, 60, 60, 60, 82, 41, 79, 38], True, 40, 2, 4),
}


@pytest.mark.parametrize(
    ("series", "flagged", "mean_change", "reversals", "window"),
    ROLLER_CASES.values(),
    ids=ROLLER_CASES.keys(),
)
def test_roller_coaster_against_hand_computed_series(
    series, flagged, mean_change, reversals, window
):
    result = measures.roller_coaster(series, **(ROLLER | {"window": window}))

    assert result.flagged is flagged
    assert result.mean_change == pytest.approx(mean_change)
    assert result.reversals == reversals


def test_the_roller_coaster_reason_gives_the_scores_the_mean_change_and_the_reversals():
    result = measures.roller_coaster([82, 41, 79, 38], name="Logistics", **ROLLER)

    assert result.reason == (
        "Logistics: 82, 41, 79, 38 over the last 4 quarters: moves 40 points a quarter on "
        "average and changed direction 2 times."
    )


def test_a_gap_shows_as_a_dash_in_the_reason():
    result = measures.roller_coaster([82, None, 41, 79, 38], name="Logistics", **ROLLER)

    # The window is the last 4 quarters: –, 41, 79, 38 → +38, −41 → 1 reversal.
    assert result.reason.startswith("Logistics: –, 41, 79, 38 over the last 4 quarters")
    assert result.flagged is False


TOO_SHORT_CASES = {
    "nothing": [],
    "one quarter": [82],
    "two quarters": [82, 41],
    "four quarters, two scored": [82, None, None, 41],
    "only gaps": [None, None, None, None],
    # The window (last 4) is 79, –, –, –: the earlier 82 and 41 are outside it.
    "the window leaves one score": [82, 41, 79, None, None, None],
}


@pytest.mark.parametrize("series", TOO_SHORT_CASES.values(), ids=TOO_SHORT_CASES.keys())
def test_fewer_than_three_scores_are_not_judged_and_the_reason_says_so(series):
    result = measures.roller_coaster(series, name="Logistics", **ROLLER)

    assert result.flagged is None  # neither flagged nor cleared
    assert result.mean_change is None
    assert result.reason.startswith("Logistics: Not enough quarters to judge")
    assert str(TOO_SHORT) == "Not enough quarters to judge"


def test_three_scores_are_enough_to_judge():
    # 100 → 0 → 100: −100, +100 → mean 100, 1 reversal → judged, not flagged.
    result = measures.roller_coaster([100, 0, 100], **ROLLER)

    assert result.flagged is False
    assert result.mean_change == 100
    assert result.reversals == 1


# --- 2. Streaks ------------------------------------------------------------------------------

STREAK_CASES = {
    "the docs' example": ([80, 70, 78, 81], 2),  # 81 and 78, then 70 < 75 ends it
    "at the target counts": ([75, 75, 75], 3),
    "just under the target": ([74.9], 0),
    "every quarter": ([100] * 8, 8),
    "nothing": ([], 0),
    "the latest quarter missing": ([80, 90, None], 0),
    "a gap ends the streak": ([80, None, 90, 76], 2),
    "the latest quarter below": ([90, 90, 60], 0),
}


@pytest.mark.parametrize(("series", "quarters"), STREAK_CASES.values(), ids=STREAK_CASES.keys())
def test_streak_counts_back_from_the_latest_quarter(series, quarters):
    assert measures.streak(series, target=75) == quarters


# --- 3. Complacency --------------------------------------------------------------------------

SCORES = (4, 3, 5, 4, 0, 4)


@pytest.mark.parametrize(
    ("current", "previous", "identical"),
    [
        ({1: (SCORES, "Trained 12 pickers.")}, {1: (SCORES, "Trained 12 pickers.")}, True),
        ({1: (SCORES, "Trained 12 pickers.")}, {1: (SCORES, "Trained 12 pickers!")}, False),
        ({1: (SCORES, "Same.")}, {1: ((4, 3, 5, 4, 0, 5), "Same.")}, False),
        ({1: (SCORES, "Same."), 2: (SCORES, "Same.")}, {1: (SCORES, "Same.")}, False),
        ({1: (SCORES, "Same.")}, None, False),  # no check last quarter
        ({}, {}, False),  # an empty check is never "identical"
    ],
    ids=[
        "word for word",
        "evidence changed",
        "a score changed",
        "objective added",
        "no previous",
        "empty",
    ],
)
def test_identical_check(current, previous, identical):
    assert measures.identical_check(current, previous) is identical


@pytest.mark.parametrize(
    ("scores", "changed", "flagged"),
    [
        ([5, 5, 5, 5, 5, 5], False, True),
        ([5, 5, 0, 5, None, 5], False, True),  # not applicable (0) and unscored left out
        ([5, 5, 4, 5, 5, 5], False, False),
        ([5, 5, 5, 5, 5, 5], True, False),  # a commitment changed: the fives may be earned
        ([0, 0, None], False, False),  # nothing counted: nothing to be complacent about
        ([], False, False),
    ],
    ids=["all five", "n/a aside", "one four", "commitments changed", "only n/a", "empty"],
)
def test_all_maximum(scores, changed, flagged):
    assert measures.all_maximum(scores, commitments_changed=changed) is flagged


@pytest.mark.parametrize(
    ("submissions", "late"),
    [
        ([True, True, True, True], 0),
        ([True, False, None, True], 2),  # False: late; None: missed
        ([None, None], 2),
        ([], 0),
    ],
)
def test_late_count_counts_late_and_missed_checks(submissions, late):
    assert measures.late_count(submissions) == late


@pytest.mark.parametrize(
    ("decisions", "revised_or_new", "flagged"),
    [
        (["kept", "kept", "kept"], 0, True),
        (["kept", "revised"], 1, False),
        (["kept", "retired"], 1, False),
        (["kept", "kept"], 1, False),  # kept everything but added an objective
        (["kept", ""], 0, False),  # a decision still missing
        ([], 0, False),  # nothing carried over: not a refresh
    ],
)
def test_refresh_without_discussion(decisions, revised_or_new, flagged):
    assert measures.refresh_without_discussion(decisions, revised_or_new=revised_or_new) is flagged


# --- 4. Funding follows priorities -----------------------------------------------------------


def test_funding_shares_and_misallocation_index_worked_by_hand():
    # Weights 30 + 50 + 20 = 100; funding 13,000 + 57,000 + 30,000 = 100,000; people 1 + 3 + 0.
    shares, index = measures.funding_shares(
        [
            ("a", "Deliver on time", 30, 13_000, 1),
            ("b", "Advise every customer", 50, 57_000, 3),
            ("c", "Fair prices", 20, 30_000, 0),
        ],
        min_ratio=0.5,
    )
    a, b, c = shares

    # A: 30% of the weight, 13% of the money (13 < 0.5 × 30 = 15), 1 / 4 = 25% of the people.
    assert (a.weight_share, a.funding_share, a.people_share) == pytest.approx((30, 13, 25))
    assert a.flagged
    assert a.reason == (
        "“Deliver on time” carries 30% of the priority weight but gets 13% of the committed "
        "funding and 25% of the people-and-skills commitments."
    )
    # B: 50% weight, 57% money, 75% people; C: 20% weight, 30% money, 0% people.
    assert (b.weight_share, b.funding_share, b.people_share) == pytest.approx((50, 57, 75))
    assert (c.weight_share, c.funding_share, c.people_share) == pytest.approx((20, 30, 0))
    assert not b.flagged
    assert not c.flagged
    # Half of |13 − 30| + |57 − 50| + |30 − 20| = (17 + 7 + 10) / 2 = 17.
    assert index == pytest.approx(17)


def test_a_funding_share_of_exactly_half_the_weight_share_is_not_flagged():
    # A: 30% of the weight, 15% of the money: 15 is not below 0.5 × 30.
    shares, index = measures.funding_shares(
        [("a", "A", 30, 15, 0), ("b", "B", 70, 85, 0)], min_ratio=0.5
    )

    assert [s.flagged for s in shares] == [False, False]
    assert index == pytest.approx(15)  # (|15 − 30| + |85 − 70|) / 2


def test_the_ratio_is_a_threshold():
    # 13% against 0.4 × 30 = 12: not below any more.
    shares, _ = measures.funding_shares(
        [("a", "A", 30, 13, 0), ("b", "B", 70, 87, 0)], min_ratio=0.4
    )

    assert not shares[0].flagged


def test_money_following_the_weights_exactly_gives_index_zero():
    shares, index = measures.funding_shares(
        [("a", "A", 60, 600, 0), ("b", "B", 40, 400, 0)], min_ratio=0.5
    )

    assert not any(s.flagged for s in shares)
    assert index == 0


def test_all_money_where_no_weight_is_gives_index_one_hundred():
    # X: 100% of the weight, no money; Y: no weight, all the money → (100 + 100) / 2.
    shares, index = measures.funding_shares(
        [("x", "X", 100, 0, 0), ("y", "Y", 0, 50, 0)], min_ratio=0.5
    )

    assert [s.flagged for s in shares] == [True, False]
    assert index == 100


def test_no_funding_at_all_has_no_index():
    shares, index = measures.funding_shares(
        [("a", "A", 60, 0, 2), ("b", "B", 40, 0, 2)], min_ratio=0.5
    )

    assert index is None
    assert [s.funding_share for s in shares] == [0, 0]
    assert [s.people_share for s in shares] == [50, 50]


def test_no_weight_at_all_gives_nothing():
    assert measures.funding_shares([], min_ratio=0.5) == ([], None)


# --- 5. Promises backed inside ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("promise", "topics", "levers"),
    [
        ("Your order arrives on the date we promise.", ["delivery"], ["inventory", "processes"]),
        ("Expert advice at every counter.", ["service"], ["people"]),
        ("Fair prices, no surprises.", ["price"], ["processes"]),
        (
            "Right first time quality at a fair price.",
            ["quality", "price"],
            ["processes", "people"],  # processes once, though both topics need it
        ),
        (
            "In stock, with expert advice.",
            ["delivery", "service"],
            ["inventory", "processes", "people"],
        ),
        ("Bold new ideas.", [], []),
    ],
)
def test_promise_needs(promise, topics, levers):
    assert measures.promise_needs(promise) == (topics, levers)


def _backed(promise, levers, scores):
    return measures.promise_backed(
        "Deliver on time",
        promise,
        committed_levers=set(levers),
        team_scores=scores,
        target=75,
        lever_labels=LABELS,
    )


DELIVERY = "Your order arrives on the date we promise."


def test_a_promise_no_team_commits_to_is_flagged():
    check = _backed(DELIVERY, [], {})

    assert check.flagged
    assert check.missing_levers == ["inventory", "processes"]
    assert check.reason == "“Deliver on time”: promised to customers, no team backs it."


def test_a_promise_missing_a_lever_it_needs_is_flagged():
    check = _backed(DELIVERY, ["inventory", "people"], {"Logistics": 90})

    assert check.flagged
    assert check.missing_levers == ["processes"]
    assert check.reason == (
        "“Deliver on time”: a delivery promise with no commitment on processes and policies."
    )


def test_teams_under_the_target_on_average_are_named():
    # Scored teams: Logistics 25 and Finance 75 (HR has no score) → mean 50 < 75; only
    # Logistics is under 75.
    check = _backed(
        DELIVERY, ["inventory", "processes"], {"Logistics": 25, "Finance": 75, "HR": None}
    )

    assert check.flagged
    assert check.weak_teams == ["Logistics"]
    assert check.reason == (
        "“Deliver on time”: its teams average 50, under the target of 75 (Logistics below it)."
    )


def test_a_reason_names_the_lowest_few_teams_and_counts_the_rest():
    # 40 teams back the promise: 30 of them under the target (scores 10..39), 10 above it.
    scores = {f"Team {n:02d}": float(n) for n in range(10, 40)}
    scores |= {f"Top {n:02d}": 95.0 for n in range(10)}
    check = _backed(DELIVERY, ["inventory", "processes"], scores)

    assert check.flagged
    assert len(check.weak_teams) == 30  # every team under it is still known
    assert check.reason == (
        "“Deliver on time”: its teams average 42, under the target of 75 (Team 10, Team 11, "
        "Team 12, Team 13, Team 14 and 25 more below it)."
    )
    with translation.override("de"):
        assert "Team 14 und 25 weitere darunter" in check.reason


def test_up_to_five_teams_under_the_target_are_all_named():
    scores = {"E": 10.0, "D": 20.0, "C": 30.0, "B": 40.0, "A": 50.0, "Top": 100.0}
    check = _backed(DELIVERY, ["inventory", "processes"], scores)

    assert check.reason.endswith("(A, B, C, D, E below it).")


def test_one_more_team_under_the_target_is_counted_in_the_singular():
    scores = {name: 10.0 for name in "ABCDEF"}
    with translation.override("de"):
        reason = _backed(DELIVERY, ["inventory", "processes"], scores).reason

    assert "(A, B, C, D, E und 1 weiteres darunter)" in reason


def test_one_team_under_the_target_is_not_flagged_when_the_mean_reaches_it():
    # 70 and 90 → mean 80 ≥ 75.
    check = _backed(DELIVERY, ["inventory", "processes"], {"Logistics": 70, "Finance": 90})

    assert not check.flagged
    assert check.weak_teams == []


def test_both_problems_are_given():
    check = _backed(DELIVERY, ["inventory"], {"Logistics": 0, "Finance": 50})

    assert check.reason == (
        "“Deliver on time”: a delivery promise with no commitment on processes and policies; "
        "its teams average 25, under the target of 75 (Finance, Logistics below it)."
    )


def test_a_backed_promise():
    check = _backed(DELIVERY, ["inventory", "processes"], {"Logistics": 75, "Finance": None})

    assert not check.flagged
    assert check.reason == "“Deliver on time”: backed."


def test_a_promise_naming_no_topic_needs_any_commitment():
    assert not _backed("Bold new ideas.", ["funding"], {}).flagged
    assert _backed("Bold new ideas.", [], {}).flagged


# --- 6. Communicated inside ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "members", "share"), [(3, 4, 75), (0, 5, 0), (2, 2, 100), (0, 0, None)]
)
def test_acknowledged_share(read, members, share):
    assert measures.acknowledged_share(read, members) == share


# --- 7. Review cadence kept ------------------------------------------------------------------

OPENS, DUE = date(2026, 4, 5), date(2026, 4, 19)  # grace: closed by 19 April + 14 = 3 May


@pytest.mark.parametrize(
    ("opened", "closed", "teams", "on_time", "expected"),
    [
        (date(2026, 4, 5), date(2026, 5, 3), 4, 3, (True, True, 75)),
        (date(2026, 4, 4), date(2026, 4, 26), 2, 2, (True, True, 100)),  # early is on time
        (date(2026, 4, 6), date(2026, 5, 4), 4, 0, (False, False, 0)),  # a day late each
        (None, None, 0, 0, (None, None, None)),  # never opened, no team
    ],
)
def test_cadence_kept(opened, closed, teams, on_time, expected):
    kept = measures.cadence_kept(
        opens_on=OPENS,
        due_on=DUE,
        opened_on=opened,
        closed_on=closed,
        close_grace_days=14,
        teams=teams,
        on_time=on_time,
    )

    assert (kept.opened_on_time, kept.closed_on_time, kept.submitted_on_time) == expected


def test_promise_topics_are_whole_words():
    # "update" is not about a date, "recall" is not a call; "dates" still is.
    assert measures.promise_needs("We update the catalogue and recall faulty parts.") == ([], [])
    assert measures.promise_needs("Delivery dates you can plan around.")[0] == ["delivery"]


def test_with_no_funding_committed_no_objective_is_flagged_under_funded():
    shares, index = measures.funding_shares(
        [("a", "A", 60, 0.0, 1), ("b", "B", 40, 0.0, 0)], min_ratio=0.5
    )
    assert [s.flagged for s in shares] == [False, False]
    assert index is None
