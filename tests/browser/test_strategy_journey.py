"""An executive writes and publishes the strategy, a head commits, a member reads it."""

import re

import pytest
from playwright.sync_api import expect

from strategy.models import Commitment, StrategicPosition
from tests.browser.conftest import LIVE_DB, assert_no_problems, log_in, log_out
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, LIVE_DB]


def test_executive_publishes_head_commits_member_reads(
    live_server, watched_page, executive, head, member, logistics
):
    page = watched_page

    # The executive writes a position with two objectives and publishes it.
    log_in(page, live_server, executive.username, PASSWORD)
    page.get_by_role("link", name="New strategic position").first.click()
    page.get_by_label("Fiscal year").fill("2026")
    page.get_by_label("Positioning statement").fill("We win on service: on time, every time.")
    page.select_option("#id_themes-0-theme", "service")
    page.fill("#id_themes-0-weight", "70")
    # One blank row per list; "Add a theme" adds another on the page, and takes the focus to it.
    expect(page.locator("#id_themes-1-theme")).to_have_count(0)
    page.get_by_role("button", name="Add a theme").click()
    expect(page.get_by_label("Theme, row 2")).to_be_focused()
    page.select_option("#id_themes-1-theme", "price")
    page.fill("#id_themes-1-weight", "30")
    page.get_by_role("button", name="Add a theme").click()
    expect(page.get_by_role("button", name="Add a theme")).to_be_hidden()  # three themes
    page.select_option("#id_themes-2-theme", "quality")
    page.fill("#id_themes-2-weight", "0")  # left out, and the page says so
    page.fill("#id_priorities-0-rank", "1")
    page.fill("#id_priorities-0-title", "On-time delivery")
    page.fill("#id_competitors-0-name", "BudgetCo")
    page.fill("#id_competitors-0-positioning", "Lowest price, slow delivery")
    page.fill("#id_competitors-0-our_difference", "We deliver on the promised date")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name="Strategic position FY2026")).to_be_visible()
    expect(page.get_by_text("High quality had a weight of 0 and was left out.")).to_be_visible()
    assert dict(
        StrategicPosition.objects.get(fiscal_year=2026).themes.values_list("theme", "weight")
    ) == {"service": 70, "price": 30}

    for title, promise in [
        ("Deliver on the promised date", "Your order arrives on the date we promise."),
        ("Keep the right stock", "What we list is on our shelves."),
    ]:
        page.get_by_role("link", name="Add objective").click()
        page.get_by_label("Title").fill(title)
        page.get_by_label("Priority weight").fill("50")
        page.select_option("#id_customer_priority", label="1. On-time delivery")
        page.get_by_label("Internal message").fill("Every order ships when promised.")
        page.get_by_label("External promise").fill(promise)
        page.get_by_role("button", name="Save objective").click()
        expect(page.get_by_role("heading", name=title)).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())  # "Publish the FY2026 position?"
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Strategic position FY2026 published.")).to_be_visible()
    expect(page.get_by_text("current", exact=True)).to_be_visible()
    assert StrategicPosition.objects.get(fiscal_year=2026).is_current
    log_out(page)

    # The head of Logistics commits the team to the first objective.
    log_in(page, live_server, head.username, PASSWORD)
    page.get_by_role("link", name="Logistics").first.click()
    page.get_by_role("link", name="Add commitment").click()
    page.select_option("#id_objective", label="Deliver on the promised date")
    page.select_option("#id_lever", "inventory")
    page.get_by_label("Statement").fill("Hold two weeks of stock for the top 200 items.")
    page.get_by_label("Measurable target").fill("Fill rate 98%")
    page.get_by_label("Due date").fill("2026-12-15")
    page.select_option("#id_status", "on_track")
    page.get_by_role("button", name="Save commitment").click()
    expect(page.get_by_text("Commitment added.")).to_be_visible()
    commitments = page.get_by_role("table", name="Commitments to Deliver on the promised date")
    expect(
        commitments.get_by_text("Hold two weeks of stock for the top 200 items.")
    ).to_be_visible()
    page.screenshot(path="test-results/unit-page.png", full_page=True)
    assert Commitment.objects.filter(unit=logistics, lever="inventory").count() == 1
    log_out(page)

    # A member reads the strategy, with the messages, the promises and who backs them.
    log_in(page, live_server, member.username, PASSWORD)
    page.get_by_role("link", name="Strategy", exact=True).click()
    expect(page).to_have_url(re.compile(r"/strategy/positions/2026/$"))
    positioning = page.get_by_role("region", name="Positioning")
    expect(positioning.get_by_text("We win on service: on time, every time.")).to_be_visible()
    objective = page.get_by_role("article").filter(has_text="Deliver on the promised date")
    expect(objective.get_by_text("Your order arrives on the date we promise.")).to_be_visible()
    expect(objective.get_by_text("Logistics")).to_be_visible()
    expect(page.get_by_role("link", name="Edit position")).to_have_count(0)

    page.screenshot(path="test-results/strategy-page.png", full_page=True)
    assert_no_problems(page)
