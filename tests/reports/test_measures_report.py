"""The measured outcomes in the reports: the workbook's Measures sheet (every period of each
measure of the review's objectives, its value beside the plan, status and who entered it) and
the PDF's section with each measure's chart; a closed review's as the values stood when it
closed."""

import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench import data
from reports import writers
from reviews import services
from strategy import outcomes
from strategy.models import Measure, fiscal_start_month
from tests.factories import MeasureFactory, make_draft_position, make_open_cycle
from tests.reports.support import pdf_text, read_xlsx, sheet_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_time(org, head):
    """A's on-time share, 80 → 96 (plan 84, 88, 92, 96), reported by Logistics: 85 in Q1 with
    a comment, 83 in Q2."""
    measure = MeasureFactory(
        objective=org.a,
        name="On-time share",
        unit="%",
        baseline=D("80"),
        target=D("96"),
        reporting_team=org.logistics,
    )
    record(measure, 1, "85", head, comment="Two late trucks")
    record(measure, 2, "83", head)
    return measure


def record(measure, number, value, by, comment=None):
    period = outcomes.Period(2026, number, measure.frequency)
    return outcomes.measure_actual_record(
        measure=measure, period=period, value=value, by=by, comment=comment
    )


def measure_sheet(cycle) -> list[dict]:
    return sheet_rows(read_xlsx(writers.xlsx_bytes(cycle))["Measures"])


def due_periods(day) -> int:
    last = outcomes.last_due_period(
        fiscal_year=2026, frequency="quarterly", today=day, start_month=fiscal_start_month()
    )
    return last.number if last else 0


def test_the_workbook_lists_every_period_of_each_measure_beside_its_plan(org, on_time, head):
    rows = measure_sheet(org.cycle)

    assert [(r["Measure"], r["Period"]) for r in rows] == [
        ("On-time share", f"Q{n}") for n in (1, 2, 3, 4)
    ]
    first, second = rows[0], rows[1]
    assert first == first | {
        "Objective": org.a.title,
        "Unit": "%",
        "Direction": "Higher is better",
        "Frequency": "Quarterly",
        "Reporting team": "Logistics",
        "Fiscal year": 2026,
        "Planned": 84,
        "Value": 85,
        "Status": "On plan",
        "Source": "Entered",
        "Entered by": head.get_full_name(),
        "Comment": "Two late trucks",
    }
    assert first["Entered at"] is not None
    # 5 short of 88 on a planned change of 16: 31%, behind (off track beyond 50%).
    assert (second["Planned"], second["Value"], second["Status"]) == (88, 83, "Behind plan")
    # Q3 and Q4 have no value: "No value" once due (the clock says whether they are); an
    # empty cell is not written.
    due = due_periods(timezone.localdate())
    assert [r["Status"] for r in rows[2:]] == ["No value" if n <= due else None for n in (3, 4)]
    assert [r["Planned"] for r in rows[2:]] == [92, 96]


def test_a_monthly_measure_has_twelve_rows_and_another_strategys_measure_none(
    org, on_time, executive
):
    MeasureFactory(objective=org.b, name="Returns", frequency=Measure.Frequency.MONTHLY)
    draft = make_draft_position(fiscal_year=2027, owner=executive)
    MeasureFactory(objective=draft.objectives.first(), name="Elsewhere")

    rows = measure_sheet(org.cycle)

    assert [r["Period"] for r in rows if r["Measure"] == "Returns"] == [
        f"M{n}" for n in range(1, 13)
    ]
    # Not one of the review's objectives: not in its report.
    assert "Elsewhere" not in {r["Measure"] for r in rows}


