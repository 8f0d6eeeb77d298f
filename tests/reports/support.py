"""A review cycle worth reporting on, and helpers to read every export back.

Q1 FY2026 of the FY2026 strategy: objectives A (weight 60) and B (weight 40); Logistics
commits to both and submits, Finance commits to A and submits, Quality commits to B and
leaves its check in draft. Lever scores include "not applicable"; evidence and blockers are
typed text; two actions (one done) have owners and due dates.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from reports import writers
from reviews import services
from reviews.models import LEVERS, NOT_APPLICABLE, Action, ReviewCycle
from strategy.models import Commitment, Lever, Unit
from tests.factories import CommitmentFactory, UnitFactory, make_head, make_open_cycle

NA = NOT_APPLICABLE
COMPANY = "Acme Parts & Co"
COMPANY_SLUG = "acme-parts-co"

# (team code, objective key): lever scores in the order of LEVERS, evidence, blockers.
SCORES = {
    ("logistics", "A"): ((4, 3, 5, 4, NA, 4), "Pickers trained: see the LMS report.", ""),
    ("logistics", "B"): ((2, 2, 3, 2, 1, 2), "Advice desk opens in May.", "No budget yet."),
    ("finance", "A"): ((5, 5, NA, 5, 5, 5), "Carrier penalties paid on time.", ""),
    ("quality", "B"): ((3, None, None, 3, 3, None), "Draft evidence.", "Draft blocker."),
}


@dataclass
class Org:
    """What the report of `cycle` is about."""

    cycle: ReviewCycle
    a: object
    b: object
    logistics: Unit
    finance: Unit
    quality: Unit
    commitments: dict[str, Commitment]
    actions: list[Action] = field(default_factory=list)
    heads: dict[str, object] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # what build_org was asked to type

    @property
    def objectives(self) -> dict[str, object]:
        return {"A": self.a, "B": self.b}

    @property
    def teams(self) -> dict[str, Unit]:
        return {"logistics": self.logistics, "finance": self.finance, "quality": self.quality}


def save_check(check, *, by, items: dict, submit: bool):
    """Save a check: {objective: (scores tuple, evidence, blockers)}."""
    inputs = {}
    for item in check.items.select_related("objective"):
        if item.objective_id in items:
            scores, evidence, blockers = items[item.objective_id]
            inputs[item.pk] = services.ItemInput(
                scores=dict(zip(LEVERS, scores, strict=True)), evidence=evidence, blockers=blockers
            )
    check.refresh_from_db()
    return services.check_save(
        check=check, version=check.version, items=inputs, statuses={}, by=by, submit=submit
    )


def build_org(*, position, executive, logistics, finance, head, other_head, texts=None) -> Org:
    """Q1 FY2026, open, filled in as SCORES says; `texts` overrides names and typed text."""
    texts = texts or {}
    quality = UnitFactory(name="Quality", code="quality")
    quality_head = make_head(quality, username="quinn-quality")
    a, b = position.objectives.order_by("order")
    a.title, a.priority_weight = texts.get("title A", "Deliver on the promised date"), 60
    a.external_promise = texts.get("promise A", "Your order arrives on the date we promise.")
    b.title, b.priority_weight = texts.get("title B", "Advise every customer"), 40
    a.save()
    b.save()
    if "team" in texts:
        logistics.name = texts["team"]
        logistics.save()
    statement = texts.get("statement", "Train every picker on the new scanners.")
    commitments = {
        "logistics A": CommitmentFactory(
            unit=logistics, objective=a, lever=Lever.PEOPLE, statement=statement
        ),
        "logistics B": CommitmentFactory(
            unit=logistics,
            objective=b,
            lever=Lever.PROCESSES,
            status=Commitment.Status.AT_RISK,
            target=texts.get("target", "Desk open"),
        ),
        "finance A": CommitmentFactory(
            unit=finance,
            objective=a,
            lever=Lever.FUNDING,
            status=Commitment.Status.ON_TRACK,
            amount=Decimal("25000.00"),
            currency="EUR",
            due_on=date(2026, 9, 30),
        ),
        "quality B": CommitmentFactory(unit=quality, objective=b, lever=Lever.COMMUNICATION),
    }
    cycle = make_open_cycle(position, quarter=1)
    objective_of = {"A": a, "B": b}
    heads = {"logistics": head, "finance": other_head, "quality": quality_head}
    teams = {"logistics": logistics, "finance": finance, "quality": quality}
    for code, team in teams.items():
        items = {}
        for (team_code, key), (scores, evidence, blockers) in SCORES.items():
            if team_code == code:
                items[objective_of[key].pk] = (
                    scores,
                    texts.get(f"evidence {code}", evidence),
                    texts.get(f"blockers {code}", blockers),
                )
        save_check(
            cycle.checks.get(unit=team), by=heads[code], items=items, submit=code != "quality"
        )
    actions = [
        Action.objects.create(
            cycle=cycle,
            kind=Action.Kind.CORRECTIVE,
            title=texts.get("action", "Hire two pickers before the summer peak"),
            objective=a,
            owner=logistics,
            due_on=date(2026, 6, 30),
            agenda_item="Logistics fell 12 points",
            created_by=executive,
        ),
        Action.objects.create(
            cycle=cycle,
            kind=Action.Kind.DECISION,
            title="Fund the advice desk",
            objective=b,
            owner=finance,
            due_on=date(2026, 5, 15),
            created_by=executive,
            completed_at=timezone.now(),
        ),
    ]
    cycle.refresh_from_db()
    return Org(
        cycle=cycle,
        a=a,
        b=b,
        logistics=logistics,
        finance=finance,
        quality=quality,
        commitments=commitments,
        actions=actions,
        heads=heads,
        texts=texts,
    )


def open_next_quarter(org: Org, *, executive, after: ReviewCycle | None = None) -> ReviewCycle:
    """Close `after` (Q1 by default) and open the next quarter, scored higher than Q1: with
    Logistics at 5 on A and 3 on B and Finance at 4 on A, the index is 72.5 against 62.5."""
    after = after or org.cycle
    services.cycle_close(cycle=after, by=executive)
    cycle = make_open_cycle(org.cycle.position, quarter=after.quarter + 1)
    scores = {
        "logistics": {org.a.pk: ((5,) * 6, "Later evidence", ""), org.b.pk: ((3,) * 6, "", "")},
        "finance": {org.a.pk: ((4,) * 6, "", "")},
    }
    for code, items in scores.items():
        save_check(
            cycle.checks.get(unit=org.teams[code]), by=org.heads[code], items=items, submit=True
        )
    cycle.refresh_from_db()
    return cycle


# --- Reading exports back --------------------------------------------------------------------


def read_csv(content: str, delimiter: str = ",") -> list[dict[str, str]]:
    """The CSV's rows as dicts; the UTF-8 BOM is part of the file, not of the first column."""
    assert content.startswith("\ufeff")
    raw = io.StringIO(content.removeprefix("\ufeff"), newline="")
    return list(csv.DictReader(raw, delimiter=delimiter))


