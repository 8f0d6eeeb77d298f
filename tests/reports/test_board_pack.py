"""The board pack stays something a board reads, whatever the company's size: every team in
its part's tables, a page of its own only for the teams with the lowest fit, the first signals
and a count of the rest."""

import re

import pytest
from django.urls import reverse

from reports import writers
from reviews.models import ReviewCycle
from strategy.models import Unit
from tests.factories import UnitFactory
from tests.reports.support import pdf_text

pytestmark = pytest.mark.django_db


def squeeze(value: str) -> str:
    """Text without whitespace: PDF text extraction breaks long lines where it likes."""
    return re.sub(r"\s+", "", value)


@pytest.fixture
def regions(org):
    """Logistics (fit 48) and Finance (100) in the North region; Quality (in draft) in none."""
    north = UnitFactory(name="North region", code="north")
    Unit.objects.filter(pk__in=[org.logistics.pk, org.finance.pk]).update(parent=north)
    return north


def test_a_company_within_the_team_pages_gives_every_team_a_page(org, regions):
    data = writers.report_data(org.cycle, pages=True)

    assert data["team_pages"] == data["team_count"] == 3
    assert all(t["has_page"] for t in data["teams"])
    assert [p["pages"] for p in data["parts"]] == [2, 1]


def test_beyond_the_team_pages_only_the_teams_with_the_lowest_fit_have_a_page(
    org, regions, monkeypatch
):
    monkeypatch.setattr(writers, "TEAM_PAGES", 1)

    content = writers.pdf_bytes(org.cycle)

    text = squeeze(pdf_text(content))
    # Logistics (48) has its page: its lever means, evidence, blockers and commitments.
    for shown in ("Logistics: 48 (submitted)", "Pickers trained: see the LMS report.", "At risk"):
        assert squeeze(shown) in text
    # Finance (100) and Quality (unscored) are in their parts' tables only.
    for left_out in ("Carrier penalties paid on time.", "Draft evidence.", "Finance: 100"):
        assert squeeze(left_out) not in text
    assert squeeze("Finance submitted 100") in text  # its row: check and fits
    assert squeeze("Quality in draft") in text
    assert (
        squeeze(
            "the 1 team with the lowest team fit has a page of its own, with its lever scores, "
            "evidence, blockers and commitments. Every team's are in the XLSX and the CSV"
        )
        in text
    )
    assert squeeze("Appendix 1: North region, teams 1–2 of 2 (1 team page)") in text
    assert squeeze("Appendix 2: No region, teams 1–1 of 1 (0 team pages)") in text
    assert squeeze(
        "1 of these teams is among the 1 with the lowest team fit: its page follows."
    ) in (text)
    assert squeeze("None of these teams is among the 1 with the lowest team fit") in text


def test_the_team_pages_go_to_the_lowest_team_fits_not_to_unscored_teams(org, monkeypatch):
    monkeypatch.setattr(writers, "TEAM_PAGES", 2)

    data = writers.report_data(org.cycle, pages=True)

    assert {t["name"] for t in data["teams"] if t["has_page"]} == {"Logistics", "Finance"}
    assert data["team_pages"] == 2


def test_the_print_view_still_shows_each_of_its_teams_in_full(login, org, executive, monkeypatch):
    monkeypatch.setattr(writers, "TEAM_PAGES", 1)

    page = login(executive).get(reverse("reports:report-print", args=[org.cycle.pk]))

    html = page.content.decode()
    for evidence in ("Pickers trained", "Carrier penalties paid on time.", "Draft evidence."):
        assert evidence in html


@pytest.fixture
def many_signals(closed_org):
    """The closed review's snapshot froze three signals more than the pack lists."""
    cycle = closed_org.cycle
    snapshot = ReviewCycle.objects.get(pk=cycle.pk).snapshot
    snapshot["signals"] = [
        {"kind": "funding", "label": "Funding", "reason": f"Frozen signal {n:02}", "link": ""}
        for n in range(writers.SIGNALS_SHOWN + 3)
    ]
    cycle.snapshot = snapshot
    cycle.save(update_fields=["snapshot"])
    return closed_org


def test_the_board_pack_lists_the_first_signals_and_counts_the_rest(many_signals):
    text = pdf_text(writers.pdf_bytes(many_signals.cycle))

    assert f"Frozen signal {writers.SIGNALS_SHOWN - 1:02}" in text
    assert f"Frozen signal {writers.SIGNALS_SHOWN:02}" not in text
    assert squeeze("And 3 more: every signal is on the Signals page and in its CSV.") in squeeze(
        text
    )


def test_the_print_view_lists_the_same_signals_with_a_link_to_the_rest(
    login, many_signals, executive
):
    html = (
        login(executive)
        .get(reverse("reports:report-print", args=[many_signals.cycle.pk]))
        .content.decode()
    )

    assert f"Frozen signal {writers.SIGNALS_SHOWN - 1:02}" in html
    assert f"Frozen signal {writers.SIGNALS_SHOWN:02}" not in html
    assert (
        f'And 3 more: every signal is on the Signals page (<a href="{reverse("sustain:signals")}">'
        in html
    )
