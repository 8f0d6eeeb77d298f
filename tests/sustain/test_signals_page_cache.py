"""The Signals page's cached body (sustain.selectors.signals_page): computed once for what it
shows; a new board, its staleness, a renamed region, another filter, language or permission
shows at once; the page reads as many queries for many teams as for few."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from strategy.models import Commitment, Lever, Unit
from sustain import selectors
from sustain.models import StoredBoard
from tests.factories import UnitFactory, stored_board
from tests.sustain.support import text

pytestmark = pytest.mark.django_db

URL = reverse("sustain:signals")
PEOPLE = "<td>{}%</td>"  # the people share's cell of the funding table, after the amount


def _board(generation: int, signals: list[dict], **row) -> None:
    stored_board(
        generation, signals, **({"summary": {"window": ["FY2026 Q1"], "fiscal_year": 2026}} | row)
    )


def _stale(teams, reason="has gone quiet", region=None) -> list[dict]:
    return [
        {
            "kind": "complacency",
            "label": "Complacency",
            "subject": team.name,
            "reason": f"{team.name} {reason}",
            "team": team.pk,
            "region": region.pk if region else None,
        }
        for team in teams
    ]


def _without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


@pytest.fixture
def north(db):
    return UnitFactory(name="North", code="north", level=Unit.Level.BUSINESS, kind="region")


@pytest.fixture
def depots(north):
    return [UnitFactory(name=f"Depot {n:02}", parent=north) for n in range(3)]


@pytest.fixture
def quarters(org):
    """Four closed quarters: Logistics a roller-coaster (100, 25, 100, 25), Finance steady."""
    cycles = org.quarters({org.logistics: [5, 2, 5, 2], org.finance: [4, 4, 4, 4]})
    org.settle(timezone.now())  # the pages read the real clock: no commitment is stale
    return cycles


@pytest.fixture
def counted(monkeypatch):
    """The calls of the page's body, which reads what the cache misses."""
    calls = []
    real = selectors._signals_body
    monkeypatch.setattr(selectors, "_signals_body", lambda **kw: calls.append(kw) or real(**kw))
    return calls


def test_the_signals_page_body_is_computed_once_for_what_it_shows(
    login, executive, depots, counted
):
    _board(1, _stale(depots))
    client = login(executive)

    first = text(client.get(URL))
    second = text(client.get(URL))

    assert len(counted) == 1
    assert _without_csrf(first) == _without_csrf(second)
    assert "Depot 02 has gone quiet" in second


def test_a_new_board_shows_at_once(login, executive, depots):
    client = login(executive)
    _board(1, _stale(depots))
    assert "Depot 01 has gone quiet" in text(client.get(URL))

    _board(2, _stale(depots[:1], reason="woke up"))

    page = text(client.get(URL))
    assert "Depot 00 woke up" in page
    assert "Depot 01" not in page
    assert "Flagged (1)" in page


def test_a_board_gone_stale_says_so_at_once(login, executive, depots):
    client = login(executive)
    _board(1, _stale(depots))
    assert "recent changes are being counted" not in text(client.get(URL))

    StoredBoard.objects.update(stale_since=timezone.now())

    page = text(client.get(URL))
    assert "recent changes are being counted" in page
    assert "Depot 01 has gone quiet" in page


def test_a_renamed_region_shows_at_once_on_the_filter(login, executive, north, depots):
    client = login(executive)
    _board(1, _stale(depots, region=north))
    assert "North (3)" in text(client.get(URL))

    # An update, not a save: the board is not marked stale; strategy.versions moves on.
    Unit.objects.filter(pk=north.pk).update(name="Northern Lights")

    page = text(client.get(URL))
    assert "Northern Lights (3)" in page
    assert "North (3)" not in page


