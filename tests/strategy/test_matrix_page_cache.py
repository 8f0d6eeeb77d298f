"""The coverage matrix's cached body (strategy.selectors.matrix_page): computed once for what it
shows; a commitment, a team, a region or an objective changed shows at once, each filter, page
and language has its own, a member is never shown the links cached for an executive; the page
reads as many queries for many teams as for few."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from strategy import selectors
from strategy.models import Commitment, Membership, Objective, Unit
from tests.factories import CommitmentFactory, UnitFactory

pytestmark = pytest.mark.django_db

URL = "/strategy/matrix/"


def _page(client, headers=None, **params) -> str:
    response = client.get(URL, params, **(headers or {}))
    assert response.status_code == 200
    return response.content.decode()


def _cells(page: str) -> list[str]:
    """The first objective's row: its counts per team."""
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", page, re.S).group(1)
    return re.findall(r'<td class="text-center (?:covered|gap)">(\d*)', row)


@pytest.fixture
def first(current_position):
    objective = current_position.objectives.order_by("order").first()
    Objective.objects.filter(pk=objective.pk).update(title="Deliver on the promised date")
    objective.refresh_from_db()
    return objective


@pytest.fixture
def north(db):
    return UnitFactory(name="North", code="north", level=Unit.Level.BUSINESS, kind="region")


@pytest.fixture
def counted(monkeypatch):
    """The calls of the page's body, which reads what the cache misses."""
    calls = []
    real = selectors.matrix_body
    monkeypatch.setattr(selectors, "matrix_body", lambda **kw: calls.append(kw) or real(**kw))
    return calls


def _without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_the_matrix_body_is_computed_once_for_what_it_shows(
    login, executive, logistics, first, counted
):
    CommitmentFactory(unit=logistics, objective=first)
    client = login(executive)

    one = _page(client)
    two = _page(client)

    assert len(counted) == 1
    assert _without_csrf(one) == _without_csrf(two)
    assert ">Logistics</a>" in two


def test_a_new_or_dropped_commitment_shows_at_once(login, executive, logistics, finance, first):
    client = login(executive)
    assert _cells(_page(client)) == ["", ""]  # Finance, Logistics

    made = CommitmentFactory(unit=logistics, objective=first)
    assert _cells(_page(client)) == ["", "1"]

    CommitmentFactory(unit=logistics, objective=first)
    assert _cells(_page(client)) == ["", "2"]

    Commitment.objects.filter(pk=made.pk).update(status=Commitment.Status.DROPPED)
    assert _cells(_page(client)) == ["", "1"]


def test_a_renamed_or_new_team_region_or_objective_shows_at_once(
    login, executive, logistics, north, first
):
    client = login(executive)
    assert "1 team)" in _page(client)

    Unit.objects.filter(pk=logistics.pk).update(name="Depots", parent=north)
    page = _page(client)
    assert ">Depots</a>" in page and ">Logistics</a>" not in page
    assert '<th scope="colgroup" colspan="1" class="text-center">North</th>' in page

    Unit.objects.filter(pk=north.pk).update(name="Nordic")
    UnitFactory(name="Night Shift", code="night")
    first.title = "Ship on time"
    first.save()
    page = _page(client)
    assert 'class="text-center">Nordic</th>' in page
    assert ">Night Shift</a>" in page
    assert "2 teams)" in page
    assert ">Ship on time</a>" in page


def test_each_filter_and_page_is_cached_apart(
    login, executive, north, current_position, monkeypatch
):
    monkeypatch.setattr(selectors, "MATRIX_TEAMS_PER_PAGE", 2)
    for name in ("Oslo sales", "Bergen depot", "Rome sales"):
        UnitFactory(name=name, parent=north if name != "Rome sales" else None)
    client = login(executive)

    everyone = _page(client)
    second = _page(client, page=2)
    in_north = _page(client, region="north")
    sales = _page(client, q="sales")

    assert ">Bergen depot</a>" in everyone and ">Rome sales</a>" not in everyone
    assert ">Rome sales</a>" in second and ">Bergen depot</a>" not in second
    assert "Teams 1–2 of 2 matching the filter (1 other team filtered out)" in in_north
    assert '<option value="north" selected>North</option>' in in_north
    assert ">Bergen depot</a>" not in sales and 'value="sales"' in sales
    assert _without_csrf(_page(client)) == _without_csrf(everyone)


def test_an_unknown_region_is_reported_on_every_request(
    login, executive, logistics, current_position, counted
):
    client = login(executive)

    pages = [_page(client, region="atlantis") for _ in range(2)]

    assert len(counted) == 1
    for page in pages:
        assert "There is no region “atlantis”: the region filter was ignored." in page
        assert ">Logistics</a>" in page
    assert "There is no region" not in _page(client)


def test_each_language_has_its_own_body(login, executive, logistics, north, current_position):
    client = login(executive)
    Unit.objects.filter(pk=logistics.pk).update(parent=north)
    UnitFactory(name="Head office", code="office")

    english = _page(client, headers={"HTTP_ACCEPT_LANGUAGE": "en"})
    german = _page(client, headers={"HTTP_ACCEPT_LANGUAGE": "de"})

    assert '<h1 class="h3">Coverage: objectives by teams</h1>' in english
    assert ">No region</th>" in english
    assert '<h1 class="h3">Abdeckung: Ziele nach Teams</h1>' in german
    assert ">Keine Region</th>" in german


def test_a_member_is_not_shown_the_links_cached_for_an_executive(
    login, executive, member, head, logistics, finance, current_position
):
    assert '<a href="/strategy/units/finance/">Finance</a>' in _page(login(executive))

    as_member = _page(login(member))
    as_head = _page(login(head))

    assert '<a href="/strategy/units/logistics/">Logistics</a>' in as_member
    assert 'href="/strategy/units/finance/"' not in as_member
    assert '<th scope="col" class="team">Finance</th>' in as_member
    assert '<a href="/strategy/units/finance/">Finance</a>' in as_head  # heads see every team


def test_a_member_who_joins_a_team_is_linked_to_it_at_once(
    login, member, finance, current_position
):
    client = login(member)
    assert 'href="/strategy/units/finance/"' not in _page(client)

    finance.memberships.create(user=member, role=Membership.Role.MEMBER)

    assert '<a href="/strategy/units/finance/">Finance</a>' in _page(client)


# --- Queries ---------------------------------------------------------------------------------


def _queries(client, *, cached: bool) -> int:
    client.get(URL)  # the body cached (and the session's first save done)
    if not cached:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


@pytest.mark.parametrize("cached", [True, False])
@pytest.mark.parametrize("who", ["executive", "member"])
def test_the_matrix_reads_as_many_queries_for_many_teams_as_for_few(
    request, login, who, cached, north, logistics, first
):
    client = login(request.getfixturevalue(who))
    teams = [logistics] + [UnitFactory(name=f"Team {n:02}", parent=north) for n in range(2)]
    for team in teams:
        CommitmentFactory(unit=team, objective=first)
    few = _queries(client, cached=cached)

    for n in range(2, 11):
        CommitmentFactory(unit=UnitFactory(name=f"Team {n:02}", parent=north), objective=first)
    many = _queries(client, cached=cached)

    assert Unit.objects.functional().count() == 12
    assert many == few
