"""One whole journey per role, clicked through as a new user would, with no console error and no
CSP violation on any page on the way."""

import re
from datetime import date

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from reports import services as report_services
from reports.models import ReportFile
from reviews.models import Action, AlignmentCheck, ReviewCycle
from strategy.models import Acknowledgement, Lever, StrategicPosition, Unit
from tests.browser.conftest import LIVE_DB, assert_no_problems, autosaved, log_in
from tests.factories import (
    PASSWORD,
    CommitmentFactory,
    fill_check,
    make_open_cycle,
    make_published_position,
)

pytestmark = [pytest.mark.browser, LIVE_DB]


def test_an_executive_publishes_the_strategy_opens_a_quarterly_review_and_records_an_action(
    live_server, watched_page, queued_tasks, executive, logistics
):
    page = watched_page
    log_in(page, live_server, executive.username, PASSWORD)

    page.get_by_role("link", name="New strategic position").click()
    page.get_by_label("Fiscal year").fill("2026")
    page.get_by_label("Positioning statement").fill("We win on service: on time, every time.")
    page.get_by_label("Theme, row 1").select_option("service")
    page.get_by_label("Weight, row 1").fill("100")
    page.get_by_label("Rank, row 1").fill("1")
    page.get_by_label("Title, row 1").fill("On-time delivery")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name="Strategic position FY2026")).to_be_visible()

    page.get_by_role("link", name="Add objective").click()
    page.get_by_label("Title").fill("Deliver on the promised date")
    page.get_by_label("Priority weight").fill("100")
    page.get_by_label("Customer priority").select_option(label="1. On-time delivery")
    page.get_by_label("Internal message").fill("Every order ships when promised.")
    page.get_by_label("External promise").fill("Your order arrives on the date we promise.")
    page.get_by_role("button", name="Save objective").click()
    expect(page.get_by_role("heading", name="Deliver on the promised date")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())  # "Publish the FY2026 position?"
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Strategic position FY2026 published.")).to_be_visible()
    assert StrategicPosition.objects.get(fiscal_year=2026).is_current

    # Plan the first quarterly review with the dates the form proposes, then open it.
    page.get_by_role("link", name="Reviews", exact=True).click()
    page.get_by_role("link", name="Plan a quarterly review").click()
    expect(page.get_by_label("Fiscal year")).to_have_value("2026")
    page.get_by_role("button", name="Plan review").click()
    expect(page.get_by_text("Q1 FY2026 planned.")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())  # "Open Q1 FY2026 now?"
    page.get_by_role("button", name="Open the review").click()
    expect(page.get_by_text(re.compile(r"Q1 FY2026 opened: 1 teams? ha"))).to_be_visible()
    cycle = ReviewCycle.objects.get()
    assert cycle.state == ReviewCycle.State.OPEN
    assert AlignmentCheck.objects.get(cycle=cycle).unit == logistics

    page.locator("#actions").get_by_role("link", name="Record an action").click()
    page.get_by_label("Title").fill("Agree delivery slots with the carriers")
    page.get_by_label("Objective").select_option(label="Deliver on the promised date")
    page.get_by_label("Owner").select_option(label="Logistics")
    page.get_by_label("Due date").fill("2026-06-30")
    page.get_by_role("button", name="Record action").click()
    expect(page.get_by_text("Action recorded.")).to_be_visible()
    actions = page.get_by_role(
        "table", name="Open actions, including those carried over from earlier reviews"
    )
    expect(actions.get_by_text("Agree delivery slots with the carriers")).to_be_visible()
    action = Action.objects.get()
    assert (action.cycle, action.owner, action.due_on) == (cycle, logistics, date(2026, 6, 30))
    assert_no_problems(page)


def test_a_head_saves_a_check_as_draft_comes_back_to_it_and_submits_it(
    live_server, watched_page, queued_tasks, executive, head, logistics
):
    position = make_published_position(by=executive, objectives=1)
    objective = position.objectives.get()
    CommitmentFactory(unit=logistics, objective=objective, lever=Lever.INVENTORY)
    cycle = make_open_cycle(position, quarter=2)
    page = watched_page
    log_in(page, live_server, head.username, PASSWORD)

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
        "Communication": "2",
    }
    for lever, value in scores.items():
        with autosaved(page):
            page.get_by_label(lever, exact=True).select_option(value)
    expect(page.get_by_text("Draft saved at")).to_be_visible()
    # A text field autosaves when it loses focus. Wait for that before pressing Save draft, or
    # the two saves race, and the test database (SQLite) refuses two writers at once.
    for field, text in [
        ("Evidence", "Fill rate 97% over the quarter."),
        ("Blockers", "One driver short in August."),
    ]:
        with autosaved(page):
            page.get_by_label(field).fill(text)
            page.get_by_label(field).blur()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.", exact=True)).to_be_visible()

    # Coming back later: everything typed is still there.
    page.reload()
    for lever, value in scores.items():
        expect(page.get_by_label(lever, exact=True)).to_have_value(value)
    expect(page.get_by_label("Evidence")).to_have_value("Fill rate 97% over the quarter.")
    expect(page.get_by_label("Blockers")).to_have_value("One driver short in August.")
    check = AlignmentCheck.objects.get(cycle=cycle, unit=logistics)
    assert check.state == AlignmentCheck.State.DRAFT

    page.get_by_role("button", name="Submit check").click()
    expect(page.get_by_text("Check submitted. Thank you.")).to_be_visible()
    # Submitted: the scores show, read-only, and there is nothing left to press.
    expect(page.get_by_label("Inventory and materials", exact=True)).to_be_disabled()
    expect(page.get_by_label("Inventory and materials", exact=True)).to_have_value("5")
    expect(page.get_by_label("Evidence")).to_be_disabled()
    expect(page.get_by_role("button", name="Submit check")).to_have_count(0)
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    check.refresh_from_db()
    assert check.is_submitted
    assert check.items.get().blockers == "One driver short in August."
    assert_no_problems(page)


