from datetime import UTC, datetime

import pytest
import time_machine
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from strategy.models import (
    Competitor,
    CustomerPriority,
    Lever,
    PositioningTheme,
    StrategicPosition,
    Unit,
)
from tests.factories import (
    CommitmentFactory,
    PriorityFactory,
    UnitFactory,
    make_draft_position,
    position_data,
    position_edit_data,
)

pytestmark = pytest.mark.django_db

NEW_POSITION_URL = "/strategy/positions/new/"


def history_row(field: str, before: str, after: str) -> str:
    return f'<tr><th scope="row">{field}</th><td>{before}</td><td>{after}</td></tr>'


# --- Positions ------------------------------------------------------------------------------


def test_an_executive_creates_a_position_with_its_themes_priorities_and_competitors(
    login, executive
):
    response = login(executive).post(NEW_POSITION_URL, position_data(fiscal_year=2027), follow=True)

    assertRedirects(response, "/strategy/positions/2027/")
    assertContains(response, "Strategic position FY2027 saved.")
    assertContains(response, "We win on advice: experts at every counter.")
    assertContains(response, "Great service 70%")
    assertContains(response, "BudgetCo")
    position = StrategicPosition.objects.get(fiscal_year=2027)
    assert position.status == StrategicPosition.Status.DRAFT
    assert not position.is_current
    assert dict(position.themes.values_list("theme", "weight")) == {"service": 70, "price": 30}
    assert list(position.priorities.values_list("rank", "title")) == [
        (1, "On-time delivery"),
        (2, "Expert advice"),
    ]
    assert list(position.competitors.values_list("name", flat=True)) == ["BudgetCo"]


def test_the_new_position_form_offers_the_year_after_the_latest(login, executive, current_position):
    response = login(executive).get(NEW_POSITION_URL)

    assert response.context["form"].initial["fiscal_year"] == 2027
    assert response.context["formsets"]["themes"].total_form_count() == 1


def test_theme_weights_not_adding_up_to_100_save_nothing(login, executive):
    data = position_data(fiscal_year=2027, themes=(("service", 60), ("price", 30)))

    response = login(executive).post(NEW_POSITION_URL, data)

    assert response.status_code == 200
    assertContains(response, "Nothing was saved: please correct the errors below.")
    assert response.context["formsets"]["themes"].non_form_errors() == [
        "The theme weights must add up to 100; they add up to 90."
    ]
    for model in (StrategicPosition, PositioningTheme, CustomerPriority, Competitor):
        assert not model.objects.exists(), model


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"themes": (("service", 60), ("price", 30))}, "they add up to 90."),
        ({"themes": ()}, "Choose at least one positioning theme."),
        ({"priorities": ()}, "List at least one customer priority."),
    ],
    ids=["weights", "no-theme", "no-priority"],
)
def test_the_page_says_why_the_themes_or_priorities_were_refused(login, executive, fields, message):
    response = login(executive).post(NEW_POSITION_URL, position_data(**fields))

    assertContains(response, message)


def test_a_year_that_already_has_a_position_is_refused(login, executive, current_position):
    response = login(executive).post(NEW_POSITION_URL, position_data(fiscal_year=2026))

    assert response.status_code == 200
    assert "fiscal_year" in response.context["form"].errors
    assert StrategicPosition.objects.count() == 1


def test_the_fiscal_year_of_a_draft_cannot_be_changed(login, executive, draft_position):
    data = position_edit_data(draft_position) | {"fiscal_year": "2030"}

    response = login(executive).post("/strategy/positions/2027/edit/", data)

    assertRedirects(response, "/strategy/positions/2027/", fetch_redirect_response=False)
    assert list(StrategicPosition.objects.values_list("fiscal_year", flat=True)) == [2027]


def test_editing_a_draft_can_swap_two_priority_ranks(login, executive, draft_position):
    PriorityFactory(position=draft_position, rank=2, title="Stock on the shelf")
    data = position_edit_data(draft_position)
    data["priorities-0-rank"], data["priorities-1-rank"] = "2", "1"

    response = login(executive).post(
        f"/strategy/positions/{draft_position.fiscal_year}/edit/", data
    )

    assertRedirects(response, draft_position.get_absolute_url())
    assert list(draft_position.priorities.values_list("rank", "title")) == [
        (1, "Stock on the shelf"),
        (2, "Advice at the counter"),
    ]


