"""The scoring formulas of docs/scoring.md, against numbers worked out by hand."""

import pytest

from reviews import services
from reviews.scoring import (
    DISAGREEMENT_POINTS,
    compute,
    disagrees,
    fit,
    head_mean,
    normalise,
    weighted_index,
)

pytestmark = pytest.mark.django_db

NA = 0
LOGISTICS, FINANCE = 1, 2
A, B = 10, 20
# docs/scoring.md, "A worked example".
WORKED_EXAMPLE = [
    (LOGISTICS, A, (4, 3, 5, 4, NA, 4)),
    (LOGISTICS, B, (2, 2, 3, 2, 1, 2)),
    (FINANCE, A, (5, 5, NA, 5, 5, 5)),
]
WEIGHTS = {A: 60, B: 40}


def test_the_worked_example_of_the_docs_gives_an_index_of_62_5():
    results = compute(WORKED_EXAMPLE, WEIGHTS)

    assert results.cells == {(A, LOGISTICS): 75, (B, LOGISTICS): 25, (A, FINANCE): 100}
    # Eleven lever scores summing to 32: mean 2.909, normalised 47.73.
    assert results.teams[LOGISTICS] == pytest.approx((32 / 11 - 1) * 25)
    assert round(results.teams[LOGISTICS], 2) == 47.73
    assert results.teams[FINANCE] == 100
    assert results.objectives == {A: 87.5, B: 25}
    assert results.index == 62.5


def test_the_worked_example_scored_in_real_checks_gives_the_same_results(
    worked_example, objectives, logistics, finance
):
    a, b = objectives

    results = services.results(worked_example)

    assert results["index"] == 62.5
    teams = {t["id"]: t["score"] for t in results["teams"]}
    assert round(teams[logistics.pk], 2) == 47.73
    assert teams[finance.pk] == 100
    assert {o["id"]: o["score"] for o in results["objectives"]} == {a.pk: 87.5, b.pk: 25}
    assert sorted(map(tuple, results["cells"])) == sorted(
        [(a.pk, logistics.pk, 75), (b.pk, logistics.pk, 25), (a.pk, finance.pk, 100)]
    )


def test_normalise_maps_the_1_to_5_scale_to_0_to_100():
    assert normalise(1) == 0
    assert normalise(3) == 50
    assert normalise(5) == 100
    assert normalise(2.5) == 37.5


def test_not_applicable_is_left_out_of_the_mean_not_counted_as_zero():
    assert fit([5, 5, NA, 5, 5, 5]) == 100  # counted as zero, the mean would be 25 / 6
    assert fit([4, NA, NA, NA, NA, 2]) == 50
    assert head_mean([4, 3, 5, 4, NA, 4]) == 4.0


def test_not_applicable_on_every_lever_gives_no_score_at_all():
    assert fit([NA] * 6) is None
    assert head_mean([NA] * 6) is None

    results = compute([(LOGISTICS, A, (NA,) * 6)], WEIGHTS)

    assert results.cells == {}
    assert results.teams == {}
    assert results.objectives == {}
    assert results.index is None


def test_a_lever_not_scored_yet_is_left_out():
    assert fit([None, 3, None, 3, None, None]) == 50
    assert fit([None] * 6) is None
    assert head_mean([None, 2, NA]) == 2


def test_a_value_outside_1_to_5_never_counts():
    assert fit([6, 5, -1]) == 100


def test_an_objective_with_every_lever_not_applicable_does_not_weigh_on_the_team():
    # Logistics: A as in the docs (fit 75), B all N/A: the team's fit stays 75, not lower.
    results = compute([(LOGISTICS, A, (4, 3, 5, 4, NA, 4)), (LOGISTICS, B, (NA,) * 6)], WEIGHTS)

    assert results.teams == {LOGISTICS: 75}
    assert results.objectives == {A: 75}
    assert results.index == 75  # B has no score, so its weight does not count either


def test_a_team_fit_weighs_every_lever_score_the_same():
    # A: one applicable lever scored 5; B: six levers scored 1. Mean of 7 scores, not of fits.
    results = compute([(LOGISTICS, A, (5, NA, NA, NA, NA, NA)), (LOGISTICS, B, (1,) * 6)], {})

    assert results.teams[LOGISTICS] == pytest.approx(normalise(11 / 7))
    assert results.teams[LOGISTICS] != (100 + 0) / 2


def test_the_weighted_index_leaves_out_objectives_without_a_score():
    assert weighted_index({A: 80, B: None}, {A: 10, B: 90}) == 80
    assert weighted_index({A: 80, B: 20}, {A: 10, B: 30}) == 35
    assert weighted_index({A: None, B: None}, WEIGHTS) is None
    assert weighted_index({}, WEIGHTS) is None


def test_an_objective_score_is_the_plain_mean_of_the_teams_that_scored_it():
    results = compute(
        [(LOGISTICS, A, (2,) * 6), (FINANCE, A, (4,) * 6), (3, A, (NA,) * 6)], WEIGHTS
    )

    assert results.objectives[A] == (25 + 75) / 2  # the all-N/A team is not a third voice


def test_a_disagreement_starts_at_exactly_two_points():
    assert DISAGREEMENT_POINTS == 2
    assert disagrees(5, [3] * 6)  # 2 points: on the agenda
    assert disagrees(1, [3] * 6)  # either way round
    assert not disagrees(5, [3] * 9 + [4])  # head mean 3.1: 1.9 points
    assert not disagrees(1, [3] * 9 + [2])  # head mean 2.9: 1.9 points
    assert disagrees(5, [3, 3, 3, 3, 3, 2])  # head mean 2.83: 2.17 points


def test_a_disagreement_compares_with_the_head_mean_without_not_applicable_or_unscored():
    assert disagrees(5, [3, NA, NA, None, None, NA])
    assert not disagrees(5, [4, NA, NA, NA, NA, 3])  # head mean 3.5
    assert not disagrees(5, [NA] * 6)  # no head view: nothing to disagree with
    assert not disagrees(1, [None] * 6)


def test_the_head_mean_stays_on_the_1_to_5_scale():
    assert head_mean([4, 3, 5, 4, NA, 4]) == 4.0
    assert head_mean([2, 2, 3, 2, 1, 2]) == 2.0
    assert head_mean([1, 2]) == 1.5
