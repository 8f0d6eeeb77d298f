"""The check's autosave in a browser: the version it carries, a button pressed while it is on
its way, and a stale tab."""

import pytest
from playwright.sync_api import expect

from reviews.models import AlignmentCheck
from strategy.models import Lever
from tests.browser.conftest import LIVE_DB, assert_no_problems, autosaved, session_cookie
from tests.factories import CommitmentFactory, make_open_cycle, make_published_position

pytestmark = [pytest.mark.browser, LIVE_DB]


@pytest.fixture
def check(executive, logistics, head):
    position = make_published_position(by=executive, objectives=1)
    CommitmentFactory(unit=logistics, objective=position.objectives.get(), lever=Lever.PEOPLE)
    make_open_cycle(position, quarter=3)
    return AlignmentCheck.objects.get(unit=logistics)


def open_check(page, live_server, head, check) -> None:
    page.context.add_cookies([session_cookie(head, live_server.url)])
    page.goto(f"{live_server.url}{check.get_absolute_url()}")


def test_submitting_while_an_autosave_is_on_its_way_waits_for_it(
    live_server, watched_page, head, check
):
    page = watched_page
    open_check(page, live_server, head, check)
    for lever in Lever.labels:
        with autosaved(page):
            page.get_by_label(str(lever), exact=True).select_option("4")
    held = []

    def hold_the_answer(route):
        # The server saves (the version moves on) but the page does not hear back yet.
        if route.request.headers.get("hx-request") == "true":
            held.append((route, route.fetch()))
        else:
            route.continue_()

    page.route("**/save/", hold_the_answer)
    page.get_by_label("Evidence").fill("Fill rate 97% over the quarter.")
    page.get_by_role("button", name="Submit check").click()  # leaving the field autosaves it
    while not held:
        page.wait_for_timeout(50)
    route, answer = held[0]
    route.fulfill(response=answer)

    expect(page.get_by_text("Check submitted. Thank you.")).to_be_visible()
    check.refresh_from_db()
    assert check.is_submitted
    assert check.items.get().evidence == "Fill rate 97% over the quarter."
    assert_no_problems(page)


def test_a_stale_tab_is_refused_and_keeps_what_was_typed(live_server, watched_page, head, check):
    tab_1 = watched_page
    open_check(tab_1, live_server, head, check)
    tab_2 = tab_1.context.new_page()
    tab_2.goto(f"{live_server.url}{check.get_absolute_url()}")
    with autosaved(tab_2):
        tab_2.get_by_label("Evidence").fill("Typed in tab 2")
        tab_2.get_by_label("Blockers").click()

    tab_1.wait_for_load_state("load")  # htmx and the form's script are bound
    tab_1.get_by_label("Evidence").fill("Typed in tab 1")
    tab_1.get_by_label("Blockers").click()

    status = tab_1.get_by_role("alert")
    expect(status).to_contain_text("You saved this check at")
    expect(tab_1.get_by_label("Evidence")).to_have_value("Typed in tab 1")
    assert check.items.get().evidence == "Typed in tab 2"
    status.get_by_role("link", name="Load the latest version").click()
    expect(tab_1.get_by_label("Evidence")).to_have_value("Typed in tab 2")
    assert_no_problems(tab_1)