def test_editing_a_draft_can_replace_a_priority_with_a_new_one_of_the_same_rank(
    login, executive, draft_position
):
    data = position_edit_data(draft_position)
    data |= {"priorities-0-DELETE": "on", "priorities-TOTAL_FORMS": "2"}
    data |= {"priorities-1-rank": "1", "priorities-1-title": "Same-day delivery"}

    response = login(executive).post(
        f"/strategy/positions/{draft_position.fiscal_year}/edit/", data
    )

    assertRedirects(response, draft_position.get_absolute_url())
    assert list(draft_position.priorities.values_list("rank", "title")) == [
        (1, "Same-day delivery")
    ]


def test_editing_a_draft_can_swap_two_themes(login, executive, draft_position):
    draft_position.themes.update(weight=70)
    draft_position.themes.create(theme="price", weight=30)
    data = position_edit_data(draft_position)
    data["themes-0-theme"], data["themes-1-theme"] = "price", "service"

    response = login(executive).post(
        f"/strategy/positions/{draft_position.fiscal_year}/edit/", data
    )

    assertRedirects(response, draft_position.get_absolute_url())
    assert dict(draft_position.themes.values_list("theme", "weight")) == {
        "price": 70,
        "service": 30,
    }


# --- Rows added as needed, themes of weight 0 ----------------------------------------------


@pytest.mark.parametrize("url", [NEW_POSITION_URL, "/strategy/positions/2027/edit/"])
def test_each_list_of_the_position_form_has_one_blank_row_and_an_add_button(
    login, executive, draft_position, url
):
    response = login(executive).get(url)

    for prefix, formset in response.context["formsets"].items():
        assert formset.total_form_count() == formset.initial_form_count() + 1, prefix
        assertContains(response, f'<template id="{prefix}-empty-row">')
        assertContains(response, f'name="add_row" value="{prefix}"')
    assertContains(response, "js/formset.js")


def test_add_a_row_without_javascript_shows_one_more_row_as_typed_and_saves_nothing(
    login, executive
):
    data = position_data(fiscal_year=2027, themes=(("service", 70),), priorities=((1, ""),))

    response = login(executive).post(NEW_POSITION_URL, data | {"add_row": "themes"})

    assert response.status_code == 200
    assertContains(response, "Row added. Nothing is saved until you press Save draft.")
    formsets = response.context["formsets"]
    assert formsets["themes"].total_form_count() == 2
    assert formsets["priorities"].total_form_count() == 1
    assertContains(response, 'name="themes-1-weight"')
    assertContains(response, 'name="statement" cols="40" rows="3" class="textarea form-control"')
    assertContains(response, "We win on advice: experts at every counter.")
    # Half-typed rows and a total short of 100 are not errors yet.
    assertNotContains(response, "is-invalid")
    assertNotContains(response, "add up to 70")
    assert not StrategicPosition.objects.exists()


def test_the_add_theme_button_goes_once_the_three_themes_have_a_row(login, executive):
    data = position_data(fiscal_year=2027, themes=(("service", 70), ("price", 30)))

    response = login(executive).post(NEW_POSITION_URL, data | {"add_row": "themes"})

    assert response.context["formsets"]["themes"].total_form_count() == 3
    assertNotContains(response, 'name="add_row" value="themes"')
    assertContains(response, 'name="add_row" value="priorities"')


def test_a_theme_of_weight_0_is_left_out_and_the_page_says_so(login, executive):
    data = position_data(fiscal_year=2027, themes=(("service", 100), ("quality", 0)))

    response = login(executive).post(NEW_POSITION_URL, data, follow=True)

    assertRedirects(response, "/strategy/positions/2027/")
    assertContains(response, "High quality had a weight of 0 and was left out.")
    position = StrategicPosition.objects.get(fiscal_year=2027)
    assert dict(position.themes.values_list("theme", "weight")) == {"service": 100}


def test_setting_a_saved_theme_to_weight_0_removes_it(login, executive, draft_position):
    draft_position.themes.update(weight=70)
    draft_position.themes.create(theme="price", weight=30)
    data = position_edit_data(draft_position)
    data["themes-0-weight"], data["themes-1-weight"] = "100", "0"

    response = login(executive).post("/strategy/positions/2027/edit/", data, follow=True)

    assertContains(response, "Competitive price had a weight of 0 and was left out.")
    assert dict(draft_position.themes.values_list("theme", "weight")) == {"service": 100}


