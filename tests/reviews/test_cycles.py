"""Opening, closing and ordering review cycles, and the actions that carry over between them."""

import copy
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reviews import services
from reviews.models import Action, AlignmentCheck, CheckItem, FrozenScore, ReviewCycle
from strategy.models import Commitment, Unit
from tests.factories import (
    CommitmentFactory,
    ObjectiveFactory,
    ReviewCycleFactory,
    UnitFactory,
    make_executive,
    make_published_position,
)

pytestmark = pytest.mark.django_db


def items_by_team(cycle) -> dict[str, set[str]]:
    items: dict[str, set[str]] = {}
    for check in cycle.checks.select_related("unit"):
        items[check.unit.code] = {i.objective.title for i in check.items.all()}
    return items


def heatmap(response) -> dict[str, list]:
    return {
        row["team"]["name"]: [c["score"] for c in row["cells"]]
        for row in response.context["heatmap"]
    }


def make_action(cycle, *, owner, by, title, done=False) -> Action:
    return Action.objects.create(
        cycle=cycle,
        title=title,
        owner=owner,
        due_on=date(2026, 9, 30),
        created_by=by,
        completed_at=timezone.now() if done else None,
    )


# --- Opening ---------------------------------------------------------------------------------


def test_opening_creates_a_check_per_active_functional_team_with_its_committed_objectives(
    current_position, commitments, logistics, finance, objectives
):
    a, b = objectives
    retired = ObjectiveFactory(position=current_position, title="Retired objective")
    CommitmentFactory(unit=finance, objective=retired)
    retired.retire()
    CommitmentFactory(unit=finance, objective=b, status=Commitment.Status.DROPPED)
    inactive = UnitFactory(name="Old depot", is_active=False)
    CommitmentFactory(unit=inactive, objective=a)
    business = UnitFactory(name="Retail", level=Unit.Level.BUSINESS, kind=Unit.Kind.REGION)
    CommitmentFactory(unit=business, objective=a)
    cycle = ReviewCycleFactory(position=current_position, quarter=1)

    created = services.cycle_open(cycle=cycle)

    cycle.refresh_from_db()
    assert created == 2
    assert cycle.state == ReviewCycle.State.OPEN
    assert cycle.opened_at is not None
    assert items_by_team(cycle) == {"finance": {a.title}, "logistics": {a.title, b.title}}
    assert set(cycle.checks.values_list("state", flat=True)) == {"not_started"}
    assert not CheckItem.objects.filter(is_extra=True).exists()


def test_a_team_committing_to_nothing_still_gets_an_empty_check(current_position, objectives):
    idle = UnitFactory(name="Facilities")
    cycle = ReviewCycleFactory(position=current_position, quarter=1)

    services.cycle_open(cycle=cycle)

    assert cycle.checks.get(unit=idle).items.count() == 0


def test_opening_twice_creates_nothing_twice(current_position, commitments):
    cycle = ReviewCycleFactory(position=current_position, quarter=1)

    assert services.cycle_open(cycle=cycle) == 2
    assert services.cycle_open(cycle=cycle) == 0

    assert AlignmentCheck.objects.filter(cycle=cycle).count() == 2
    assert CheckItem.objects.filter(alignment_check__cycle=cycle).count() == 3


def test_a_head_can_add_an_objective_the_team_does_not_commit_to(finance_check, objectives):
    a, b = objectives

    item = services.check_add_objective(check=finance_check, objective=b)
    again = services.check_add_objective(check=finance_check, objective=b)

    assert item.is_extra
    assert again.pk == item.pk
    assert {i.objective: i.is_extra for i in finance_check.items.all()} == {a: False, b: True}


def test_an_objective_of_another_strategy_cannot_be_added_to_a_check(finance_check, executive):
    other = make_published_position(fiscal_year=2025, by=executive, objectives=1)

    with pytest.raises(ValidationError, match="not part of the strategy under review"):
        services.check_add_objective(check=finance_check, objective=other.objectives.get())

    assert finance_check.items.count() == 1


