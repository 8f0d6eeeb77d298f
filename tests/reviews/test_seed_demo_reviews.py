"""The demo's review history: four closed quarters and an open one, with a story to tell."""

from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.utils import timezone

from reviews import agenda, services
from reviews.models import Action, AlignmentCheck, CheckItem, FrozenScore, ReviewCycle
from strategy import outcomes
from strategy.models import Commitment, Measure, MeasureActual, Unit

pytestmark = pytest.mark.django_db


def seed_demo() -> None:
    call_command("seed_demo", stdout=StringIO())


def closed_cycles() -> list[ReviewCycle]:
    return list(ReviewCycle.objects.quarterly().closed().chronological())


def open_cycle() -> ReviewCycle:
    return ReviewCycle.objects.get(state=ReviewCycle.State.OPEN)


def team_fits(code: str) -> list[float]:
    unit = Unit.objects.get(code=code)
    return [
        FrozenScore.objects.for_team(unit.pk).get(cycle=cycle).score for cycle in closed_cycles()
    ]


def open_agenda() -> list[agenda.AgendaItem]:
    cycle = open_cycle()
    previous = services.previous_cycle(cycle)
    return agenda.build(services.results(cycle), services.results(previous))


def test_demo_has_four_closed_quarters_before_the_open_one():
    seed_demo()

    closed, current = closed_cycles(), open_cycle()
    quarters = [(c.fiscal_year, c.quarter) for c in [*closed, current]]
    assert len(closed) == 4
    assert ReviewCycle.objects.count() == 5
    # Consecutive quarters, the open one last.
    for (year, quarter), (next_year, next_quarter) in pairwise(quarters):
        assert (next_year, next_quarter) == ((year, quarter + 1) if quarter < 4 else (year + 1, 1))
    assert current.period_start <= timezone.localdate() <= current.period_end
    assert current.due_on > timezone.localdate()
    # Opened after the last closed review, so that its open actions carry over.
    assert current.opens_on >= closed[-1].opens_on
    assert services.previous_cycle(current) == closed[-1]


def test_every_closed_quarter_is_frozen_with_an_index_and_scores():
    seed_demo()

    for index, cycle in enumerate(closed_cycles()):
        assert cycle.snapshot["index"] is not None, cycle.label
        assert FrozenScore.objects.company().filter(cycle=cycle).exists(), cycle.label
        assert FrozenScore.objects.cells().filter(cycle=cycle).exists(), cycle.label
        assert cycle.closed_by.username == "exec"
        for check in cycle.checks.select_related("unit"):
            assert check.is_submitted
            # Only Inside sales is late, and only twice: the demo's lateness signal.
            late = check.unit.code == "inside-sales" and index in (1, 3)
            assert check.is_late == late, check


def test_the_demo_trips_every_sustained_alignment_signal():
    from django.utils import timezone

    from sustain import board

    seed_demo()

    result = board.board(now=timezone.now())
    reasons = " ".join(s["reason"] for s in result["signals"])
    kinds = {s["kind"] for s in result["signals"]}
    assert {"roller", "complacency", "funding", "promise"} <= kinds
    assert "Logistics: " in reasons and "changed direction" in reasons
    assert "Inside sales: missed or late in 2 of the last 4 reviews." in reasons
    assert any(s["subject"] == "Finance" for s in result["streaks"])
    assert any(row["read"] for row in result["acknowledgement"])
    assert any(row["kept"].closed_on_time is False for row in result["cadence"])


def test_open_quarter_has_submitted_draft_and_not_started_checks():
    seed_demo()

    states = list(open_cycle().checks.values_list("state", flat=True))
    assert states.count(AlignmentCheck.State.SUBMITTED) == 4
    assert states.count(AlignmentCheck.State.DRAFT) == 2
    assert states.count(AlignmentCheck.State.NOT_STARTED) == 1
    drafts = CheckItem.objects.filter(
        alignment_check__cycle=open_cycle(), alignment_check__state=AlignmentCheck.State.DRAFT
    )
    assert not any(item.is_complete for item in drafts)
    assert any(item.score_people is not None for item in drafts)


def test_open_quarters_agenda_has_an_item_of_every_kind():
    seed_demo()

    kinds = {item.kind for item in open_agenda()}

    assert kinds == {"drop", "low", "disagreement", "unsupported", "missing"}


def test_open_action_from_an_earlier_quarter_carries_over_to_the_open_one():
    seed_demo()

    carried = list(services.open_actions_for(open_cycle()))

    assert carried
    assert all(action.cycle.is_closed for action in carried)
    assert any(action.agenda_item for action in carried)
    assert Action.objects.filter(completed_at__isnull=False).exists()


def test_logistics_goes_up_and_down_every_quarter():
    seed_demo()

    fits = team_fits("logistics")

    changes = [after - before for before, after in pairwise(fits)]
    assert all(abs(change) >= 30 for change in changes)
    assert all(a * b < 0 for a, b in pairwise(changes))


def test_finance_stays_high_in_every_closed_quarter():
    seed_demo()

    assert all(fit >= 75 for fit in team_fits("finance"))


def test_hr_gives_the_same_scores_and_words_every_quarter():
    seed_demo()

    answers = {
        (item.objective_id, tuple(item.lever_scores().values()), item.evidence, item.blockers)
        for item in CheckItem.objects.filter(
            alignment_check__unit__code="hr",
            alignment_check__state=AlignmentCheck.State.SUBMITTED,
        )
    }
    objectives = Commitment.objects.filter(unit__code="hr").values("objective").distinct()
    assert len(answers) == objectives.count()


def test_outside_sales_scores_every_lever_5_and_never_changes_a_commitment():
    seed_demo()

    items = CheckItem.objects.filter(alignment_check__unit__code="outside-sales")
    assert items.count() == 10  # two objectives in each of the five quarters
    assert all(set(item.lever_scores().values()) == {5} for item in items)
    commitments = Commitment.objects.filter(unit__code="outside-sales")
    assert Commitment.history.filter(id__in=commitments).count() == commitments.count()


def test_a_missing_quarter_is_added_again_and_the_others_are_left_alone():
    seed_demo()
    open_cycle().delete()
    closed = {c.pk: c.snapshot for c in closed_cycles()}

    seed_demo()

    assert {c.pk: c.snapshot for c in closed_cycles()} == closed
    assert open_cycle().checks.count() == 7


def test_the_demo_trips_every_measured_outcome_signal():
    from sustain import board

    seed_demo()
    seed_demo()  # a second run adds no values

    result = board.board(now=timezone.now())
    found = {(s["kind"], s["subject"]) for s in result["signals"]}
    assert ("say_do", "Finance") in found
    assert ("roller_outcomes", "On-time, in-full deliveries") in found
    assert ("promise_risk", "Keep the right inventory in stock") in found
    # Finance's cost to serve is behind plan but internal: a say-do gap, no promise at risk.
    assert ("promise_risk", "Fund the service promise") not in found
    assert ("not_measuring", "Customer-facing staff certified on the core product lines") in found
    assert ("not_measuring", "Calls answered within 60 seconds") in found
    measure = Measure.objects.get(
        name="Cost to serve as a share of sales", objective__position__is_current=True
    )
    assert measure.reporting_team.code == "finance"
    assert measure.direction == Measure.Direction.LOWER
    assert measure.customer_felt is False
    assert len(outcomes.measure_series(measure)) >= 8
    assert MeasureActual.objects.filter(measure__name=measure.name).count() == 8
