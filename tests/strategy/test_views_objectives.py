import pytest
from pytest_django.asserts import assertContains, assertRedirects

from strategy.models import Lever, Measure, Objective
from tests.factories import (
    CommitmentFactory,
    MeasureFactory,
    UnitFactory,
    make_draft_position,
    objective_data,
    objective_edit_data,
)

pytestmark = pytest.mark.django_db


def history_row(field: str, before: str, after: str) -> str:
    return f'<tr><th scope="row">{field}</th><td>{before}</td><td>{after}</td></tr>'


# --- Adding, editing, ordering and removing ------------------------------------------------


def test_an_executive_adds_an_objective_with_measures_at_the_end(login, executive, draft_position):
    priority = draft_position.priorities.get()
    data = objective_data(
        owner=executive,
        customer_priority=priority.pk,
        measures=[("Customers advised", "%", 20, 60), ("Returns", "orders", 300, 150)],
    )

    response = login(executive).post("/strategy/positions/2027/objectives/new/", data)

    assertRedirects(response, "/strategy/positions/2027/")
    objective = draft_position.objectives.get(title="Advise every customer")
    assert objective.customer_priority == priority
    assert objective.order == draft_position.objectives.exclude(pk=objective.pk).get().order + 1
    assert list(objective.measures.values_list("name", "target")) == [
        ("Customers advised", 60),
        ("Returns", 150),
    ]


def test_an_objective_with_a_bad_measure_saves_nothing(login, executive, draft_position):
    data = objective_data(owner=executive, measures=[("Customers advised", "%", "lots", 60)])

    response = login(executive).post("/strategy/positions/2027/objectives/new/", data)

    assertContains(response, "Nothing was saved: please correct the errors below.")
    assert not Objective.objects.filter(title="Advise every customer").exists()
    assert not Measure.objects.exists()


def test_an_executive_edits_an_objective_and_its_measures_and_sees_the_history(
    login, executive, draft_position
):
    objective = draft_position.objectives.get()
    title_before = objective.title
    MeasureFactory(objective=objective, name="Advice rate", target=50)
    data = objective_edit_data(objective, title="Advise before selling")
    data["measures-0-target"] = "75"
    client = login(executive)

    response = client.post(f"/strategy/objectives/{objective.pk}/edit/", data)

    assertRedirects(response, f"/strategy/objectives/{objective.pk}/")
    objective.refresh_from_db()
    assert objective.title == "Advise before selling"
    assert objective.measures.get().target == 75
    page = client.get(response.url)
    assertContains(page, f"<strong>{executive.get_full_name()}</strong> changed objective")
    assertContains(page, history_row("Title", title_before, "Advise before selling"), html=True)
    assertContains(page, f"<strong>{executive.get_full_name()}</strong> changed measure")
    assertContains(page, history_row("Target", "50.00", "75.00"), html=True)
    # The position's history tells the story of its objectives too.
    assertContains(
        client.get("/strategy/positions/2027/"), 'href="/strategy/positions/2027/history/"'
    )
    position_history = client.get("/strategy/positions/2027/history/")
    assertContains(
        position_history, history_row("Title", title_before, "Advise before selling"), html=True
    )


def test_moving_an_objective_down_swaps_it_with_the_next(login, executive):
    draft = make_draft_position(fiscal_year=2027, owner=executive, objectives=2)
    first, second = draft.objectives.order_by("order")

    response = login(executive).post(f"/strategy/objectives/{first.pk}/move/down/")

    assertRedirects(response, "/strategy/positions/2027/#objectives")
    assert list(draft.objectives.order_by("order")) == [second, first]


def test_an_unknown_move_direction_is_not_found(login, executive, draft_position):
    objective = draft_position.objectives.get()

    response = login(executive).post(f"/strategy/objectives/{objective.pk}/move/sideways/")

    assert response.status_code == 404


def test_removing_an_objective_of_a_draft_deletes_it(login, executive, draft_position):
    objective = draft_position.objectives.get()

    response = login(executive).post(f"/strategy/objectives/{objective.pk}/remove/", follow=True)

    assertContains(response, f"Objective “{objective.title}” deleted.")
    assert not Objective.objects.filter(pk=objective.pk).exists()


def test_removing_an_objective_of_the_published_strategy_retires_it(
    login, executive, current_position
):
    objective = current_position.objectives.first()

    response = login(executive).post(f"/strategy/objectives/{objective.pk}/remove/", follow=True)

    assertContains(response, "retired; it stays in the history with its commitments.")
    objective.refresh_from_db()
    assert objective.is_retired
    assert objective not in Objective.objects.active()


def test_the_objective_page_names_the_first_committed_teams_and_pages_the_commitments(
    login, executive, current_position
):
    objective = current_position.objectives.first()
    teams = [UnitFactory(name=f"Team {n:02}") for n in range(30)]
    for team in teams:
        CommitmentFactory(unit=team, objective=objective, statement=f"{team.name} people")
        CommitmentFactory(
            unit=team, objective=objective, lever=Lever.PROCESSES, statement=f"{team.name} rules"
        )
    client = login(executive)

    first = client.get(objective.get_absolute_url())
    second = client.get(objective.get_absolute_url(), {"page": 2})

    assert first.context["body"]()["team_names"] == [f"Team {n:02}" for n in range(10)]
    assertContains(first, "and 20 more (30 in all)")
    assertContains(first, "Commitments 1 to 50 of 60.")
    assertContains(first, "Team 00 people")
    assertContains(first, "Team 24 rules")
    assert "Team 25 people" not in first.content.decode()
    assertContains(second, "Commitments 51 to 60 of 60.")
    assertContains(second, "Team 29 rules")