def test_a_closed_reviews_workbook_shows_the_values_as_they_stood_at_closing(
    org, on_time, head, executive
):
    services.cycle_close(cycle=org.cycle, by=executive)
    org.cycle.refresh_from_db()
    record(on_time, 1, "70", executive, comment="Recounted")  # corrected after closing
    record(on_time, 3, "91", head)  # entered after closing

    rows = measure_sheet(org.cycle)

    assert [(r["Value"], r["Comment"]) for r in rows[:3]] == [
        (85, "Two late trucks"),
        (83, None),
        (None, None),
    ]
    assert rows[0]["Entered by"] == head.get_full_name()
    # The values now, in a running review's workbook.
    running = measure_sheet(make_open_cycle(org.cycle.position, quarter=2))
    assert [(r["Value"], r["Comment"]) for r in running[:3]] == [
        (70, "Recounted"),
        (83, None),
        (91, None),
    ]


def test_formula_like_measure_text_is_kept_as_typed(org, head):
    measure = MeasureFactory(objective=org.a, name='=HYPERLINK("http://x")', unit="@u")
    record(measure, 1, "85", head, comment="+1 call")

    ws = read_xlsx(writers.xlsx_bytes(org.cycle))["Measures"]
    cells = {c.value: c for row in ws.iter_rows(min_row=2) for c in row if c.value}
    for typed in ('=HYPERLINK("http://x")', "@u", "+1 call"):
        assert cells[typed].data_type == "s"
        assert cells[typed].quotePrefix


def test_a_review_without_measures_still_has_the_sheet_as_a_table(org):
    ws = read_xlsx(writers.xlsx_bytes(org.cycle))["Measures"]

    assert [c.value for c in ws[1]] == writers.MEASURE_COLUMNS
    assert len(ws.tables) == 1
    assert sheet_rows(ws) == []


def test_the_pdf_has_a_section_with_each_measures_chart(org, on_time):
    html = writers.report_html(org.cycle, for_pdf=True)

    assert '<a href="#measures">Measured outcomes</a>' in html
    assert f'aria-labelledby="measure-{on_time.pk}-title measure-{on_time.pk}-desc"' in html
    assert "reported by Logistics" in html
    text = pdf_text(writers.pdf_bytes(org.cycle))
    assert "Measured outcomes" in text
    assert "On-time share" in text
    assert "Behind plan in Q2" in text
    assert "Solid: the values; dashed: the plan." in text


def test_the_reports_mark_a_measure_customers_do_not_feel(login, org, on_time, head, executive):
    """objectives_outcomes reads the flag with the rest: the workbook says it, the print view
    and the PDF mark the internal measure."""
    cost = MeasureFactory(objective=org.a, name="Overtime cost", unit="EUR", customer_felt=False)
    record(cost, 1, "80", head)

    rows = measure_sheet(org.cycle)
    felt = {r["Measure"]: r["Customers feel it"] for r in rows}
    assert felt == {"On-time share": "Yes", "Overtime cost": "No"}
    response = login(executive).get(reverse("reports:report-print", args=[org.cycle.pk]))
    section = _measures_section(response.content.decode())
    assert "Overtime cost (EUR, internal)" in section
    assert "On-time share (%) FY2026" in section
    html = writers.report_html(org.cycle, for_pdf=True)
    assert html.count("internal: customers do not feel it") == 1


def _measures_section(html: str) -> str:
    start = html.index('<section id="measures">')
    section = html[start : html.index("</section>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", section).split())


def test_the_print_view_shows_each_measure_in_the_reviews_quarter_beside_its_plan(
    login, org, on_time, head, executive
):
    """Q1 FY2026: the on-time share's Q1 (planned 84, 85 on plan); a monthly measure has the
    quarter's three months, a month without a value "No value" once due."""
    returns = MeasureFactory(
        objective=org.b,
        name="Returns",
        unit="orders",
        baseline=D("12"),
        target=D("0"),
        direction=Measure.Direction.LOWER,
        frequency=Measure.Frequency.MONTHLY,
    )
    record(returns, 1, "11", head)  # plans 11 in M1: on plan
    record(returns, 2, "12", head)  # plans 10: 2 above on a change of 12, 17%: behind

    response = login(executive).get(reverse("reports:report-print", args=[org.cycle.pk]))

    html = response.content.decode()
    assert '<a href="#measures">Measured outcomes</a>' in html
    section = _measures_section(html)
    assert f"{org.a.title} On-time share (%) FY2026 Q1 84.00 85.00 On plan" in section
    assert f"{org.b.title} Returns (orders) FY2026 M1 11.00 11.00 On plan" in section
    assert f"{org.b.title} Returns (orders) FY2026 M2 10.00 12.00 Behind plan" in section
    m3 = "No value" if due_months(timezone.localdate()) >= 3 else "Not due yet"
    assert f"{org.b.title} Returns (orders) FY2026 M3 9.00 — {m3}" in section
    # The charts, with last years' values, are the board pack's (test_the_pdf_has_a_section...).
    assert "is in the board pack PDF and on its objective's page" in section


