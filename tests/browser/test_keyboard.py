"""Keyboard-only use: Tab reaches every control of a check and the actions of a review, a score
changes with the arrow keys, and Enter submits."""

import pytest
from playwright.sync_api import expect

from reviews.models import LEVERS, AlignmentCheck
from strategy.models import Lever
from tests.browser.conftest import LIVE_DB, assert_no_problems, autosaved, session_cookie
from tests.factories import CommitmentFactory, fill_check, make_open_cycle, make_published_position

pytestmark = [pytest.mark.browser, LIVE_DB]

# What the focused element is, in words a failure message can show.
FOCUSED = """() => {
    const e = document.activeElement;
    return {
        tag: e.tagName.toLowerCase(),
        id: e.id,
        name: e.getAttribute("name") || "",
        text: (e.innerText || e.value || "").trim().slice(0, 60),
    };
}"""


def tab_until(page, is_target, *, limit: int = 120) -> list[dict]:
    """Press Tab until `is_target(focused)`; returns every element focused on the way."""
    visited = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        visited.append(focused)
        if is_target(focused):
            return visited
    raise AssertionError(f"{limit} presses of Tab never reached the target; focused: {visited}")


@pytest.fixture
def open_check(executive, head, logistics, queued_tasks):
    """Logistics' check of an open quarter, saved as a draft with every lever at 3."""
    position = make_published_position(by=executive, objectives=1)
    CommitmentFactory(unit=logistics, objective=position.objectives.get(), lever=Lever.INVENTORY)
    cycle = make_open_cycle(position, quarter=2)
    check = AlignmentCheck.objects.get(cycle=cycle, unit=logistics)
    return fill_check(check, by=head, scores=3, submit=False)


def test_a_head_scores_and_submits_a_check_with_the_keyboard_alone(
    live_server, watched_page, head, open_check
):
    page = watched_page
    page.context.add_cookies([session_cookie(head, live_server.url)])
    page.goto(live_server.url + open_check.get_absolute_url())
    item = open_check.items.get()
    people = f"id_item-{item.pk}-score_{Lever.PEOPLE}"
    expect(page.locator(f"#{people}")).to_have_value("3")

    visited = tab_until(page, lambda f: f["id"] == people)
    with autosaved(page):
        page.keyboard.press("ArrowDown")
    expect(page.locator(f"#{people}")).to_have_value("4")
    visited += tab_until(page, lambda f: f["text"] == "Submit check")

    # Every control of the check form was on the way: scores, texts, statuses and buttons.
    controls = page.eval_on_selector_all(
        "#check-form select, #check-form textarea, #check-form button",
        "elements => elements.map(e => e.id || e.innerText.trim())",
    )
    reached = {f["id"] or f["text"] for f in visited}
    assert set(controls) <= reached, f"not reached by Tab: {set(controls) - reached}"
    assert len(controls) >= len(LEVERS) + 4  # six scores, evidence, blockers, two buttons

    page.keyboard.press("Enter")
    expect(page.get_by_text("Check submitted. Thank you.")).to_be_visible()
    open_check.refresh_from_db()
    assert open_check.is_submitted
    assert open_check.items.get().score_people == 4
    assert_no_problems(page)


def test_an_executive_reaches_record_an_action_on_the_cycle_page_by_tab(
    live_server, watched_page, executive, open_check
):
    page = watched_page
    page.context.add_cookies([session_cookie(executive, live_server.url)])
    page.goto(live_server.url + open_check.cycle.get_absolute_url())

    tab_until(page, lambda f: f["tag"] == "a" and f["text"].startswith("Record an action"))
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name="Record a decision or corrective action")
    ).to_be_visible()
    assert_no_problems(page)
