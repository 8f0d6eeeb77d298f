"""The coverage matrix as a bounded page: teams by region, filtered, a page at a time, with the
whole matrix as CSV."""

import csv
import io

import pytest
from pytest_django.asserts import assertContains

from strategy import selectors
from strategy.models import Commitment, Unit
from tests.factories import CommitmentFactory, UnitFactory

pytestmark = pytest.mark.django_db

URL = "/strategy/matrix/"


@pytest.fixture
def regions(db):
    north = UnitFactory(
        name="North", code="north", level=Unit.Level.BUSINESS, kind=Unit.Kind.REGION
    )
    south = UnitFactory(
        name="South", code="south", level=Unit.Level.BUSINESS, kind=Unit.Kind.REGION
    )
    return north, south


@pytest.fixture
def organisation(regions, current_position):
    """North: Oslo sales, and Bergen depot under a North branch; South: Rome sales; and
    Head office, in no region."""
    north, south = regions
    branch = UnitFactory(
        name="North branch",
        code="north-branch",
        level=Unit.Level.BUSINESS,
        kind=Unit.Kind.BRANCH,
        parent=north,
    )
    teams = {
        "oslo": UnitFactory(name="Oslo sales", code="oslo", parent=north),
        "bergen": UnitFactory(name="Bergen depot", code="bergen", parent=branch),
        "rome": UnitFactory(name="Rome sales", code="rome", parent=south),
        "office": UnitFactory(name="Head office", code="office"),
    }
    first, _ = current_position.objectives.order_by("order")
    CommitmentFactory(unit=teams["oslo"], objective=first)
    CommitmentFactory(unit=teams["rome"], objective=first)
    return teams


def names(response) -> list[str]:
    return [t.name for t in response.context["body"]()["teams"]]


def test_the_matrix_shows_teams_grouped_by_region_those_in_none_last(
    login, executive, organisation
):
    response = login(executive).get(URL)

    assert names(response) == ["Bergen depot", "Oslo sales", "Rome sales", "Head office"]
    assert response.context["body"]()["groups"] == [
        {"region": "North", "span": 2},
        {"region": "South", "span": 1},
        {"region": "", "span": 1},
    ]
    assertContains(response, '<th scope="colgroup" colspan="2" class="text-center">North</th>')
    assertContains(response, "No region")


def test_the_matrix_shows_a_page_of_teams_and_counts_those_on_other_pages(
    login, executive, current_position, monkeypatch
):
    monkeypatch.setattr(selectors, "MATRIX_TEAMS_PER_PAGE", 2)
    for n in range(5):
        UnitFactory(name=f"Team {n}", code=f"team-{n}")
    client = login(executive)

    first = client.get(URL)
    last = client.get(URL, {"page": 3})

    assert names(first) == ["Team 0", "Team 1"]
    assert names(last) == ["Team 4"]
    assert (first.context["body"]()["hidden"], first.context["body"]()["all_teams"]) == (3, 5)
    assertContains(first, "Teams 1–2 of 5; 3 of 5 teams not shown on this page.")
    assertContains(first, 'href="?page=2">Next</a>')


def test_the_objective_totals_count_the_teams_on_other_pages_too(
    login, executive, organisation, monkeypatch
):
    monkeypatch.setattr(selectors, "MATRIX_TEAMS_PER_PAGE", 1)

    response = login(executive).get(URL)

    assert names(response) == ["Bergen depot"]
    assert [row["total"] for row in response.context["body"]()["table"]] == [2, 0]
    assert response.context["body"]()["table"][0]["cells"] == [0]


def test_the_matrix_filters_by_region_and_name_and_says_how_many_are_filtered_out(
    login, executive, organisation
):
    client = login(executive)

    north = client.get(URL, {"region": "north"})
    sales = client.get(URL, {"q": "sales"})
    both = client.get(URL, {"region": "north", "q": "sales"})

    assert names(north) == ["Bergen depot", "Oslo sales"]
    assert names(sales) == ["Oslo sales", "Rome sales"]
    assert names(both) == ["Oslo sales"]
    assertContains(both, "Teams 1–1 of 1 matching the filter (3 other teams filtered out)")
    assertContains(both, '<option value="north" selected>North</option>')


def test_an_unknown_region_is_ignored_with_a_message_and_the_name_filter_kept(
    login, executive, organisation
):
    response = login(executive).get(URL, {"region": "atlantis", "q": "sales"})

    assert names(response) == ["Oslo sales", "Rome sales"]
    assertContains(response, "There is no region “atlantis”: the region filter was ignored.")
    assert response.context["body"]()["filters"] == {"region": "", "q": "sales"}


def test_the_pages_links_keep_the_filters(login, executive, organisation, monkeypatch):
    monkeypatch.setattr(selectors, "MATRIX_TEAMS_PER_PAGE", 1)

    response = login(executive).get(URL, {"region": "north"})

    assertContains(response, 'href="?region=north&amp;page=2">Next</a>')


def test_the_csv_holds_the_whole_matrix_every_team_by_every_objective(
    login, member, organisation, current_position, monkeypatch
):
    monkeypatch.setattr(selectors, "MATRIX_TEAMS_PER_PAGE", 1)
    first, second = current_position.objectives.order_by("order")
    CommitmentFactory(unit=organisation["oslo"], objective=second, status=Commitment.Status.DROPPED)

    response = login(member).get("/strategy/matrix.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="coverage-matrix-fy2026.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["region", "team_code", "team", first.title, second.title, "commitments"]
    assert rows[1:] == [
        ["North", "bergen", "Bergen depot", "0", "0", "0"],
        ["North", "oslo", "Oslo sales", "1", "0", "1"],
        ["South", "rome", "Rome sales", "1", "0", "1"],
        ["", "office", "Head office", "0", "0", "0"],
        ["", "logistics", "Logistics", "0", "0", "0"],  # the member's own team
    ]
    assert text.count("\n") == 6  # nothing left out: the page shows one team, the file all


def test_the_csv_neutralises_a_team_name_a_spreadsheet_would_run(
    login, executive, current_position
):
    UnitFactory(name="=HYPERLINK(1)", code="formula")

    response = login(executive).get("/strategy/matrix.csv")

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert '"\'=HYPERLINK(1)"' in text


def test_the_matrix_page_links_to_the_csv(login, executive, organisation):
    assertContains(login(executive).get(URL), 'href="/strategy/matrix.csv"')
