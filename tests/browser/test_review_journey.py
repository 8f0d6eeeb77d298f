"""A head fills in and submits a check (autosaved with htmx); an executive reviews it."""

from datetime import date

import pytest
from playwright.sync_api import expect

from reviews import services
from reviews.models import Action, AlignmentCheck, ReviewCycle
from strategy.models import Lever
from tests.browser.conftest import LIVE_DB, assert_no_problems, autosaved, log_in, log_out
from tests.factories import CommitmentFactory, make_published_position

pytestmark = [pytest.mark.browser, LIVE_DB]


def test_head_submits_check_and_executive_records_an_action(
    live_server, watched_page, executive, head, logistics
):
    page = watched_page
    position = make_published_position(by=executive, objectives=1)
    objective = position.objectives.get()
    CommitmentFactory(unit=logistics, objective=objective, lever=Lever.INVENTORY)
    cycle = ReviewCycle.objects.create(
        position=position,
        fiscal_year=position.fiscal_year,
        quarter=3,
        opens_on=date(2026, 10, 1),
        due_on=date(2026, 10, 15),
    )
    services.cycle_open(cycle=cycle)
    check = AlignmentCheck.objects.get(unit=logistics)

    log_in(page, live_server, head.username, "correct-horse-battery")
    page.get_by_role("link", name=f"Logistics · {cycle.label}").click()
    expect(
        page.get_by_role("heading", name=f"Logistics: alignment check, {cycle.label}")
    ).to_be_visible()
    scores = {
        "People and skills": "4",
        "Incentives": "3",
        "Inventory and materials": "5",
        "Processes and policies": "4",
        "Funding": "0",
        "Communication": "4",
    }
    for lever, value in scores.items():
        with autosaved(page):
            page.get_by_label(lever, exact=True).select_option(value)
    expect(page.get_by_text("Draft saved at")).to_be_visible()
    with autosaved(page):
        page.get_by_label("Evidence").fill("Fill rate 97% over the quarter.")
        page.get_by_label("Blockers").click()  # leaving the field autosaves it
    page.get_by_role("button", name="Submit check").click()
    expect(page.get_by_text("Check submitted. Thank you.")).to_be_visible()
    check.refresh_from_db()
    assert check.is_submitted
    assert check.items.get().evidence == "Fill rate 97% over the quarter."
    log_out(page)

    log_in(page, live_server, executive.username, "correct-horse-battery")
    page.get_by_role("link", name="Reviews", exact=True).click()
    page.get_by_role("link", name=cycle.label).click()
    heatmap = page.get_by_role("table", name="Fit by team and objective")
    row = heatmap.get_by_role("row").filter(has_text="Logistics")
    cell = row.get_by_role("cell", name="75", exact=True).first
    expect(cell).to_be_visible()
    # The cell has the legend's colour for 60-79, not the table's white.
    legend = page.locator(".heat-legend .heat-3")
    colour = legend.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(216, 240, 192)"
    assert cell.evaluate("e => getComputedStyle(e).backgroundColor") == colour
    page.get_by_role("link", name="Record an action").first.click()
    page.get_by_label("Title").fill("Review safety stock for the top 200 items")
    page.select_option("#id_objective", label=objective.title)
    page.select_option("#id_owner", label="Logistics")
    page.get_by_label("Due date").fill("2026-12-31")
    page.get_by_role("button", name="Record action").click()
    expect(page.get_by_text("Action recorded.")).to_be_visible()
    actions = page.get_by_role(
        "table", name="Open actions, including those carried over from earlier reviews"
    )
    expect(
        actions.get_by_role("button", name="Done: Review safety stock for the top 200 items")
    ).to_be_visible()
    assert Action.objects.get().owner == logistics
    page.screenshot(path="test-results/cycle-page.png", full_page=True)
    assert_no_problems(page)