def due_months(day) -> int:
    last = outcomes.last_due_period(
        fiscal_year=2026, frequency="monthly", today=day, start_month=fiscal_start_month()
    )
    return last.number if last else 0


def test_a_closed_reviews_print_view_shows_the_values_as_they_stood_at_closing(
    login, org, on_time, head, executive
):
    services.cycle_close(cycle=org.cycle, by=executive)
    org.cycle.refresh_from_db()
    record(on_time, 1, "70", executive)  # corrected after closing: off track now

    response = login(executive).get(reverse("reports:report-print", args=[org.cycle.pk]))

    section = _measures_section(response.content.decode())
    assert "as they were recorded when the review closed" in section
    assert "On-time share (%) FY2026 Q1 84.00 85.00 On plan" in section
    assert "70.00" not in section


def test_a_closed_reviews_outcomes_are_read_once_and_follow_a_measure_changed_after_closing(
    login, org, on_time, head, executive
):
    services.cycle_close(cycle=org.cycle, by=executive)
    org.cycle.refresh_from_db()
    client, url = login(executive), reverse("reports:report-print", args=[org.cycle.pk])
    client.get(url)  # the outcomes read and kept

    with CaptureQueriesContext(connection) as again:
        response = client.get(url)
    assert "On-time share (%) FY2026 Q1 84.00 85.00 On plan" in _measures_section(
        response.content.decode()
    )
    assert not [q for q in again.captured_queries if "alignment_measureplanpoint" in q["sql"]]

    Measure.objects.filter(pk=on_time.pk).update(name="Orders on time")  # no save signal
    section = _measures_section(client.get(url).content.decode())
    assert "Orders on time (%) FY2026 Q1 84.00 85.00 On plan" in section
    assert "On-time share" not in section


def test_the_pdf_shows_each_measure_in_the_reviews_quarter_too(org, on_time):
    html = writers.report_html(org.cycle, for_pdf=True)

    assert "On-time share (%) FY2026 Q1 84.00 85.00 On plan" in _measures_section(html)


def test_a_review_without_measures_has_no_measures_section(org):
    assert 'id="measures"' not in writers.report_html(org.cycle, for_pdf=True)


def test_the_measures_sheet_runs_as_many_queries_for_many_measures_as_for_few(
    django_assert_max_num_queries,
):
    """bench.data: three measures an objective, a year before this one."""
    small = data.build(teams=3, objectives=2, quarters=3)
    with CaptureQueriesContext(connection) as queries:
        rows = list(
            writers._measure_rows(small.cycles[-2], objectives_of(small), now=timezone.now())
        )
    expected = len(queries)
    assert len(rows) == 2 * (4 + 4 + 12)
    # The bench's values were entered in their quarter's review: a closed one's report has them.
    assert any(row[9] is not None for row in rows)
    data.clear()
    large = data.build(teams=12, objectives=6, quarters=8)

    with django_assert_max_num_queries(expected, info=f"{expected} queries for 6 measures"):
        rows = list(
            writers._measure_rows(large.cycles[-2], objectives_of(large), now=timezone.now())
        )
    assert len(rows) == 6 * (4 + 4 + 12)


def objectives_of(dataset) -> list[dict]:
    return [{"id": o.pk, "title": o.title} for o in dataset.position.objectives.all()]
