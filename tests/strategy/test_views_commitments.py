import re
from datetime import date

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from strategy.models import Commitment, Lever
from tests.factories import CommitmentFactory, UnitFactory, commitment_data

pytestmark = pytest.mark.django_db

NEW_URL = "/strategy/units/logistics/commitments/new/"


@pytest.fixture
def objectives(current_position):
    """The two objectives of the current strategy, in order, with readable titles."""
    first, second = current_position.objectives.order_by("order")
    first.title, second.title = "Deliver on the promised date", "Keep the right stock"
    first.save()
    second.save()
    return first, second


def field_error(response, field: str) -> str:
    """The error crispy shows under a field, found by the id that ties it to the field."""
    html = response.content.decode()
    match = re.search(rf'id="error_\d+_id_{field}"[^>]*>(.*?)</', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def test_a_head_adds_a_commitment_to_their_team(login, head, logistics, objectives):
    data = commitment_data(
        objectives[0], lever=Lever.INVENTORY, statement="Hold two weeks of stock."
    )

    response = login(head).post(NEW_URL, data, follow=True)

    assertRedirects(response, "/strategy/units/logistics/")
    assertContains(response, "Commitment added.")
    assertContains(response, "Hold two weeks of stock.")
    commitment = Commitment.objects.get()
    assert commitment.unit == logistics
    assert commitment.objective == objectives[0]
    assert commitment.lever == Lever.INVENTORY
    assert commitment.due_on == date(2026, 6, 30)


def test_a_funding_commitment_keeps_its_amount_and_currency(login, head, objectives):
    data = commitment_data(objectives[0], lever=Lever.FUNDING, amount="25000", currency="gbp")

    login(head).post(NEW_URL, data)

    commitment = Commitment.objects.get()
    assert (commitment.amount, commitment.currency) == (25000, "GBP")


def test_a_funding_commitment_without_an_amount_saves_nothing_and_says_why(login, head, objectives):
    data = commitment_data(objectives[0], lever=Lever.FUNDING, amount="", currency="EUR")

    response = login(head).post(NEW_URL, data)

    assert response.status_code == 200
    assertContains(response, "Nothing was saved: please correct the errors below.")
    assert field_error(response, "amount") == "A funding commitment needs an amount."
    assert not Commitment.objects.exists()


def test_a_due_date_before_the_fiscal_year_is_explained_under_the_date(login, head, objectives):
    response = login(head).post(NEW_URL, commitment_data(objectives[0], due_on="2025-06-30"))

    assert field_error(response, "due_on") == (
        "The due date is before fiscal year 2026, which starts on 01 January 2026."
    )
    assert not Commitment.objects.exists()


def test_the_new_commitment_form_offers_only_the_current_active_objectives(
    login, head, objectives, draft_position
):
    objectives[1].retire()

    response = login(head).get(f"{NEW_URL}?objective={objectives[0].pk}")

    field = response.context["form"].fields["objective"]
    assert list(field.queryset) == [objectives[0]]
    assert response.context["form"].initial["objective"] == objectives[0].pk


def test_a_team_cannot_commit_when_there_is_no_current_strategy(login, head, logistics):
    response = login(head).get(NEW_URL)

    assertContains(response, "There is no current strategy to commit to yet.")


def test_a_head_edits_a_commitment_and_the_change_shows_in_the_units_history(
    login, head, logistics, objectives
):
    commitment = CommitmentFactory(unit=logistics, objective=objectives[0])
    client = login(head)

    response = client.post(
        f"/strategy/commitments/{commitment.pk}/edit/",
        commitment_data(objectives[0], status=Commitment.Status.AT_RISK),
        follow=True,
    )

    assertRedirects(response, "/strategy/units/logistics/")
    assertContains(response, "Commitment saved.")
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.AT_RISK
    # The unit's page links to its history, which shows the change.
    assertContains(response, 'href="/strategy/units/logistics/history/"')
    history_page = client.get("/strategy/units/logistics/history/")
    assertContains(history_page, f"<strong>{head.get_full_name()}</strong> changed commitment")
    assertContains(
        history_page,
        '<tr><th scope="row">Status</th><td>Planned</td><td>At risk</td></tr>',
        html=True,
    )


def test_a_commitment_to_a_retired_objective_can_still_be_edited(
    login, head, logistics, objectives
):
    commitment = CommitmentFactory(unit=logistics, objective=objectives[0])
    objectives[0].retire()

    response = login(head).post(
        f"/strategy/commitments/{commitment.pk}/edit/",
        commitment_data(objectives[0], status=Commitment.Status.DONE),
    )

    assertRedirects(response, "/strategy/units/logistics/", fetch_redirect_response=False)
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.DONE


def test_the_unit_page_groups_commitments_by_objective_and_lists_the_rest(
    login, member, logistics, finance, objectives
):
    committed, uncommitted = objectives
    CommitmentFactory(unit=logistics, objective=committed, statement="Train the pickers.")
    CommitmentFactory(
        unit=logistics, objective=committed, lever=Lever.PROCESSES, statement="Ship at noon."
    )
    CommitmentFactory(unit=finance, objective=uncommitted, statement="Pay suppliers early.")

    response = login(member).get("/strategy/units/logistics/")

    assert response.context["body"]()["by_objective"] == {
        committed: list(Commitment.objects.filter(unit=logistics).order_by("lever"))
    }
    section = re.search(
        rf'<section [^>]*aria-labelledby="obj-{committed.pk}">(.*?)</section>',
        response.content.decode(),
        re.S,
    ).group(1)
    assert "Train the pickers." in section and "Ship at noon." in section
    assertNotContains(response, "Pay suppliers early.")
    assert response.context["body"]()["uncommitted"] == [uncommitted]
    assertContains(response, "Objectives this team does not commit to")
    assertNotContains(response, "?objective=")  # a member may not commit the team


def test_the_head_sees_a_commit_link_for_each_objective_the_team_does_not_support(
    login, head, logistics, objectives
):
    response = login(head).get("/strategy/units/logistics/")

    for objective in objectives:
        assertContains(response, f'href="{NEW_URL}?objective={objective.pk}"')


def test_the_matrix_counts_live_commitments_and_flags_unsupported_objectives(
    login, member, logistics, finance, objectives
):
    supported, unsupported = objectives
    hr = UnitFactory(name="HR", code="hr")
    CommitmentFactory(unit=logistics, objective=supported)
    CommitmentFactory(unit=logistics, objective=supported, lever=Lever.PROCESSES)
    CommitmentFactory(unit=finance, objective=supported)
    CommitmentFactory(unit=finance, objective=unsupported, status=Commitment.Status.DROPPED)

    response = login(member).get("/strategy/matrix/")

    assert [t.name for t in response.context["body"]()["teams"]] == ["Finance", "HR", "Logistics"]
    assert [
        (row["objective"], row["cells"], row["total"])
        for row in response.context["body"]()["table"]
    ] == [
        (supported, [1, 0, 2], 3),
        (unsupported, [0, 0, 0], 0),
    ]
    assert response.context["body"]()["team_totals"] == [1, 0, 2]
    html = response.content.decode()
    badge = '<span class="badge text-bg-warning">no commitment</span>'
    assert html.count(badge) == 1
    assert re.search(rf">{unsupported.title}</a>\s*{re.escape(badge)}", html)
    assert hr.name in html


def test_the_matrix_links_only_the_team_pages_the_viewer_may_open(
    login, member, head, logistics, finance, objectives
):
    as_member = login(member).get("/strategy/matrix/")

    assertContains(as_member, '<a href="/strategy/units/logistics/">Logistics</a>')
    assertNotContains(as_member, 'href="/strategy/units/finance/"')
    assertContains(as_member, '<th scope="col" class="team">Finance</th>')

    as_head = login(head).get("/strategy/matrix/")  # heads see every team
    assertContains(as_head, '<a href="/strategy/units/finance/">Finance</a>')


def test_a_dropped_commitment_supports_nothing_on_the_position_page(
    login, executive, logistics, finance, objectives
):
    abandoned, supported = objectives
    CommitmentFactory(unit=finance, objective=abandoned, status=Commitment.Status.DROPPED)
    CommitmentFactory(unit=logistics, objective=supported)
    client = login(executive)

    matrix = client.get("/strategy/matrix/")
    position = client.get("/strategy/positions/2026/")

    assert [row["total"] for row in matrix.context["body"]()["table"]] == [0, 1]
    assert position.context["body"]()["coverage"]["unsupported"] == [abandoned]
    assert position.context["body"]()["coverage"]["idle_teams"] == [finance]


def test_a_units_history_is_only_for_those_who_may_open_the_unit(login, outsider, logistics):
    response = login(outsider).get("/strategy/units/logistics/history/")

    assert response.status_code == 404