def csv_text(cycle: ReviewCycle, language: str | None = None) -> str:
    return "".join(writers.csv_stream(cycle, language=language))


def read_xlsx(content: bytes):
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(content))


def text(value):
    """A cell's text as typed: XLSX escapes control characters as _xHHHH_ (ECMA-376 ST_Xstring),
    which Excel decodes and openpyxl leaves as they are."""
    from openpyxl.utils.escape import unescape

    return unescape(value) if isinstance(value, str) else value


def sheet_rows(ws) -> list[dict]:
    """A data sheet's rows as dicts keyed by its header row, text decoded."""
    rows = [[text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def xlsx_xml(content: bytes) -> dict[str, str]:
    """The XML parts of a workbook, by name."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith(".xml")
        }


def assert_no_formula_anywhere(content: bytes) -> None:
    """No cell is a formula or an array formula, read by openpyxl and in the XML itself."""
    from openpyxl.worksheet.formula import ArrayFormula

    wb = read_xlsx(content)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                assert not isinstance(cell.value, ArrayFormula), f"{ws.title}!{cell.coordinate}"
        assert not getattr(ws, "array_formulae", None)
    for name, xml in xlsx_xml(content).items():
        if name.startswith("xl/worksheets/"):
            assert not re.search(r"<f[ >]", xml), f"a formula in {name}"
        if name.startswith("xl/tables/"):
            for tag in ("<calculatedColumnFormula", "<totalsRowFormula", "totalsRowFunction="):
                assert tag not in xml, (name, tag)


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)