# --- Closing ---------------------------------------------------------------------------------


def test_a_closed_cycle_shows_what_it_showed_when_it_closed_whatever_changes_later(
    client, worked_example, executive, objectives, logistics, finance
):
    cycle = worked_example
    a, b = objectives
    shown = copy.deepcopy(services.results(cycle))

    assert services.cycle_close(cycle=cycle, by=executive)

    cycle.refresh_from_db()
    frozen = copy.deepcopy(cycle.snapshot)
    assert {key: frozen[key] for key in shown} == shown  # what the open cycle showed
    a.priority_weight = 1
    a.save()
    finance.is_active = False
    finance.save()
    logistics.name = "Supply chain"
    logistics.save()
    CommitmentFactory(unit=finance, objective=b)
    cycle.refresh_from_db()
    assert services.build_snapshot(cycle)["index"] != 62.5  # live data would now differ
    assert services.results(cycle) == frozen
    client.force_login(executive)
    response = client.get(cycle.get_absolute_url())
    assert response.status_code == 200
    assert response.context["results"]["index"] == 62.5
    assert heatmap(response) == {"Finance": [100, None], "Logistics": [75, 25]}
    teams = {t["name"]: t["score"] for t in response.context["results"]["teams"]}
    assert teams == {"Finance": 100, "Logistics": pytest.approx(47.73, abs=0.005)}
    html = response.content.decode()
    assert '<p class="display-5 mb-0">63</p>' in html  # 62.5, rounded half up
    assert ">Logistics</a>" in html
    assert "Supply chain" not in html


def test_closing_stores_frozen_scores_for_the_index_objectives_teams_and_cells(
    worked_example, executive, objectives, logistics, finance
):
    a, b = objectives

    services.cycle_close(cycle=worked_example, by=executive)

    frozen = FrozenScore.objects.filter(cycle=worked_example)
    assert frozen.company().get().score == 62.5
    assert frozen.for_objective(a.pk).get().score == 87.5
    assert frozen.for_objective(b.pk).get().score == 25
    assert round(frozen.for_team(logistics.pk).get().score, 2) == 47.73
    assert frozen.for_team(finance.pk).get().score == 100
    assert {(f.objective_id, f.unit_id, f.score) for f in frozen.cells()} == {
        (a.pk, logistics.pk, 75),
        (b.pk, logistics.pk, 25),
        (a.pk, finance.pk, 100),
    }
    assert frozen.count() == 1 + 2 + 2 + 3


def test_closing_twice_is_a_no_op(worked_example, executive):
    services.cycle_close(cycle=worked_example, by=executive)
    worked_example.refresh_from_db()
    closed_at, snapshot = worked_example.closed_at, worked_example.snapshot

    assert not services.cycle_close(cycle=worked_example, by=make_executive(username="eve"))

    worked_example.refresh_from_db()
    assert worked_example.closed_at == closed_at
    assert worked_example.closed_by == executive
    assert worked_example.snapshot == snapshot
    assert FrozenScore.objects.filter(cycle=worked_example).count() == 8


def test_a_planned_cycle_cannot_be_closed(current_position, executive):
    cycle = ReviewCycleFactory(position=current_position, quarter=1)

    assert not services.cycle_close(cycle=cycle, by=executive)

    cycle.refresh_from_db()
    assert cycle.state == ReviewCycle.State.PLANNED
    assert cycle.snapshot is None


# --- Order of cycles, and what carries over ---------------------------------------------------


