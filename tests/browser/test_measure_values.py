"""Entering a measure's values in a browser: its reporting team's head on the check page (an
autosave of its own) and an executive on the objective page (the form filled in with what a
period has, so that a correction is deliberate); each value saved, shown, and the value it
replaced kept in the history."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import AlignmentCheck
from strategy import outcomes
from strategy.models import Lever, MeasureActual, fiscal_year_of
from tests.browser.conftest import LIVE_DB, assert_no_problems, session_cookie
from tests.factories import (
    CommitmentFactory,
    MeasureFactory,
    make_open_cycle,
    make_published_position,
)

pytestmark = [pytest.mark.browser, LIVE_DB]


@pytest.fixture
def year():
    """Last fiscal year: every period has ended, whatever the day the tests run."""
    return fiscal_year_of(timezone.localdate()) - 1


@pytest.fixture
def measure(executive, logistics, year):
    """On-time share, 80 → 96 a quarter (plan 84, 88, 92, 96), reported by Logistics."""
    position = make_published_position(fiscal_year=year, by=executive, objectives=1)
    return MeasureFactory(
        objective=position.objectives.get(),
        name="On-time share",
        unit="%",
        baseline=Decimal("80"),
        target=Decimal("96"),
        reporting_team=logistics,
    )


def stored(measure, number):
    return MeasureActual.objects.get(measure=measure, period=number)


def history(measure, number) -> list[tuple]:
    rows = MeasureActual.history.filter(measure_id=measure.pk, period=number)
    return list(rows.order_by("history_date").values_list("value", "comment"))


def test_the_head_enters_and_corrects_a_value_on_the_check_page(
    live_server, watched_page, head, logistics, measure, year
):
    CommitmentFactory(unit=logistics, objective=measure.objective, lever=Lever.PEOPLE)
    make_open_cycle(measure.objective.position, quarter=3)
    check = AlignmentCheck.objects.get(unit=logistics)
    page = watched_page
    page.context.add_cookies([session_cookie(head, live_server.url)])
    page.goto(f"{live_server.url}{check.get_absolute_url()}")
    page.wait_for_load_state("load")  # htmx is bound
    field = page.get_by_label(f"On-time share, Q3 FY{year}", exact=True)
    status = page.locator("#measures-status")

    field.fill("85")
    field.press("Tab")  # the change sends the autosave; the focus is on the value's comment

    expect(status).to_contain_text("Values saved")
    assert stored(measure, 3).value == Decimal("85")
    assert stored(measure, 3).entered_by == head
    comment = page.get_by_label(f"Comment on On-time share, Q3 FY{year}")
    expect(comment).to_be_focused()
    comment.fill("Two late trucks")
    comment.press("Tab")  # a comment is saved as it is typed too

    # Saved: the answer brings back the comment the next save is checked against.
    shown = page.locator(f"#id_measure-{measure.pk}-Q3-comment-shown")
    expect(shown).to_have_value("Two late trucks")
    assert (stored(measure, 3).value, stored(measure, 3).comment) == (
        Decimal("85"),
        "Two late trucks",
    )
    page.reload()
    expect(page.get_by_label(f"On-time share, Q3 FY{year}", exact=True)).to_have_value("85.00")
    expect(page.get_by_label(f"Comment on On-time share, Q3 FY{year}")).to_have_value(
        "Two late trucks"
    )
    expect(page.get_by_text("Behind plan").first).to_be_visible()  # 7 short of 92 on 16

    field = page.get_by_label(f"On-time share, Q3 FY{year}", exact=True)
    field.fill("91.5")
    field.press("Tab")

    expect(page.locator("#measures-status")).to_contain_text("Values saved")
    assert stored(measure, 3).value == Decimal("91.5")
    assert history(measure, 3) == [
        (Decimal("85"), ""),
        (Decimal("85"), "Two late trucks"),
        (Decimal("91.5"), "Two late trucks"),  # a correction of the value keeps its comment
    ]
    page.goto(f"{live_server.url}{reverse('strategy:measure-history', args=[measure.pk])}")
    expect_change(page, "Value", "85.00", "91.50")
    assert_no_problems(page)


def expect_change(page, field: str, before: str, after: str) -> None:
    """The newest entry of a history page, opened, shows the field's value before and after."""
    entry = page.locator("ol.history > li").first
    entry.locator("summary").click()
    row = entry.get_by_role("row", name=f"{field} {before} {after}".strip())
    expect(row).to_be_visible()


def test_an_executive_corrects_a_value_and_its_comment_on_the_objective_page(
    live_server, watched_page, executive, head, measure, year
):
    outcomes.measure_actual_record(
        measure=measure,
        period=outcomes.Period(year, 1),
        value="85",
        by=head,
        comment="Two late trucks",
    )
    page = watched_page
    page.context.add_cookies([session_cookie(executive, live_server.url)])
    page.goto(f"{live_server.url}{measure.objective.get_absolute_url()}")
    period, value = page.get_by_label("Period", exact=True), page.get_by_label("Value (%)")
    comment = page.get_by_label("Comment (optional)")

    # The form opens on the last due period, Q4, which has no value yet: a new one.
    expect(period).to_have_value("Q4")
    expect(value).to_have_value("")
    expect(comment).to_have_value("")
    value.fill("95")
    page.get_by_role("button", name="Record value").click()
    expect(page.get_by_text(f"On-time share: FY{year} Q4 recorded.")).to_be_visible()
    assert stored(measure, 4).value == Decimal("95")

    # Choosing Q1 fills the form with what Q1 has: clearing its comment is deliberate.
    page.get_by_label("Period", exact=True).select_option("Q1")
    expect(page.get_by_label("Value (%)")).to_have_value("85.00")
    expect(page.get_by_label("Comment (optional)")).to_have_value("Two late trucks")
    page.get_by_label("Value (%)").fill("86")
    page.get_by_label("Comment (optional)").fill("")
    page.get_by_role("button", name="Record value").click()

    expect(page.get_by_text(f"On-time share: FY{year} Q1 recorded.")).to_be_visible()
    expect(page.get_by_role("cell", name="86.00")).to_be_visible()
    actual = stored(measure, 1)
    assert (actual.value, actual.comment, actual.entered_by) == (Decimal("86"), "", executive)
    assert history(measure, 1) == [
        (Decimal("85"), "Two late trucks"),
        (Decimal("86"), ""),
    ]
    page.get_by_role("link", name="value history").click()
    expect_change(page, "Value", "85.00", "86.00")
    entry = page.locator("ol.history > li").first
    expect(entry.get_by_role("row", name="Comment Two late trucks")).to_be_visible()
    assert_no_problems(page)
