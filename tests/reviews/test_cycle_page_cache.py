"""A review's cycle page keeps its figures, heatmap, agenda, signals and the executive score's
choices in the cache (reviews.selectors.cycle_page, under cycle_facts and the reader's part of
the key) and never shows them stale: a check submitted or reopened, an executive's score, an
action, a renamed objective or team, a cycle closed or opened, a new signal board, another
language, another filter and another reader each show the page as it is now."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import data
from reviews import selectors, services
from reviews.models import Action, ReviewCycle
from strategy.models import Profile
from strategy.roles import EXECUTIVE
from tests.factories import ReviewCycleFactory, make_head, stored_board
from tests.reviews.conftest import WORKED_EXAMPLE, score_check

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


@pytest.fixture
def computed(monkeypatch):
    """How many times the page's cached parts were computed rather than read from the cache."""
    calls = []
    original = selectors._cycle_body

    def counted(**arguments):
        calls.append(arguments)
        return original(**arguments)

    monkeypatch.setattr(selectors, "_cycle_body", counted)
    return calls


def page(client, cycle, **query) -> str:
    """The page's main part, its CSRF tokens (the request's own) left out."""
    response = client.get(cycle.get_absolute_url(), query)
    assert response.status_code == 200
    html = response.content.decode()
    return CSRF.sub("", html[html.index('<main id="main"') : html.index("</main>")])


def team_row(html: str, name: str) -> str:
    found = re.search(rf'<tr><th scope="row"><a [^>]*>{name}</a></th>(.*?)</tr>', html, re.S)
    assert found, name
    return found.group(1)


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def submit(check, head, scores):
    score_check(check, by=head, scores=scores)


def logistics_scores(objectives) -> dict:
    a, b = objectives
    return {a: WORKED_EXAMPLE["logistics", "A"], b: WORKED_EXAMPLE["logistics", "B"]}


def board(generation: int, reasons: list[str]) -> None:
    """A stored board of `generation` with a say-do gap for each reason."""
    stored_board(
        generation,
        [
            {"kind": "say_do", "label": "Say-do gap", "subject": f"Team {n}", "reason": reason}
            for n, reason in enumerate(reasons)
        ],
    )


def test_the_page_is_computed_once_then_read_from_the_cache(login, cycle, executive, computed):
    client = login(executive)

    first = page(client, cycle)
    second = page(client, cycle)

    assert len(computed) == 1
    assert second == first
    assert team_row(second, "Logistics")


def test_a_closed_cycles_page_is_computed_once_too(login, cycle, executive, computed):
    services.cycle_close(cycle=cycle, by=executive)
    client = login(executive)

    first = page(client, cycle)
    second = page(client, cycle)

    assert len(computed) == 1
    assert second == first
    assert "these results are frozen" in second


def test_a_check_submitted_or_reopened_after_caching_shows_at_once(
    login, cycle, logistics_check, finance_check, objectives, executive, head, other_head, computed
):
    a, _b = objectives
    client = login(executive)
    assert "0 submitted, 0 in draft, 2 not started" in page(client, cycle)
    assert ">75<" not in team_row(page(client, cycle), "Logistics")

    submit(logistics_check, head, logistics_scores(objectives))
    submitted = page(client, cycle)
    assert "1 submitted, 0 in draft, 1 not started" in submitted
    assert ">75<" in team_row(submitted, "Logistics")

    submit(finance_check, other_head, {a: WORKED_EXAMPLE["finance", "A"]})
    assert ">100<" in team_row(page(client, cycle), "Finance")

    services.check_reopen(check=logistics_check, by=executive, reason="Evidence missing")
    reopened = page(client, cycle)
    assert "1 submitted, 1 in draft, 0 not started" in reopened
    assert ">75<" not in team_row(reopened, "Logistics")
    assert "In draft" in team_row(reopened, "Logistics")
    assert ">100<" in team_row(reopened, "Finance")
    assert len(computed) == 4  # the page as it stood, then after each change


def test_an_executive_score_given_or_changed_after_caching_shows_at_once(
    login, cycle, logistics_check, objectives, logistics, executive, head
):
    a, _b = objectives
    submit(logistics_check, head, logistics_scores(objectives))  # A: the head's mean is 4.0
    client = login(executive)
    assert "an executive says" not in section(page(client, cycle), "agenda-heading")

    services.executive_score_set(
        cycle=cycle, unit=logistics, objective=a, score=1, note="", by=executive
    )
    assert "the head says 4.0, an executive says 1 (out of 5)" in page(client, cycle)

    # The same row changed: as many scores as before, a later time.
    services.executive_score_set(
        cycle=cycle, unit=logistics, objective=a, score=4, note="", by=executive
    )
    assert "an executive says" not in page(client, cycle)


def test_an_action_recorded_or_done_after_caching_shows_at_once(login, cycle, logistics, executive):
    client = login(executive)
    assert "No open action." in page(client, cycle)

    action = Action.objects.create(
        cycle=cycle,
        title="Hire two planners",
        owner=logistics,
        due_on=date(2026, 6, 30),
        created_by=executive,
    )
    listed = section(page(client, cycle), "actions")
    assert "Hire two planners" in listed
    assert "No open action." not in listed

    action.complete()
    done = section(page(client, cycle), "actions")
    assert "No open action." in done
    assert "Done in this review: Hire two planners." in done


def test_an_objective_or_a_team_renamed_after_caching_shows_at_once(
    login, cycle, objectives, logistics, executive
):
    client = login(executive)
    page(client, cycle)

    logistics.name = "Warehouse"
    logistics.save()
    a, _b = objectives
    a.title = "Deliver every order whole"
    a.save()
    html = page(client, cycle)

    assert team_row(html, "Warehouse")
    assert '<th scope="col" class="objective">Deliver every order whole</th>' in html