def test_the_previous_cycle_is_the_latest_earlier_quarter_across_fiscal_years(current_position):
    def make(year, quarter, state):
        return ReviewCycleFactory(
            position=current_position, fiscal_year=year, quarter=quarter, state=state
        )

    # Created out of order, so that neither creation order nor dates decide.
    q1_2026 = make(2026, 1, ReviewCycle.State.OPEN)
    q3_2025 = make(2025, 3, ReviewCycle.State.CLOSED)
    q4_2025 = make(2025, 4, ReviewCycle.State.CLOSED)
    q2_2025 = make(2025, 2, ReviewCycle.State.CLOSED)
    q2_2026 = make(2026, 2, ReviewCycle.State.PLANNED)
    q3_2026 = make(2026, 3, ReviewCycle.State.OPEN)
    annual = ReviewCycleFactory(
        position=current_position,
        kind=ReviewCycle.Kind.ANNUAL,
        quarter=None,
        fiscal_year=2026,
        opens_on=date(2025, 11, 1),
    )

    assert services.previous_cycle(q1_2026) == q4_2025
    assert services.previous_cycle(q4_2025) == q3_2025
    assert services.previous_cycle(q3_2025) == q2_2025
    assert services.previous_cycle(q2_2025) is None
    assert services.previous_cycle(q3_2026) == q1_2026  # a planned quarter is skipped
    assert services.previous_cycle(q2_2026) == q1_2026
    assert services.previous_cycle(annual) is None


def test_open_actions_carry_over_from_earlier_cycles_until_they_are_done(
    current_position, executive, logistics
):
    q4_2025 = ReviewCycleFactory(
        position=current_position, fiscal_year=2025, quarter=4, state=ReviewCycle.State.CLOSED
    )
    q1_2026 = ReviewCycleFactory(position=current_position, quarter=1, state="closed")
    q2_2026 = ReviewCycleFactory(position=current_position, quarter=2, state="open")
    q3_2026 = ReviewCycleFactory(position=current_position, quarter=3, state="planned")
    old_open = make_action(q4_2025, owner=logistics, by=executive, title="Hire two pickers")
    make_action(q4_2025, owner=logistics, by=executive, title="Fix the scanner", done=True)
    current = make_action(q1_2026, owner=logistics, by=executive, title="Review bonuses")
    later = make_action(q3_2026, owner=logistics, by=executive, title="Plan the peak season")

    assert list(services.open_actions_for(q1_2026)) == [old_open, current]
    assert list(services.open_actions_for(q4_2025)) == [old_open]

    old_open.complete()

    assert list(services.open_actions_for(q1_2026)) == [current]
    assert list(services.open_actions_for(q2_2026)) == [current]
    assert later in services.open_actions_for(q3_2026)


def test_another_years_open_actions_are_not_carried_over(current_position, executive, logistics):
    # Q4 FY2025 hands its open actions to Q1 FY2026, the review right after it; Q2 FY2026
    # shows only its own year's. The FY2026 refresh (opened in November 2025) takes over
    # FY2025's quarters opened before it, not FY2024's.
    def quarter(year, number, state=ReviewCycle.State.CLOSED):
        return ReviewCycleFactory(
            position=current_position, fiscal_year=year, quarter=number, state=state
        )

    q4_2024, q3_2025, q4_2025 = quarter(2024, 4), quarter(2025, 3), quarter(2025, 4)
    q1_2026, q2_2026 = quarter(2026, 1), quarter(2026, 2, ReviewCycle.State.OPEN)
    refresh_2026 = ReviewCycleFactory(
        position=current_position,
        kind=ReviewCycle.Kind.ANNUAL,
        quarter=None,
        fiscal_year=2026,
        opens_on=date(2025, 11, 1),
        due_on=date(2025, 12, 31),
    )
    ancient = make_action(q4_2024, owner=logistics, by=executive, title="Paint the depot")
    older = make_action(q3_2025, owner=logistics, by=executive, title="Count the stock")
    handed = make_action(q4_2025, owner=logistics, by=executive, title="Hire two pickers")
    this_year = make_action(q1_2026, owner=logistics, by=executive, title="Review bonuses")
    mine = make_action(q2_2026, owner=logistics, by=executive, title="Plan the peak season")

    assert list(services.open_actions_for(q1_2026)) == [handed, this_year]
    assert list(services.open_actions_for(q2_2026)) == [this_year, mine]
    assert list(services.open_actions_for(refresh_2026)) == [older]
    assert ancient not in services.open_actions_for(q4_2025)
