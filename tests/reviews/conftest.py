"""The review fixtures: the FY2026 strategy, what Logistics and Finance commit to, and a cycle.

docs/scoring.md's worked example: objective A (weight 60) and B (weight 40); Logistics commits
to both, Finance to A. `worked_example` scores and submits both checks as the docs do.
"""

from decimal import Decimal

import pytest

from reviews import services
from reviews.models import LEVERS, NOT_APPLICABLE
from strategy.models import Lever
from tests.factories import CommitmentFactory, MeasureFactory, make_open_cycle

NA = NOT_APPLICABLE

# Lever scores in the order of LEVERS: people, incentives, inventory, processes, funding,
# communication.
WORKED_EXAMPLE = {
    ("logistics", "A"): (4, 3, 5, 4, NA, 4),  # mean 4.0, fit 75
    ("logistics", "B"): (2, 2, 3, 2, 1, 2),  # mean 2.0, fit 25
    ("finance", "A"): (5, 5, NA, 5, 5, 5),  # mean 5.0, fit 100
}


def levers(values) -> dict:
    """Lever → score from a tuple in the order of LEVERS, or one score for every lever."""
    if isinstance(values, int):
        values = (values,) * len(LEVERS)
    return dict(zip(LEVERS, values, strict=True))


def score_check(check, *, by, scores: dict, submit: bool = True, version=None):
    """Save a check with per-objective scores: {objective: tuple or int}; others left as is."""
    items = {
        item.pk: services.ItemInput(scores=levers(scores[item.objective]), evidence="", blockers="")
        for item in check.items.select_related("objective")
        if item.objective in scores
    }
    check.refresh_from_db()
    return services.check_save(
        check=check,
        version=check.version if version is None else version,
        items=items,
        statuses={},
        by=by,
        submit=submit,
    )


@pytest.fixture
def score():
    """`score(check, by=head, scores={objective: (4, 3, 5, 4, 0, 4) or 4}, submit=True)`."""
    return score_check


@pytest.fixture
def objectives(current_position):
    """Objective A (weight 60) and objective B (weight 40) of the FY2026 strategy."""
    a, b = current_position.objectives.order_by("order")
    a.title, a.priority_weight = "Deliver on the promised date", 60
    b.title, b.priority_weight = "Advise every customer", 40
    a.save()
    b.save()
    return a, b


@pytest.fixture
def commitments(logistics, finance, objectives):
    a, b = objectives
    return {
        "logistics A": CommitmentFactory(unit=logistics, objective=a, lever=Lever.PEOPLE),
        "logistics B": CommitmentFactory(unit=logistics, objective=b, lever=Lever.PROCESSES),
        "finance A": CommitmentFactory(unit=finance, objective=a, lever=Lever.FUNDING),
    }


@pytest.fixture
def cycle(current_position, commitments, head, other_head):
    """Q1 FY2026, open: a check for Logistics (A and B) and one for Finance (A)."""
    return make_open_cycle(current_position, quarter=1)


@pytest.fixture
def logistics_check(cycle, logistics):
    return cycle.checks.get(unit=logistics)


@pytest.fixture
def finance_check(cycle, finance):
    return cycle.checks.get(unit=finance)


@pytest.fixture
def worked_example(cycle, objectives, logistics_check, finance_check, head, other_head):
    """Both checks of Q1 FY2026 scored as in docs/scoring.md, and submitted."""
    a, b = objectives
    score_check(
        logistics_check,
        by=head,
        scores={a: WORKED_EXAMPLE["logistics", "A"], b: WORKED_EXAMPLE["logistics", "B"]},
    )
    score_check(finance_check, by=other_head, scores={a: WORKED_EXAMPLE["finance", "A"]})
    cycle.refresh_from_db()
    return cycle


@pytest.fixture
def on_time(objectives, logistics):
    """Logistics reports A's on-time share each quarter: 80 → 96 plans 84 in Q1."""
    return MeasureFactory(
        objective=objectives[0],
        name="On-time share",
        baseline=Decimal("80"),
        target=Decimal("96"),
        reporting_team=logistics,
    )
