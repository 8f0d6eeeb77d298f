"""The print view: the board's summary and one part of the team appendix at a time."""

import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench import data
from reports import writers
from reports.models import ReportFile
from strategy.models import Unit
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def parts(org, monkeypatch):
    """One team a part: North region (Finance, Logistics), then No region (Quality)."""
    monkeypatch.setattr(writers, "TEAMS_PER_PART", 1)
    monkeypatch.setattr(writers, "TEAMS_PER_SCREEN", 1)
    north = UnitFactory(name="North region", code="north")
    Unit.objects.filter(pk__in=[org.logistics.pk, org.finance.pk]).update(parent=north)
    return org


def _get(client, cycle, part=None):
    url = (
        reverse("reports:report-print", args=[cycle.pk])
        if part is None
        else reverse("reports:report-part", args=[cycle.pk, part])
    )
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_print_view_shows_the_summary_and_the_first_part_of_the_appendix(login, parts, executive):
    html = _get(login(executive), parts.cycle)

    assert '<section id="regions">' in html  # the summary
    assert "Appendix 1 of 3, 1 team" in html
    assert 'id="part-1"' in html
    assert "Carrier penalties paid on time." in html  # Finance, in part 1
    assert "Pickers trained" not in html  # Logistics, in part 2
    assert 'rel="prev"' not in html
    next_url = reverse("reports:report-part", args=[parts.cycle.pk, 2])
    assert f'href="{next_url}" rel="next">Appendix 2</a>' in html


def test_print_view_lists_every_part_with_what_is_in_it(login, parts, executive):
    html = _get(login(executive), parts.cycle, 3)

    entries = re.findall(
        r"<li( aria-current=\"page\")?><a [^>]*>(Appendix \d: [^<]*)</a> "
        r"<span class=\"counts\">\(([^)]*)\)</span>",
        html,
    )
    assert entries == [
        ("", "Appendix 1: North region, teams 1–1 of 2", "1 team: 1 submitted, 0 not"),
        ("", "Appendix 2: North region, teams 2–2 of 2", "1 team: 1 submitted, 0 not"),
        (
            ' aria-current="page"',
            "Appendix 3: No region, teams 1–1 of 1",
            "1 team: 0 submitted, 1 not",
        ),
    ]
    assert "Draft evidence." in html  # Quality, in part 3
    assert "Carrier penalties paid on time." not in html
    prev_url = reverse("reports:report-part", args=[parts.cycle.pk, 2])
    assert f'href="{prev_url}" rel="prev">Appendix 2</a>' in html
    assert 'rel="next"' not in html


def test_moving_between_parts_keeps_the_summary(login, parts, executive):
    client = login(executive)
    first, second = _get(client, parts.cycle, 1), _get(client, parts.cycle, 2)

    summary = lambda html: html[html.index("<header") : html.index('<ol class="parts">')]  # noqa: E731
    assert summary(first) == summary(second)
    assert "Pickers trained: see the LMS report." in second
    assert "Carrier penalties paid on time." not in second


def test_print_view_of_a_part_that_does_not_exist_is_not_found(login, parts, executive):
    client = login(executive)

    for part in (0, 4):
        assert (
            client.get(reverse("reports:report-part", args=[parts.cycle.pk, part])).status_code
            == 404
        )


def test_print_view_links_to_the_csv_and_to_where_the_xlsx_and_pdf_are_built(login, org, executive):
    html = _get(login(executive), org.cycle)

    assert f'href="{reverse("reports:report-csv", args=[org.cycle.pk])}"' in html
    assert (
        html.count(f'href="{org.cycle.get_absolute_url()}#reports">build it on the review page')
        == 2
    )


def test_print_view_links_to_the_built_xlsx_and_pdf(login, org, executive):
    for fmt in ("xlsx", "pdf"):
        report = ReportFile.objects.create(
            cycle=org.cycle,
            format=fmt,
            state=ReportFile.State.DONE,
            progress=100,
            requested_by=executive,
            finished_at=timezone.now(),
        )
        report.file.save(f"built.{fmt}", ContentFile(b"built"))

    html = _get(login(executive), org.cycle)

    for report in ReportFile.objects.all():
        assert f'href="{reverse("reports:report-download", args=[report.pk])}"' in html
    assert "build it on the review page" not in html


def test_print_view_of_a_closed_cycle_shows_its_part_as_it_stood(login, closed_org, executive):
    html = _get(login(executive), closed_org.cycle)

    assert "Pickers trained: see the LMS report." in html  # one part: every team
    assert "Logistics: 48 <span" in html
    assert "At risk" in html  # a commitment's status, as frozen


def _print_queries(client, cycle) -> int:
    _get(client, cycle)  # the first request after logging in also saves the session
    with CaptureQueriesContext(connection) as queries:
        _get(client, cycle)
    return len(queries)


def test_print_view_runs_as_many_queries_for_many_teams_as_for_few(client):
    small = data.build(teams=3, objectives=3, quarters=3)
    client.force_login(small.executive)
    counts = {"open": _print_queries(client, small.open_cycle)}
    counts["closed"] = _print_queries(client, small.cycles[-2])
    data.clear()
    large = data.build(teams=45, objectives=6, quarters=3)  # five parts of the appendix
    client.force_login(large.executive)

    assert _print_queries(client, large.open_cycle) == counts["open"] <= 15
    assert _print_queries(client, large.cycles[-2]) == counts["closed"] <= 15
