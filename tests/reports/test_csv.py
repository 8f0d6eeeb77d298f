"""The CSV export, read back with the csv module and compared with the database."""

import pytest
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench import data
from reports import writers
from reports.models import ReportDownload
from reviews import services
from reviews.models import LEVERS, NOT_APPLICABLE, CheckItem, ReviewCycle
from strategy.models import CompanySettings
from tests.factories import ReviewCycleFactory
from tests.reports.support import COMPANY, COMPANY_SLUG, build_org, csv_text, read_csv

pytestmark = pytest.mark.django_db

# The fit of each (team, objective) of the fixture, out of 100, as docs/scoring.md works it
# out: the mean lever score (not applicable left out) from 1 → 0 to 5 → 100.
FITS = {("logistics", "A"): 75.0, ("logistics", "B"): 25.0, ("finance", "A"): 100.0}


def expected_rows(org, *, state: str) -> list[dict[str, str]]:
    """What the CSV must say, read straight from the check items."""
    key_of = {o.pk: key for key, o in org.objectives.items()}
    items = CheckItem.objects.filter(alignment_check__cycle=org.cycle).select_related(
        "alignment_check__unit", "objective"
    )
    rows = []
    for item in items:
        unit, check = item.alignment_check.unit, item.alignment_check
        fit = FITS.get((unit.code, key_of[item.objective_id]))
        for lever in LEVERS:
            score = getattr(item, f"score_{lever}")
            rows.append(
                {
                    "company": COMPANY,
                    "fiscal_year": "2026",
                    "quarter": "1",
                    "cycle_state": state,
                    "team_code": unit.code,
                    "team": unit.name,
                    "check_state": check.state,
                    "objective_id": str(item.objective_id),
                    "objective": item.objective.title,
                    "objective_weight": str(item.objective.priority_weight),
                    "lever": lever,
                    "score": "" if score in (None, NOT_APPLICABLE) else str(score),
                    "not_applicable": "yes" if score == NOT_APPLICABLE else "no",
                    "team_objective_fit": "" if fit is None else fit,
                    "evidence": item.evidence,
                    "blockers": item.blockers,
                }
            )
    return rows


def comparable(rows: list[dict]) -> list[dict]:
    """Rows sorted by their identifying columns, the fit as a number."""
    result = []
    for row in rows:
        fit = row["team_objective_fit"]
        result.append(row | {"team_objective_fit": "" if fit == "" else float(fit)})
    return sorted(result, key=lambda r: (r["team_code"], r["objective_id"], r["lever"]))


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_csv_has_one_row_per_team_objective_and_lever_equal_to_the_database(org, executive, closed):
    if closed:
        services.cycle_close(cycle=org.cycle, by=executive)
        org.cycle.refresh_from_db()

    rows = read_csv(csv_text(org.cycle))

    assert list(rows[0]) == writers.CSV_COLUMNS
    items = CheckItem.objects.filter(alignment_check__cycle=org.cycle).count()
    assert len(rows) == items * len(LEVERS) == 4 * 6
    assert comparable(rows) == comparable(expected_rows(org, state="closed" if closed else "open"))


def test_not_applicable_is_a_flag_with_an_empty_score_and_unscored_is_empty(org):
    rows = read_csv(csv_text(org.cycle))

    funding = next(
        r
        for r in rows
        if r["team_code"] == "logistics"
        and r["lever"] == "funding"
        and r["objective"] == org.a.title
    )
    assert (funding["score"], funding["not_applicable"]) == ("", "yes")
    # Quality's draft left incentives unscored: empty, and not "not applicable".
    draft = next(r for r in rows if r["team_code"] == "quality" and r["lever"] == "incentives")
    assert (draft["score"], draft["not_applicable"], draft["check_state"]) == ("", "no", "draft")
    assert draft["team_objective_fit"] == ""  # a draft has no fit yet


def test_typed_text_with_commas_quotes_newlines_and_accents_round_trips(
    current_position, executive, logistics, finance, head, other_head
):
    evidence = 'He said "ship it", then left.\nSecond line; 3,5 % — Zürich ✓'
    org = build_org(
        position=current_position,
        executive=executive,
        logistics=logistics,
        finance=finance,
        head=head,
        other_head=other_head,
        texts={"evidence logistics": evidence, "team": "Logistik, Süd"},
    )

    rows = read_csv(csv_text(org.cycle))

    logistics_rows = [r for r in rows if r["team_code"] == "logistics"]
    assert len(logistics_rows) == 12
    assert {r["evidence"] for r in logistics_rows} == {evidence}
    assert {r["team"] for r in logistics_rows} == {"Logistik, Süd"}


def test_csv_view_streams_utf8_with_the_report_file_name(login, org, executive):
    started = timezone.now()

    response = login(executive).get(reverse("reports:report-csv", args=[org.cycle.pk]))

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{COMPANY_SLUG}-fy2026-q1-alignment-review.csv"'
    )
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM, so spreadsheets read UTF-8
    assert comparable(read_csv(body.decode("utf-8"))) == comparable(
        expected_rows(org, state="open")
    )
    (download,) = ReportDownload.objects.all()
    assert (download.cycle, download.user, download.format) == (org.cycle, executive, "csv")
    assert started <= download.at <= timezone.now()


def test_csv_of_a_cycle_without_checks_is_just_the_header(current_position):
    cycle = ReviewCycleFactory(position=current_position, quarter=2)

    text = csv_text(cycle)

    assert text == "\ufeff" + ",".join(f'"{c}"' for c in writers.CSV_COLUMNS) + "\n"


def test_file_name_says_company_fiscal_year_quarter_and_format():
    quarterly = ReviewCycle(kind=ReviewCycle.Kind.QUARTERLY, fiscal_year=2026, quarter=3)
    annual = ReviewCycle(kind=ReviewCycle.Kind.ANNUAL, fiscal_year=2027)

    assert writers.filename(quarterly, "xlsx") == f"{COMPANY_SLUG}-fy2026-q3-alignment-review.xlsx"
    assert writers.filename(annual, "pdf") == f"{COMPANY_SLUG}-fy2027-alignment-review.pdf"
    CompanySettings.objects.filter(pk=1).update(name="  ")
    assert writers.filename(quarterly, "csv") == "company-fy2026-q3-alignment-review.csv"


# --- Queries ---------------------------------------------------------------------------------


def _csv_queries(client, dataset) -> tuple[int, int]:
    """Queries of one CSV download (the stream consumed), and its number of data rows."""
    from django.db import connection

    client.force_login(dataset.executive)
    url = reverse("reports:report-csv", args=[dataset.open_cycle.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        body = b"".join(response.streaming_content).decode("utf-8")
    return len(queries), len(read_csv(body))


def test_csv_runs_as_many_queries_for_many_teams_as_for_few(client, django_assert_max_num_queries):
    small = data.build(teams=3, objectives=3, quarters=2)
    expected, small_rows = _csv_queries(client, small)
    ReportDownload.objects.all().delete()  # data.clear() knows nothing of downloads
    data.clear()
    large = data.build(teams=40, objectives=6, quarters=2)
    client.force_login(large.executive)
    url = reverse("reports:report-csv", args=[large.open_cycle.pk])

    with django_assert_max_num_queries(expected, info=f"{expected} queries at 3 teams"):
        response = client.get(url)
        rows = read_csv(b"".join(response.streaming_content).decode("utf-8"))

    assert len(rows) > 10 * small_rows  # the larger report really is larger
    assert len(rows) > writers.CSV_CHUNK_ROWS  # and spans several chunks of the stream
