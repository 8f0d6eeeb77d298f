"""The trend axes: quarters in time order, whatever state each one is in."""

import pytest

from reviews import trends
from reviews.models import FrozenScore, ReviewCycle
from tests.factories import ReviewCycleFactory

pytestmark = pytest.mark.django_db


def test_an_open_quarter_is_drawn_before_a_later_one_that_has_closed(current_position):
    def quarter(year, number, state):
        return ReviewCycleFactory(
            position=current_position, fiscal_year=year, quarter=number, state=state
        )

    # Created out of order: Q4 FY2025 is still in review after Q1 FY2026 closed.
    q1_2026 = quarter(2026, 1, ReviewCycle.State.CLOSED)
    quarter(2025, 4, ReviewCycle.State.IN_REVIEW)
    q3_2025 = quarter(2025, 3, ReviewCycle.State.CLOSED)
    quarter(2026, 2, ReviewCycle.State.PLANNED)
    for cycle, score in ((q3_2025, 60.0), (q1_2026, 70.0)):
        FrozenScore.objects.create(cycle=cycle, score=score)

    chart = trends.company_chart()

    assert [p.label for p in chart.points] == ["Q3 FY2025", "Q4 FY2025 (open)", "Q1 FY2026"]
    assert [p.is_open for p in chart.points] == [False, True, False]
    assert [p.label for p in chart.points] == trends.overview()["labels"]
    xs = [p.x for p in chart.points]
    assert xs == sorted(xs)