def test_an_admin_imports_teams_from_a_csv_file_and_exports_the_quarter(
    live_server, watched_page, queued_tasks, executive, head, admin_user, logistics, tmp_path
):
    position = make_published_position(by=executive, objectives=1)
    CommitmentFactory(unit=logistics, objective=position.objectives.get())
    cycle = make_open_cycle(position, quarter=2)
    fill_check(AlignmentCheck.objects.get(cycle=cycle), by=head, scores=4)
    page = watched_page
    log_in(page, live_server, admin_user.username, PASSWORD)

    # Import two new units in the Django admin: preview, then confirm.
    csv_file = tmp_path / "units.csv"
    csv_file.write_text(
        "code,name,level,kind,parent,is_active\n"
        "north,North region,business,region,,true\n"
        "returns,Returns desk,functional,team,north,true\n"
    )
    page.locator("nav .dropdown-toggle").click()
    page.get_by_role("link", name="Django admin").click()
    page.get_by_role("link", name="Units").click()
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File to import").set_input_files(csv_file)
    page.get_by_label("Format").select_option(label="csv")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Returns desk")).to_be_visible()
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_text(re.compile(r"Import finished.*2 new"))).to_be_visible()
    returns = Unit.objects.get(code="returns")
    assert (returns.name, returns.parent.code, returns.kind) == ("Returns desk", "north", "team")

    # Export the quarter from the cycle page: the builds are queued for the worker. While a
    # build is queued the page polls every 2 s; the page's clock stands still until the worker
    # (this thread) is done, so that no poll reads the reports while they are being written.
    page.clock.install()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Reviews", exact=True).click()
    page.get_by_role("link", name=cycle.label).click()
    page.get_by_role("button", name="Build the Excel workbook").click()
    expect(page.get_by_text("The Excel workbook (XLSX) is being built.")).to_be_visible()
    page.get_by_role("button", name="Build the PDF").click()
    expect(page.get_by_text("The PDF is being built.")).to_be_visible()
    files = page.locator("#report-files")
    expect(files.get_by_text("PDF: queued")).to_be_visible()
    assert len(queued_tasks.reports) == 2
    for report_id in queued_tasks.reports:  # what the Celery worker does
        assert report_services.report_build(report_id=report_id) == "done"
    page.clock.run_for(2_500)  # the next poll shows the links without a reload
    expect(files.get_by_role("link", name="PDF", exact=True)).to_be_visible()
    page.reload()

    with page.expect_download() as xlsx_download:
        files.get_by_role("link", name="Excel workbook (XLSX)").click()
    with page.expect_download() as pdf_download:
        files.get_by_role("link", name="PDF", exact=True).click()
    downloads = (xlsx_download, pdf_download)
    xlsx_path, pdf_path = (tmp_path / d.value.suggested_filename for d in downloads)
    for download, path in zip(downloads, (xlsx_path, pdf_path), strict=True):
        download.value.save_as(path)
    assert xlsx_path.suffix == ".xlsx"
    assert pdf_path.suffix == ".pdf"

    workbook = load_workbook(xlsx_path, read_only=True)
    cells = {
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    }
    assert "Logistics" in cells
    pdf = PdfReader(pdf_path)
    assert "Logistics" in "\n".join(p.extract_text() for p in pdf.pages)
    assert ReportFile.objects.filter(state=ReportFile.State.DONE).count() == 2
    assert_no_problems(page)


def test_a_member_reads_the_strategy_and_says_so(
    live_server, watched_page, executive, member, logistics
):
    position = make_published_position(by=executive, objectives=1)
    objective = position.objectives.get()
    CommitmentFactory(unit=logistics, objective=objective, statement="Two weeks of stock.")
    page = watched_page
    log_in(page, live_server, member.username, PASSWORD)

    page.get_by_role("link", name="Read the strategy").click()
    expect(page.get_by_role("heading", name="Strategic position FY2026")).to_be_visible()
    page.get_by_role("link", name="your team's commitments").click()
    page.get_by_role("link", name="Logistics").click()
    commitments = page.get_by_role("table", name=f"Commitments to {objective.title}")
    expect(commitments.get_by_text("Two weeks of stock.")).to_be_visible()
    page.get_by_role("link", name="Strategy", exact=True).click()
    page.get_by_role("button", name="I have read the strategy and my team's commitments").click()
    expect(page.get_by_text("Thank you: you have read the FY2026 strategy.")).to_be_visible()
    expect(page.get_by_text("You confirmed on")).to_be_visible()
    expect(
        page.get_by_role("button", name="I have read the strategy and my team's commitments")
    ).to_have_count(0)
    assert Acknowledgement.objects.filter(user=member, position=position).exists()

    page.get_by_role("link", name="Home").click()
    expect(page.get_by_text("You have read it.")).to_be_visible()
    assert_no_problems(page)