def test_each_filter_and_page_is_cached_apart(login, executive, north, depots):
    others = [UnitFactory(name=f"Shop {n:02}") for n in range(30)]
    _board(1, _stale(depots, region=north) + _stale(others, reason="sells nothing"))
    client = login(executive)

    first = text(client.get(URL))
    second = text(client.get(URL, {"page": 2}))
    in_north = text(client.get(URL, {"region": north.pk}))
    wrong = text(client.get(URL, {"region": 999999}))

    assert "Showing 1–25 of 33" in first and "Shop 29 sells nothing" not in first
    assert "Showing 26–33 of 33" in second and "Shop 29 sells nothing" in second
    assert "Depot 00 has gone quiet" in in_north and "Shop 00" not in in_north
    assert "30 more hidden by the filter" in in_north
    assert "Communicated inside: North" in in_north
    assert "Select a valid choice" in wrong
    assert "Select a valid choice" not in text(client.get(URL))


def test_each_language_has_its_own_body(login, executive, depots):
    client = login(executive)
    _board(1, _stale(depots))

    english = text(client.get(URL, HTTP_ACCEPT_LANGUAGE="en"))
    german = text(client.get(URL, HTTP_ACCEPT_LANGUAGE="de"))

    assert '<h1 class="h3 mb-0">Sustained alignment</h1>' in english
    assert '<h1 class="h3 mb-0">Nachhaltige Ausrichtung</h1>' in german
    assert "Sustained alignment</h1>" in text(client.get(URL, HTTP_ACCEPT_LANGUAGE="en"))


def test_an_admin_is_not_shown_the_executives_thresholds_button(
    login, executive, admin_user, member, depots
):
    _board(1, _stale(depots))
    settings_url = reverse("sustain:signal-settings-edit")
    assert settings_url in text(login(executive).get(URL))

    as_admin = text(login(admin_user).get(URL))

    assert "Depot 01 has gone quiet" in as_admin
    assert settings_url not in as_admin
    assert "company settings</a>" not in as_admin
    assert login(member).get(URL).status_code == 403


# --- Changes that reach the page through a new board -----------------------------------------


def test_a_changed_lever_shows_once_the_board_is_stored_again(
    quarters, org, login, executive, board_worker
):
    client = login(executive)
    # Objective A's people share: none of the people commitments are A's.
    assert f"6,000 EUR</td>{PEOPLE.format(0)}" in text(client.get(URL))

    inventory = Commitment.objects.get(unit=org.logistics, objective=org.a, lever=Lever.INVENTORY)
    inventory.lever = Lever.PEOPLE
    with board_worker():
        inventory.save()

    assert f"6,000 EUR</td>{PEOPLE.format(50)}" in text(client.get(URL))


def test_a_changed_amount_shows_once_the_board_is_stored_again(
    quarters, org, login, executive, board_worker
):
    client = login(executive)
    assert "4,000 EUR" in text(client.get(URL))

    funding = Commitment.objects.get(unit=org.finance, objective=org.b, lever=Lever.FUNDING)
    funding.amount = 40000
    with board_worker():
        funding.save()

    page = text(client.get(URL))
    assert "40,000 EUR" in page
    assert "4,000 EUR" not in page


def test_a_renamed_team_and_a_new_team_show_once_the_board_is_stored_again(
    quarters, org, login, executive, board_worker
):
    client = login(executive)
    assert "Logistics: 100, 25" in text(client.get(URL))

    with board_worker():
        org.logistics.name = "Depots"
        org.logistics.save()
    with board_worker():
        UnitFactory(name="Night Shift")

    page = text(client.get(URL))
    assert "Depots: 100, 25" in page
    assert "Logistics: 100, 25" not in page
    assert "<td>Night Shift</td>" in page


# --- Queries ---------------------------------------------------------------------------------


def _queries(client, *, cached: bool) -> int:
    client.get(URL)  # the body cached (and the session's first save done)
    if not cached:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


@pytest.mark.parametrize("cached", [True, False])
def test_the_signals_page_reads_as_many_queries_for_many_teams_as_for_few(
    login, executive, north, cached
):
    client = login(executive)
    teams = [UnitFactory(name=f"Team {n:02}", parent=north) for n in range(3)]
    _board(1, _stale(teams, region=north))
    few = _queries(client, cached=cached)

    teams += [UnitFactory(name=f"Team {n:02}", parent=north) for n in range(3, 12)]
    _board(2, _stale(teams, region=north))
    many = _queries(client, cached=cached)

    assert many == few
