"""A closed cycle's report shows what stood at closing, whatever changed since."""

import re

import pytest
from django.urls import reverse

from reports import writers
from strategy.models import Commitment
from tests.factories import CommitmentFactory, ObjectiveFactory, UnitFactory
from tests.reports.support import csv_text, pdf_text, read_csv, read_xlsx, sheet_rows

pytestmark = pytest.mark.django_db


def change_everything_after_closing(org) -> None:
    """Rename a team, rename and retire an objective, change a weight and a status, deactivate
    a team, and add a team and an objective the closed review never saw."""
    org.logistics.name = "Warehouse"
    org.logistics.save()
    org.finance.is_active = False
    org.finance.save()
    org.b.title = "Renamed objective"
    org.b.save()
    org.b.retire()
    org.a.priority_weight = 10
    org.a.external_promise = "A promise rewritten after closing."
    org.a.save()
    commitment = org.commitments["logistics B"]
    commitment.status = Commitment.Status.DONE
    commitment.statement = "A statement rewritten after closing."
    commitment.save()
    newcomer = UnitFactory(name="Newcomer team", code="newcomer")
    late = ObjectiveFactory(position=org.cycle.position, title="Objective added after closing")
    CommitmentFactory(unit=newcomer, objective=late)


LATER_TEXT = [
    "Warehouse",
    "Renamed objective",
    "A promise rewritten after closing.",
    "A statement rewritten after closing.",
    "Newcomer team",
    "Objective added after closing",
]


def xlsx_values(cycle, *, skip_sheets=("Actions",)) -> dict[str, list[tuple]]:
    """Every sheet's values, but the generation time and the sheets named."""
    wb = read_xlsx(writers.xlsx_bytes(cycle))
    values = {}
    for ws in wb.worksheets:
        if ws.title in skip_sheets:
            continue
        rows = list(ws.iter_rows(values_only=True))
        values[ws.title] = [row for row in rows if row[0] != "Generated"]
    return values


def print_view(client, cycle) -> str:
    """The print view without its generation time and its actions (see the xfail below)."""
    html = client.get(reverse("reports:report-print", args=[cycle.pk])).content.decode()
    html = re.sub(r'<p class="generated">.*?</p>', "", html)
    return re.sub(r'<section id="actions">.*?</section>', "", html, flags=re.S)


def test_csv_of_a_closed_cycle_keeps_names_weights_and_scores(closed_org):
    before = read_csv(csv_text(closed_org.cycle))

    change_everything_after_closing(closed_org)
    after = read_csv(csv_text(closed_org.cycle))

    key = lambda r: (r["team_code"], r["objective_id"], r["lever"])  # noqa: E731
    assert sorted(after, key=key) == sorted(before, key=key)
    assert {r["team"] for r in after} == {"Logistics", "Finance", "Quality"}
    assert {(r["objective"], r["objective_weight"]) for r in after} == {
        ("Deliver on the promised date", "60"),
        ("Advise every customer", "40"),
    }
    assert {r["cycle_state"] for r in after} == {"closed"}


def test_xlsx_of_a_closed_cycle_keeps_names_weights_scores_and_statuses(closed_org):
    before = xlsx_values(closed_org.cycle)

    change_everything_after_closing(closed_org)
    after = xlsx_values(closed_org.cycle)

    assert after == before
    wb = read_xlsx(writers.xlsx_bytes(closed_org.cycle))
    objectives = {r["Objective"]: r for r in sheet_rows(wb["Objectives"])}
    assert objectives["Deliver on the promised date"]["Weight"] == 60
    assert objectives["Advise every customer"]["Weight"] == 40
    statuses = {(r["Team"], r["Objective"]): r["Status"] for r in sheet_rows(wb["Commitments"])}
    assert statuses["Logistics", "Advise every customer"] == "At risk"
    assert [r["Team"] for r in sheet_rows(wb["Heatmap"])] == ["Finance", "Logistics", "Quality"]


def test_print_view_of_a_closed_cycle_keeps_what_stood_at_closing(login, closed_org, executive):
    client = login(executive)
    before = print_view(client, closed_org.cycle)

    change_everything_after_closing(closed_org)
    after = print_view(client, closed_org.cycle)

    assert after == before
    for later in LATER_TEXT:
        assert later not in after, later
    assert "the figures are those frozen at closing" in after


def test_pdf_of_a_closed_cycle_keeps_what_stood_at_closing(closed_org):
    change_everything_after_closing(closed_org)

    text = pdf_text(writers.pdf_bytes(closed_org.cycle))

    # Leave out the actions (see the xfail below): from their table to the next section.
    start = text.rfind("Decisions and corrective actions")
    end = text.rfind("Checks not submitted")
    assert 0 < start < end
    text = text[:start] + text[end:]
    for later in LATER_TEXT:
        assert later not in text, later
    assert "Logistics: 48 (submitted)" in text
    assert "Finance: 100 (submitted)" in text
    assert "Advise every customer" in text
    assert "Your order arrives on the date we promise." in text
    assert "At risk" in text
    assert re.search(
        r"Deliver on the promised date\s+Your order arrives on the date we "
        r"promise\.\s+60 88",
        text,
    )


def test_actions_of_a_closed_cycle_name_teams_and_objectives_as_at_closing(closed_org):
    before = read_xlsx(writers.xlsx_bytes(closed_org.cycle))["Actions"]
    before = list(before.iter_rows(values_only=True))

    change_everything_after_closing(closed_org)

    after = read_xlsx(writers.xlsx_bytes(closed_org.cycle))["Actions"]
    assert list(after.iter_rows(values_only=True)) == before
