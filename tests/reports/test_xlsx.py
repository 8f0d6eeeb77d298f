"""The XLSX export, read back with openpyxl and compared with the database."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl.utils import get_column_letter

from bench import data
from reports import writers
from reviews import services
from reviews.models import LEVERS, NOT_APPLICABLE, CheckItem, FrozenScore
from strategy.models import Commitment, Lever
from tests.factories import ReviewCycleFactory
from tests.reports.support import (
    COMPANY,
    assert_no_formula_anywhere,
    build_org,
    open_next_quarter,
    read_xlsx,
    sheet_rows,
    text,
    xlsx_xml,
)

pytestmark = pytest.mark.django_db

SHEETS = [
    "Summary",
    "Heatmap",
    "Teams",
    "Objectives",
    "Commitments",
    "Actions",
    "Trend",
    "Measures",
]
DATA_SHEETS = SHEETS[1:]
FIRST_COLUMN_WIDTH = {
    "Heatmap": 24,
    "Teams": 22,
    "Objectives": 36,
    "Commitments": 22,
    "Actions": 16,
    "Trend": 12,
    "Measures": 30,
}
LEVER_LABELS = dict(Lever.choices)


def _round(value):
    return None if value is None else round(value, 1)


def _summary(ws) -> dict:
    """The label → value rows above the agenda."""
    rows = {}
    for label, value in ws.iter_rows(min_row=2, values_only=True):
        if label == "Agenda":
            break
        if label:
            rows[label] = text(value)
    return rows


def _agenda(ws) -> list[tuple]:
    rows = [tuple(map(text, row)) for row in ws.iter_rows(values_only=True)]
    return rows[rows.index(("Agenda", None)) + 1 :]


@pytest.fixture
def content(org) -> bytes:
    return writers.xlsx_bytes(org.cycle)


def test_sheets_come_in_order_and_each_data_sheet_is_a_table_with_a_frozen_header(content):
    wb = read_xlsx(content)

    assert wb.sheetnames == SHEETS
    for name in DATA_SHEETS:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        (table,) = ws.tables.values()
        # A sheet without rows (this review has no measures) spans an empty one: Excel needs it.
        last_row = max(ws.max_row, 2)
        assert table.ref == f"A1:{get_column_letter(ws.max_column)}{last_row}", name
        header = [cell.value for cell in ws[1]]
        assert [column.name for column in table.tableColumns] == header, name
        assert all(cell.font.b for cell in ws[1]), f"{name}: header not bold"
        # XlsxWriter adds its cell padding to the width asked for.
        assert ws.column_dimensions["A"].width == pytest.approx(
            FIRST_COLUMN_WIDTH[name] + 0.71, abs=0.01
        ), name


def test_workbook_is_written_in_constant_memory_mode(content):
    # Constant-memory mode flushes each row as it goes, with its text inline; the default mode
    # keeps every string for a shared table written at the end.
    xml = xlsx_xml(content)
    for number in range(1, len(SHEETS) + 1):
        sheet = xml[f"xl/worksheets/sheet{number}.xml"]
        assert 't="inlineStr"' in sheet
        assert 't="s"' not in sheet


def test_summary_has_company_review_index_and_agenda(org, content):
    ws = read_xlsx(content)["Summary"]
    summary = _summary(ws)

    assert ws["A1"].value == f"{COMPANY}: Q1 FY2026 alignment review"
    assert summary["Company"] == COMPANY
    assert summary["Review"] == "Q1 FY2026"
    assert summary["State"] == "Open"
    assert summary["Alignment index (0-100)"] == 62.5  # 0.6 × 87.5 + 0.4 × 25
    assert summary["Change"] is None  # no earlier quarter
    assert summary["Teams"] == 3
    assert summary["Checks not submitted"] == 1
    generated = datetime.strptime(summary["Generated"], "%Y-%m-%d %H:%M")
    now = timezone.localtime().replace(tzinfo=None)
    assert now - timedelta(minutes=2) <= generated <= now
    assert ("Checks not submitted", "The check of Quality is still in draft.") in _agenda(ws)


def test_heatmap_has_each_team_fit_on_each_objective_with_a_colour_scale(org, content):
    ws = read_xlsx(content)["Heatmap"]
    teams = {t["name"]: t for t in services.results(org.cycle)["teams"]}
    a, b = org.a.title, org.b.title

    assert [c.value for c in ws[1]] == ["Team", "Check", a, b, "Team fit"]
    assert sheet_rows(ws) == [
        {"Team": "Finance", "Check": "submitted", a: 100, b: None, "Team fit": 100},
        {
            "Team": "Logistics",
            "Check": "submitted",
            a: 75,
            b: 25,
            "Team fit": _round(teams["Logistics"]["score"]),
        },
        {"Team": "Quality", "Check": "draft", a: None, b: None, "Team fit": None},
    ]
    (scale,) = ws.conditional_formatting
    assert str(scale.sqref) == "C2:E4"
    (rule,) = scale.rules
    assert rule.type == "colorScale"
    assert [float(v.val) for v in rule.colorScale.cfvo] == [0, 50, 100]


def _lever_means(org, code) -> list:
    """Each lever's mean over the team's submitted items, not applicable left out."""
    items = CheckItem.objects.filter(
        alignment_check__cycle=org.cycle,
        alignment_check__unit__code=code,
        alignment_check__state="submitted",
    )
    means = []
    for lever in LEVERS:
        values = [
            v for i in items if (v := getattr(i, f"score_{lever}")) not in (None, NOT_APPLICABLE)
        ]
        means.append(round(sum(values) / len(values), 2) if values else None)
    return means


def test_teams_sheet_has_scores_lever_means_evidence_and_blockers(org, content):
    rows = sheet_rows(read_xlsx(content)["Teams"])
    teams = {t["name"]: t for t in services.results(org.cycle)["teams"]}
    labels = [LEVER_LABELS[lever] for lever in LEVERS]

    assert [(r["Team"], r["Objective"]) for r in rows] == [
        ("Finance", org.a.title),
        ("Logistics", org.a.title),
        ("Logistics", org.b.title),
        ("Quality", org.b.title),
    ]
    checks = {c.unit.name: c for c in org.cycle.checks.select_related("unit")}
    items = {
        (i.alignment_check.unit.name, i.objective.title): i
        for i in CheckItem.objects.filter(alignment_check__cycle=org.cycle).select_related(
            "alignment_check__unit", "objective"
        )
    }
    fits = {("Finance", org.a.title): 100, ("Logistics", org.a.title): 75}
    fits[("Logistics", org.b.title)] = 25
    for row in rows:
        name, check = row["Team"], checks[row["Team"]]
        item = items[name, row["Objective"]]
        assert row["Check"] == check.state
        assert row["Team fit"] == _round(teams[name]["score"])
        assert [row[label] for label in labels] == _lever_means(org, check.unit.code)
        assert row["Fit"] == fits.get((name, row["Objective"]))
        assert row["Evidence"] == (item.evidence or None)
        assert row["Blockers"] == (item.blockers or None)
        if check.submitted_at:
            expected = timezone.localtime(check.submitted_at).replace(tzinfo=None)
            assert abs(row["Submitted"] - expected) < timedelta(milliseconds=2)
        else:
            assert row["Submitted"] is None
    logistics = next(r for r in rows if r["Team"] == "Logistics")
    # people (4, 2), incentives (3, 2), inventory (5, 3), processes (4, 2), funding (n/a, 1)…
    assert [logistics[label] for label in labels] == [3, 2.5, 4, 3, 1, 3]


def test_objectives_sheet_has_weight_score_and_committed_teams(org, content):
    rows = sheet_rows(read_xlsx(content)["Objectives"])
    scores = {o["id"]: o["score"] for o in services.results(org.cycle)["objectives"]}

    assert rows == [
        {
            "Objective": o.title,
            "Weight": o.priority_weight,
            "Score": _round(scores[o.pk]),
            "Teams": teams,
            "Committed teams": committed,
            "External promise": o.external_promise,
        }
        for o, teams, committed in [
            (org.a, 2, "Finance, Logistics"),
            (org.b, 2, "Logistics, Quality"),
        ]
    ]
    assert [r["Score"] for r in rows] == [87.5, 25]


def test_commitments_sheet_has_every_commitment_with_its_status(org, content):
    ws = read_xlsx(content)["Commitments"]
    rows = sheet_rows(ws)
    expected = [
        {
            "Team": c.unit.name,
            "Objective": c.objective.title,
            "Lever": c.get_lever_display(),
            "Statement": c.statement,
            "Target": c.target,
            "Due": datetime(c.due_on.year, c.due_on.month, c.due_on.day),
            "Status": c.get_status_display(),
            "Amount": None if c.amount is None else float(c.amount),
            "Currency": c.currency or None,
        }
        for c in Commitment.objects.select_related("unit", "objective").order_by(
            "unit__name", "objective__order", "lever"
        )
    ]

    assert rows == expected
    assert {r["Status"] for r in rows} == {"Planned", "At risk", "On track"}
    finance = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "Finance")
    # The amount in euros, the symbol where an en-gb reader expects it (Excel shows the
    # separators of the reader's own settings).
    assert (finance[5].number_format, finance[7].number_format) == ("yyyy-mm-dd", '"€"#,##0.00')
    assert finance[7].value == 25000


def test_actions_sheet_has_owners_due_dates_and_completion(org, content):
    ws = read_xlsx(content)["Actions"]
    rows = sheet_rows(ws)
    hire, fund = org.actions

    assert rows == [
        {
            "Kind": "Corrective action",
            "Action": hire.title,
            "Objective": org.a.title,
            "Owner team": "Logistics",
            "Due": datetime(2026, 6, 30),
            "Raised in": "Q1 FY2026",
            "Agenda item": hire.agenda_item,
            "Done": None,
        },
        {
            "Kind": "Decision",
            "Action": fund.title,
            "Objective": org.b.title,
            "Owner team": "Finance",
            "Due": datetime(2026, 5, 15),
            "Raised in": "Q1 FY2026",
            "Agenda item": None,
            "Done": datetime.combine(fund.completed_at.date(), datetime.min.time()),
        },
    ]
    assert ws["E2"].number_format == "yyyy-mm-dd"


def test_trend_and_summary_compare_with_the_previous_quarter(org, executive):
    q2 = open_next_quarter(org, executive=executive)

    wb = read_xlsx(writers.xlsx_bytes(q2))

    summary = _summary(wb["Summary"])
    assert summary["Alignment index (0-100)"] == 72.5
    assert summary["Change since Q1 FY2026"] == 10
    ws = wb["Trend"]
    assert [c.value for c in ws[1]] == ["Series", "Name", "Q1 FY2026", "Q2 FY2026"]
    q1_team = dict(
        FrozenScore.objects.filter(cycle=org.cycle, objective=None)
        .exclude(unit=None)
        .values_list("unit__name", "score")
    )
    q2_team = {t["name"]: t["score"] for t in services.results(q2)["teams"]}
    assert [tuple(r.values()) for r in sheet_rows(ws)] == [
        ("Company", "Alignment index", 62.5, 72.5),
        ("Objective", org.a.title, 87.5, 87.5),
        ("Objective", org.b.title, 25, 50),
        *[
            ("Team", name, _round(q1_team.get(name)), _round(q2_team.get(name)))
            for name in ["Finance", "Logistics", "Quality"]
        ],
    ]


def test_no_cell_is_a_formula(content):
    assert_no_formula_anywhere(content)


@pytest.mark.filterwarnings("ignore:Duplicate header name")
def test_heatmap_is_a_table_even_when_two_objectives_share_a_title(
    current_position, executive, logistics, finance, head, other_head
):
    org = build_org(
        position=current_position,
        executive=executive,
        logistics=logistics,
        finance=finance,
        head=head,
        other_head=other_head,
        texts={"title A": "Grow margin", "title B": "Grow margin"},
    )

    ws = read_xlsx(writers.xlsx_bytes(org.cycle))["Heatmap"]

    assert len(ws.tables) == 1


def test_progress_is_reported_up_to_100(org, tmp_path):
    seen = []

    writers.xlsx_write(org.cycle, str(tmp_path / "report.xlsx"), progress=seen.append)

    assert seen == sorted(seen) and seen[-1] == 100 and len(seen) == len(SHEETS)
    assert read_xlsx((tmp_path / "report.xlsx").read_bytes()).sheetnames == SHEETS


def test_xlsx_runs_as_many_queries_for_many_teams_as_for_few(django_assert_max_num_queries):
    small = data.build(teams=3, objectives=3, quarters=2)
    with CaptureQueriesContext(connection) as queries:
        writers.xlsx_bytes(small.open_cycle)
    expected = len(queries)
    data.clear()
    large = data.build(teams=30, objectives=6, quarters=3)

    with django_assert_max_num_queries(expected, info=f"{expected} queries at 3 teams"):
        content = writers.xlsx_bytes(large.open_cycle)

    assert read_xlsx(content)["Heatmap"].max_row == 31


def test_a_cycle_without_checks_still_gives_every_sheet_its_table(current_position):
    cycle = ReviewCycleFactory(position=current_position, quarter=2)

    content = writers.xlsx_bytes(cycle)

    wb = read_xlsx(content)
    assert wb.sheetnames == SHEETS
    for name in DATA_SHEETS:
        assert len(wb[name].tables) == 1, name
    assert sheet_rows(wb["Heatmap"]) == []
    # Excel needs a data row in a table: the table spans an empty one.
    assert wb["Heatmap"].tables["Heatmap"].ref == "A1:E2"
    assert_no_formula_anywhere(content)
