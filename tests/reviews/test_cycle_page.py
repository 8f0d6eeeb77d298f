"""The cycle page's selector reads in one query what services and standings read in several."""

from datetime import timedelta

import pytest

from reviews import selectors, services, standings
from reviews.models import ReviewCycle
from tests.reviews.test_snapshot_reads import close_quarter

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_quarters(current_position, commitments, head, other_head, executive):
    q3 = close_quarter(
        current_position,
        fiscal_year=2025,
        quarter=3,
        by=executive,
        scores={"logistics": (head, 3), "finance": (other_head, 4)},
    )
    q4 = close_quarter(
        current_position,
        fiscal_year=2025,
        quarter=4,
        by=executive,
        scores={"logistics": (head, 4), "finance": (other_head, 5)},
    )
    return q3, q4


def test_a_cycle_comes_with_its_previous_review_its_counts_and_its_frozen_index(
    closed_quarters, cycle, django_assert_num_queries
):
    q3, q4 = closed_quarters
    for shown in (q3, q4, cycle):
        with django_assert_num_queries(1):
            found, previous = selectors.cycle_and_previous(shown.pk)

        assert found == shown
        expected = services.previous_cycle(shown)
        assert previous == expected
        counts = standings.completion(shown)
        assert standings.completion_of(found.submitted, found.draft, found.not_started) == counts
        if expected is not None:
            assert previous.frozen_index == standings.previous_figures(expected)["index"]
        for today in (shown.period_start - timedelta(days=1), shown.period_start):
            assert found.is_future_quarter(
                today=today, first_month=selectors._first_month(found)
            ) == shown.is_future_quarter(today=today)


def test_the_previous_figures_read_with_the_summary_are_those_of_the_stored_rows(
    closed_quarters, cycle
):
    found, previous = selectors.cycle_and_previous(cycle.pk)
    current = standings.summary(found, previous=previous)

    read_with = standings.previous_figures(previous, current=current)
    stored = standings.previous_figures(previous)

    assert read_with["index"] == stored["index"]
    shown = {o["id"] for o in current["objectives"]}
    assert read_with["objectives"] == {o: s for o, s in stored["objectives"].items() if o in shown}


def test_an_unknown_cycle_is_not_found():
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.cycle_and_previous(ReviewCycle.objects.count() + 999)