def test_closing_the_cycle_after_caching_shows_at_once(
    login, cycle, logistics_check, objectives, executive, head
):
    submit(logistics_check, head, logistics_scores(objectives))
    client = login(executive)
    running = page(client, cycle)
    assert "Record an action" in running
    assert 'id="executive-score"' in running

    services.cycle_close(cycle=cycle, by=executive)
    closed = page(client, cycle)

    assert "these results are frozen" in closed
    assert "Record an action" not in closed
    assert 'id="executive-score"' not in closed
    assert ">75<" in team_row(closed, "Logistics")  # now the frozen score


def test_opening_a_planned_cycle_after_its_page_was_shown_shows_its_checks(
    login, current_position, commitments, executive
):
    planned = ReviewCycleFactory(position=current_position, quarter=2)
    client = login(executive)
    assert "This review is planned." in page(client, planned)

    services.cycle_open(cycle=planned)
    opened = page(client, planned)

    assert "This review is planned." not in opened
    assert "0 submitted, 0 in draft, 2 not started, of 2 teams." in opened
    assert team_row(opened, "Logistics")


def test_starting_the_review_meeting_after_caching_keeps_the_page_as_it_is_now(
    login, cycle, executive
):
    client = login(executive)
    page(client, cycle)

    assert services.cycle_start_review(cycle=cycle)
    in_review = page(client, cycle)

    assert "In review" in in_review
    assert 'id="executive-score"' in in_review  # still running: still scored


def test_a_new_signal_board_after_caching_shows_at_once(login, cycle, executive):
    board(1, ["Logistics says more than it does"])
    client = login(executive)
    assert "Logistics says more than it does" in page(client, cycle)

    board(2, ["Finance says more than it does"])
    html = page(client, cycle)

    assert "Finance says more than it does" in html
    assert "Logistics says more than it does" not in html


def test_a_closed_cycles_signals_are_those_frozen_whatever_the_board_stores_later(
    login, cycle, executive
):
    board(1, ["Logistics says more than it does"])
    services.cycle_close(cycle=cycle, by=executive)
    client = login(executive)
    frozen = section(page(client, cycle), "cycle-signals-heading")

    board(2, ["Finance says more than it does"])

    assert section(page(client, cycle), "cycle-signals-heading") == frozen
    assert "Finance says more than it does" not in frozen


def test_each_language_and_filter_has_its_own_body(login, cycle, executive, computed):
    client = login(executive)
    english = page(client, cycle)
    assert "Alignment index" in english

    found = page(client, cycle, q="logis")
    assert team_row(found, "Logistics")
    assert "Finance</a>" in english and "Finance</a>" not in found
    assert len(computed) == 2

    Profile.objects.update_or_create(user=executive, defaults={"language": "fr"})
    client.force_login(executive)
    french = page(client, cycle)
    assert "Indice d&#x27;alignement" in french or "Indice d'alignement" in french
    assert "Alignment index" not in french
    assert len(computed) == 3


def test_each_reader_sees_what_their_roles_give_them_from_a_cached_page(
    login, cycle, logistics, executive, admin_user, head, computed
):
    executive_page = page(login(executive), cycle)
    assert "Record an action" in executive_page
    assert 'id="executive-score"' in executive_page
    assert "Your team" not in executive_page

    admin_page = page(login(admin_user), cycle)  # sees the cycles, does not run them
    assert "Record an action" not in admin_page
    assert 'id="executive-score"' not in admin_page
    assert 'id="reports"' in admin_page

    executive_head = make_head(logistics, username="eve-exec-head", groups=[EXECUTIVE])
    own = page(login(executive_head), cycle)  # their own team first
    assert '<th scope="rowgroup" colspan="5">Your team</th>' in own
    assert len(computed) == 3

    assert login(head).get(cycle.get_absolute_url()).status_code == 403


@pytest.mark.parametrize("shown", ["open", "closed"])
def test_the_page_runs_as_many_queries_for_many_teams_as_for_few_cached_or_not(
    client, monkeypatch, shown
):
    """Counted with the body read from the cache, and with it missing each time."""
    keys = iter(range(1_000_000))
    original = selectors.cycle_facts

    def missing(*args):
        return f"{original(*args)}:{next(keys)}"

    def counted(dataset) -> tuple[int, int]:
        cycle = dataset.open_cycle if shown == "open" else dataset.cycles[-2]
        assert cycle.is_closed == (shown == "closed")
        client.force_login(dataset.executive)
        page(client, cycle)  # the first request after logging in also saves the session
        with CaptureQueriesContext(connection) as queries:
            page(client, cycle)
        cached = len(queries)
        with monkeypatch.context() as patched:
            patched.setattr(selectors, "cycle_facts", missing)
            with CaptureQueriesContext(connection) as queries:
                page(client, cycle)
        return cached, len(queries)

    small = counted(data.build(teams=3, objectives=3, quarters=3))
    data.clear()
    large = counted(data.build(teams=12, objectives=5, quarters=4))

    assert large == small
    cached, computing = small
    assert cached < computing <= 15
    assert cached <= (8 if shown == "open" else 7)


def test_a_cycle_read_with_its_facts_is_the_cycle_and_its_facts_move_with_its_scores(
    cycle, logistics_check, objectives, head
):
    found, previous = selectors.cycle_and_previous(cycle.pk)
    before = selectors.cycle_facts(found, previous)

    submit(logistics_check, head, logistics_scores(objectives))
    found, previous = selectors.cycle_and_previous(cycle.pk)

    assert found == cycle
    assert isinstance(found, ReviewCycle)
    assert selectors.cycle_facts(found, previous) != before