def test_a_published_position_is_read_only(login, executive, current_position):
    client = login(executive)
    url = "/strategy/positions/2026/edit/"
    data = position_edit_data(current_position) | {"statement": "Rewritten after the fact."}

    page = client.get(url, follow=True)
    response = client.post(url, data)

    assertRedirects(page, "/strategy/positions/2026/")
    assertContains(page, "A published position is read-only.")
    assertRedirects(response, "/strategy/positions/2026/", fetch_redirect_response=False)
    current_position.refresh_from_db()
    assert current_position.statement != "Rewritten after the fact."


def test_an_executive_publishes_a_draft_which_becomes_current(
    login, executive, current_position, draft_position
):
    with time_machine.travel(datetime(2027, 1, 4, 9, tzinfo=UTC), tick=False):
        response = login(executive).post("/strategy/positions/2027/publish/", follow=True)

    assertRedirects(response, "/strategy/positions/2027/")
    assertContains(response, "Strategic position FY2027 published.")
    assertNotContains(response, "It is not current")
    draft_position.refresh_from_db()
    current_position.refresh_from_db()
    assert draft_position.is_current and draft_position.published_by == executive
    assert not current_position.is_current


def test_publishing_an_earlier_year_says_it_is_not_current(login, executive):
    make_draft_position(fiscal_year=2026, owner=executive)
    draft = make_draft_position(fiscal_year=2027, owner=executive)
    client = login(executive)
    client.post("/strategy/positions/2027/publish/")

    response = client.post("/strategy/positions/2026/publish/", follow=True)

    assertContains(response, "Strategic position FY2026 published. It is not current: a later")
    assert StrategicPosition.objects.get(is_current=True) == draft


def test_a_draft_with_problems_is_not_published_and_the_problems_are_shown(
    login, executive, draft_position
):
    draft_position.objectives.all().delete()

    response = login(executive).post("/strategy/positions/2027/publish/", follow=True)

    assertContains(response, "There is no corporate objective.")
    draft_position.refresh_from_db()
    assert draft_position.status == StrategicPosition.Status.DRAFT


# --- History --------------------------------------------------------------------------------


def test_a_changed_statement_shows_in_the_history_with_who_before_and_after(
    login, executive, draft_position
):
    before = draft_position.statement
    data = position_edit_data(draft_position) | {"statement": "We win on advice."}
    client = login(executive)

    client.post("/strategy/positions/2027/edit/", data)
    assertContains(
        client.get("/strategy/positions/2027/"), 'href="/strategy/positions/2027/history/"'
    )
    page = client.get("/strategy/positions/2027/history/")

    assertContains(page, f"<strong>{executive.get_full_name()}</strong> changed")
    assertContains(
        page, history_row("Positioning statement", before, "We win on advice."), html=True
    )


def test_the_position_page_names_the_first_committed_and_idle_teams_and_counts_the_rest(
    login, executive, current_position
):
    supported, unsupported = current_position.objectives.order_by("order", "pk")
    teams = [UnitFactory(name=f"Team {n:02}") for n in range(14)]
    for team in teams[:12]:  # twelve committed teams, one of them with two levers
        CommitmentFactory(unit=team, objective=supported)
    CommitmentFactory(unit=teams[0], objective=supported, lever=Lever.PROCESSES)

    response = login(executive).get(current_position.get_absolute_url())

    html = response.content.decode()
    assert [name for name, _ in response.context["body"]()["objectives"][0].teams] == [
        f"Team {n:02}" for n in range(10)
    ]
    assert "and 2 more (12 in all)" in html
    assert "Team 10" not in html.split("Gaps")[0]
    assert f"Objectives with no commitment: {unsupported.title}." in html
    coverage = response.context["body"]()["coverage"]
    idle = [t.name for t in coverage["idle_teams"]]
    assert idle[:2] == ["Team 12", "Team 13"]
    assert coverage["idle_count"] == Unit.objects.active().functional().count() - 12
    assert coverage["idle_hidden"] == coverage["idle_count"] - len(idle)


def test_a_position_history_is_only_for_those_who_may_see_the_position(
    login, member, draft_position
):
    response = login(member).get("/strategy/positions/2027/history/")

    assert response.status_code == 404
