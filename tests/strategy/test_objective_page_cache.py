"""The objective page's cached parts (strategy.selectors.objective_page): a save, a translation
or a new board shows at once, each language and each set of visible teams has its own, and
the page reads as many queries for many teams as for few."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from strategy import translations
from strategy.models import Objective
from sustain import board
from tests.factories import CommitmentFactory, UnitFactory, stored_board

pytestmark = pytest.mark.django_db


@pytest.fixture
def objective(current_position):
    return current_position.objectives.order_by("order").first()


def _page(client, objective, **extra):
    response = client.get(objective.get_absolute_url(), **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_the_objective_page_shows_a_saved_promise_at_once(login, member, objective):
    client = login(member)
    assert objective.external_promise in _page(client, objective)  # now cached

    Objective.objects.filter(pk=objective.pk).update(
        title="Ship on the promised date", external_promise="Your parcel, on the day we said."
    )

    page = _page(client, objective)
    assert "<title>Ship on the promised date" in page
    assert "Your parcel, on the day we said." in page


def test_the_objective_page_shows_a_new_commitment_and_its_team_at_once(
    login, executive, objective
):
    client = login(executive)
    assert "Packing Crew" not in _page(client, objective)

    CommitmentFactory(
        unit=UnitFactory(name="Packing Crew"), objective=objective, statement="Pack by noon"
    )

    page = _page(client, objective)
    assert "Teams committed: Packing Crew" in page
    assert "Pack by noon" in page


def test_an_executive_is_offered_to_retire_an_objective_once_a_team_commits(
    login, executive, draft_position
):
    objective = draft_position.objectives.get()
    client = login(executive)
    assert ">Delete</button>" in _page(client, objective)

    CommitmentFactory(objective=objective)

    assert ">Retire</button>" in _page(client, objective)


def test_a_translation_shows_at_once_and_only_to_readers_of_its_language(
    login, member, executive, current_position, objective
):
    client = login(member)
    english = _page(client, objective, HTTP_ACCEPT_LANGUAGE="en")
    assert objective.title in english
    assert "Pünktlich liefern" not in _page(client, objective, HTTP_ACCEPT_LANGUAGE="de")

    translations.translations_save(
        position=current_position,
        language="de",
        entered={("objective", objective.pk, "title"): "Pünktlich liefern"},
        by=executive,
    )

    german = _page(client, objective, HTTP_ACCEPT_LANGUAGE="de")
    assert "<title>Pünktlich liefern" in german
    assert "Pünktlich liefern" not in _page(client, objective, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Pünktlich liefern" not in _page(client, objective, HTTP_ACCEPT_LANGUAGE="en")


def test_a_member_is_not_shown_the_commitments_cached_for_an_executive(
    login, executive, member, logistics, objective
):
    CommitmentFactory(unit=logistics, objective=objective, statement="Logistics books trucks")
    CommitmentFactory(
        unit=UnitFactory(name="Finance"), objective=objective, statement="Finance pays on time"
    )
    executive_page = _page(login(executive), objective)
    assert "Finance pays on time" in executive_page

    member_page = _page(login(member), objective)

    assert "Logistics books trucks" in member_page
    assert "Finance pays on time" not in member_page
    # Both see who committed: the teams' names are everyone's.
    assert "Teams committed: Finance, Logistics" in member_page


def test_each_page_of_the_commitments_is_cached_apart(login, executive, objective):
    for n in range(55):
        CommitmentFactory(
            unit=UnitFactory(name=f"Team {n:02}"), objective=objective, statement=f"Act {n:02}"
        )
    client = login(executive)

    first = _page(client, objective)
    second = client.get(objective.get_absolute_url(), {"page": 2}).content.decode()
    last = client.get(objective.get_absolute_url(), {"page": 9}).content.decode()

    assert "Act 00" in first and "Act 54" not in first
    assert "Act 54" in second and "Act 00" not in second
    assert "Act 54" in last  # past the end: the last page
    assert "Act 00" in _page(client, objective)


def _board(generation: int, signals: list[dict]) -> None:
    stored_board(generation, signals)


def _say_do(objective, teams: int, reason: str = "says more than it does") -> list[dict]:
    return [
        {
            "kind": "say_do",
            "label": "Say-do gap",
            "subject": f"Team {n}",
            "reason": f"Team {n:03} {reason}",
            "objective": objective.pk,
            "team": n,
        }
        for n in range(teams)
    ]


def test_the_objective_page_lists_its_first_signals_and_links_to_the_rest(
    login, executive, objective
):
    _board(1, _say_do(objective, 25))

    page = _page(login(executive), objective)

    shown = board.OBJECTIVE_SIGNALS_SHOWN
    assert f"Team {shown - 1:03} says" in page
    assert f"Team {shown:03} says" not in page
    assert f"And {25 - shown} more:" in page
    assert f'href="/reviews/signals/?objective={objective.pk}"' in page


def test_the_objective_page_shows_a_new_board_at_once(login, executive, objective):
    client = login(executive)
    _board(1, _say_do(objective, 2))
    assert "Team 001 says more than it does" in _page(client, objective)

    _board(2, _say_do(objective, 1, reason="keeps its word"))

    page = _page(client, objective)
    assert "Team 000 keeps its word" in page
    assert "Team 001" not in page


def test_the_signals_page_lists_the_signals_of_the_objective_it_is_linked_from(
    login, executive, current_position, objective
):
    other = current_position.objectives.exclude(pk=objective.pk).first()
    _board(1, _say_do(objective, 2) + _say_do(other, 1, reason="about the other one"))

    page = login(executive).get("/reviews/signals/", {"objective": objective.pk})

    text = page.content.decode()
    assert "Team 001 says more than it does" in text
    assert "about the other one" not in text
    assert "1 more hidden by the filter" in text
    assert f'name="objective" value="{objective.pk}"' in text


def _queries(client, objective, *, cached: bool) -> int:
    if cached:
        client.get(objective.get_absolute_url())  # the cached parts filled
    else:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(objective.get_absolute_url()).status_code == 200
    return len(queries)


@pytest.mark.parametrize("cached", [True, False])
@pytest.mark.parametrize("who", ["executive", "member"])
def test_the_objective_page_reads_as_many_queries_for_many_teams_as_for_few(
    request, login, who, cached, logistics, objective, django_assert_max_num_queries
):
    client = login(request.getfixturevalue(who))
    CommitmentFactory(unit=logistics, objective=objective)
    _board(1, _say_do(objective, 2))
    few = _queries(client, objective, cached=cached)

    for n in range(60):
        CommitmentFactory(unit=UnitFactory(name=f"Team {n:02}"), objective=objective)
    _board(2, _say_do(objective, 60))
    if cached:
        client.get(objective.get_absolute_url())
    else:
        cache.clear()

    with django_assert_max_num_queries(few, info=f"{few} with one team"):
        assert client.get(objective.get_absolute_url()).status_code == 200
