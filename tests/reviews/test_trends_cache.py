"""The trends page's body is kept in the cache (reviews.trends.overview_key) and never shown
stale: a check submitted or reopened, a quarter closed or opened, a team or an objective
renamed, another language or another search each show the page as it is now."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench import data
from reviews import services, trends
from strategy.models import Profile
from tests.factories import make_open_cycle
from tests.reviews.conftest import WORKED_EXAMPLE, score_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(monkeypatch):
    """How many times the page's trends were computed rather than read from the cache."""
    calls = []
    original = trends.overview

    def counted(**arguments):
        calls.append(arguments)
        return original(**arguments)

    monkeypatch.setattr(trends, "overview", counted)
    return calls


def page(client, **query) -> str:
    """The page's main part (the rest has the request's own CSRF token)."""
    response = client.get(reverse("reviews:trends"), query)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('<main id="main"') : html.index("</main>")]


def team_row(html: str, name: str) -> str:
    found = re.search(rf"<tr><th scope=\"row\"><a [^>]*>{name}</a></th>(.*?)</tr>", html, re.S)
    assert found, name
    return found.group(1)


def submit_logistics(check, head, objectives):
    a, b = objectives
    score_check(
        check,
        by=head,
        scores={a: WORKED_EXAMPLE["logistics", "A"], b: WORKED_EXAMPLE["logistics", "B"]},
    )


def test_the_page_is_computed_once_then_read_from_the_cache(login, cycle, executive, computed):
    client = login(executive)

    first = page(client)
    second = page(client)

    assert len(computed) == 1
    assert second == first


def test_a_check_submitted_or_reopened_after_caching_shows_at_once(
    login, cycle, logistics_check, finance_check, objectives, executive, head, other_head, computed
):
    a, _b = objectives
    score_check(finance_check, by=other_head, scores={a: WORKED_EXAMPLE["finance", "A"]})
    client = login(executive)
    assert "no score" in team_row(page(client), "Logistics")

    submit_logistics(logistics_check, head, objectives)
    assert ">48<" in team_row(page(client), "Logistics")

    services.check_reopen(check=logistics_check, by=executive, reason="Evidence missing")
    reopened = page(client)
    assert "no score" in team_row(reopened, "Logistics")
    assert ">100<" in team_row(reopened, "Finance")
    assert len(computed) == 3


def test_closing_and_opening_a_quarter_after_caching_shows_at_once(
    login, cycle, logistics_check, objectives, executive, head, current_position
):
    client = login(executive)
    submit_logistics(logistics_check, head, objectives)
    assert "Q1 FY2026 (open)" in page(client)

    services.cycle_close(cycle=cycle, by=executive)
    closed = page(client)
    assert "Q1 FY2026 (open)" not in closed
    assert ">Q1 FY2026<" in closed
    assert ">48<" in team_row(closed, "Logistics")  # now the frozen score

    make_open_cycle(current_position, quarter=2)
    assert "Q2 FY2026 (open)" in page(client)


def test_a_team_or_an_objective_renamed_after_caching_shows_at_once(
    login, cycle, objectives, logistics, executive
):
    client = login(executive)
    page(client)

    logistics.name = "Warehouse"
    logistics.save()
    a, _b = objectives
    a.title = "Deliver every order whole"
    a.save()
    html = page(client)

    assert "no score" in team_row(html, "Warehouse")
    assert "Deliver every order whole" in html


def test_each_language_search_and_page_has_its_own_body(login, cycle, executive, computed):
    client = login(executive)
    english = page(client)
    assert "Company: alignment index" in english

    found = page(client, q="logis")
    assert "Finance</a>" in english and "Finance</a>" not in found
    assert len(computed) == 2

    Profile.objects.update_or_create(user=executive, defaults={"language": "fr"})
    client.force_login(executive)
    french = page(client)
    assert "Entreprise\u00a0: indice d" in french
    assert "Company: alignment index" not in french


def test_a_reader_without_the_permission_is_refused_a_cached_page(login, cycle, executive, member):
    page(login(executive))

    response = login(member).get(reverse("reviews:trends"))

    assert response.status_code == 403


def test_the_page_runs_as_many_queries_when_its_body_is_computed_for_many_teams_as_for_few(
    client, monkeypatch
):
    """Counted with the body missing from the cache each time (the other requests read it)."""
    keys = iter(range(1_000_000))
    original = trends.overview_key

    def missing():
        key, cycles = original()
        return f"{key}:{next(keys)}", cycles

    monkeypatch.setattr(trends, "overview_key", missing)

    def counted(dataset) -> int:
        client.force_login(dataset.executive)
        page(client)  # the first request after logging in also saves the session
        with CaptureQueriesContext(connection) as queries:
            page(client)
        return len(queries)

    small = counted(data.build(teams=3, objectives=3, quarters=3))
    data.clear()
    large = counted(data.build(teams=12, objectives=5, quarters=4))

    assert large == small <= 15
