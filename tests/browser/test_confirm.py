"""Irreversible actions ask first: dismissing the question sends nothing, accepting sends it."""

import pytest
from playwright.sync_api import expect

from reviews.models import ReviewCycle
from tests.browser.conftest import LIVE_DB, assert_no_problems, session_cookie
from tests.factories import make_open_cycle, make_published_position

pytestmark = [pytest.mark.browser, LIVE_DB]


def test_closing_a_review_asks_first_and_a_dismissed_question_closes_nothing(
    live_server, watched_page, queued_tasks, executive, head, logistics
):
    page = watched_page
    cycle = make_open_cycle(make_published_position(by=executive, objectives=1), quarter=1)
    page.context.add_cookies([session_cookie(executive, live_server.url)])
    page.goto(f"{live_server.url}{cycle.get_absolute_url()}")
    questions, posts = [], []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    def dismiss(dialog):
        questions.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Close and freeze").click()

    page.wait_for_load_state()
    expect(page.get_by_role("button", name="Close and freeze")).to_be_visible()
    assert posts == []
    assert questions == [
        (
            "confirm",
            "Close Q1 FY2026 and freeze its results? Checks and scores can no longer change; "
            "this cannot be undone.",
        )
    ]
    cycle.refresh_from_db()
    assert cycle.state == ReviewCycle.State.OPEN

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Close and freeze").click()

    expect(page.get_by_text("Q1 FY2026 closed; its results are frozen.")).to_be_visible()
    cycle.refresh_from_db()
    assert cycle.state == ReviewCycle.State.CLOSED
    assert_no_problems(page)
