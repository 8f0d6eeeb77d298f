"""Quarterly review reports: the data, and its CSV, XLSX and PDF renderings.

A closed cycle's report shows what its snapshot froze: team and objective names, scores and
commitment statuses as they stood at closing. The lever scores, evidence and blockers are read
from the checks themselves, which a closed cycle no longer lets anyone change.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import mimetypes
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache as django_cache
from django.db import connection
from django.db.models import (
    CharField,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Concat, StrIndex
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy, pgettext, pgettext_lazy

from reports import locales
from reports.models import ReportFile
from reviews import agenda, scoring, selectors, services, standings, trends
from reviews.models import (
    LEVERS,
    NOT_APPLICABLE,
    AlignmentCheck,
    CheckItem,
    FrozenScore,
    ReviewCycle,
)
from reviews.templatetags.review_tags import heat_class
from strategy import outcomes, versions
from strategy.models import Commitment, CompanySettings, Lever, Measure, MeasureActual
from strategy.money import format_money
from strategy.spreadsheet import FORMULA_TRIGGERS, is_formula_like, neutralise
from sustain import board

LEVER_LABELS = dict(Lever.choices)
STATUS_LABELS = dict(Commitment.Status.choices)
STATE_LABELS = dict(AlignmentCheck.State.choices)
# The CSV's columns, and their names in the header row: lower case, words joined by "_", as
# the tidy data a spreadsheet or a script reads (the codes of the cycle's and check's states
# and of the levers stay codes, the same in every language).
CSV_HEADERS = {
    "company": pgettext_lazy("CSV column", "company"),
    "fiscal_year": pgettext_lazy("CSV column", "fiscal_year"),
    "quarter": pgettext_lazy("CSV column", "quarter"),
    "cycle_state": pgettext_lazy("CSV column", "cycle_state"),
    "team_code": pgettext_lazy("CSV column", "team_code"),
    "team": pgettext_lazy("CSV column", "team"),
    "check_state": pgettext_lazy("CSV column", "check_state"),
    "objective_id": pgettext_lazy("CSV column", "objective_id"),
    "objective": pgettext_lazy("CSV column", "objective"),
    "objective_weight": pgettext_lazy("CSV column", "objective_weight"),
    "lever": pgettext_lazy("CSV column", "lever"),
    "score": pgettext_lazy("CSV column", "score"),
    "not_applicable": pgettext_lazy("CSV column", "not_applicable"),
    "team_objective_fit": pgettext_lazy("CSV column", "team_objective_fit"),
    "evidence": pgettext_lazy("CSV column", "evidence"),
    "blockers": pgettext_lazy("CSV column", "blockers"),
}
CSV_COLUMNS = list(CSV_HEADERS)
CSV_CHUNK_ROWS = 250
# The team appendix of the board pack comes in parts of this many teams at most, region by
# region: one page of the print view each, one WeasyPrint document each in the PDF (whose
# memory then follows the part, not the company).
TEAMS_PER_PART = 40
# The print view shows smaller parts: a page to read on screen, each team with its items and
# commitments in full.
TEAMS_PER_SCREEN = 10
# Checks not submitted, by name, on the summary pages; the rest are counted (and each team's
# state is in the appendix).
MISSING_SHOWN = 30
# The teams without a unit above them; a lazy text, made a string once per report.
NO_REGION = gettext_lazy("No region")
# An objective's committed teams are named up to this many, counted beyond.
COMMITTED_SHOWN = 20
# The board pack's team pages (a team's lever means, items with their evidence and blockers,
# and commitments): every team's in a company of at most this many teams, else those of the
# teams with the lowest team fit. Every team is in its part's tables, and in full in the XLSX,
# the CSV and the print view: the pack's pages follow what a board reads, not the company.
TEAM_PAGES = 40
# The signals listed, as on a review's page; the rest are counted (all on the Signals page).
SIGNALS_SHOWN = board.CYCLE_SIGNALS_SHOWN
# A closed review's measured outcomes in the print view, kept in the cache at most this long.
PRINT_OUTCOMES_SECONDS = 3600
# A closed review's print view, kept in the cache at most this long (see print_html).
PRINT_SECONDS = 3600


def filename(cycle: ReviewCycle, extension: str) -> str:
    company = slugify(CompanySettings.read().name) or "company"
    period = (
        f"fy{cycle.fiscal_year}-q{cycle.quarter}" if cycle.quarter else f"fy{cycle.fiscal_year}"
    )
    # Translators: the end of a report file's name, lower case with hyphens.
    name = slugify(pgettext("report file name", "alignment-review")) or "alignment-review"
    return f"{company}-{period}-{name}.{extension}"


# --- The data --------------------------------------------------------------------------------


def report_data(cycle: ReviewCycle, *, now: datetime | None = None, pages: bool = False) -> dict:
    """Everything a report shows, as plain values, in a fixed number of queries.

    With `pages`, also what the print view and the PDF show beside the workbook: the figures
    formatted once, and the teams grouped by region and cut into the appendix's parts."""
    now = now or timezone.now()
    results = services.results(cycle)
    previous_cycle = services.previous_cycle(cycle)
    previous = services.cycle_scores(previous_cycle) if previous_cycle else None
    objectives = results["objectives"]
    objective_titles = {o["id"]: o["title"] for o in objectives}
    teams = results["teams"]
    team_names = {t["id"]: t["name"] for t in teams}
    cells = {(o, t): s for o, t, s in results["cells"]}

    items_by_team = defaultdict(list)
    committed_teams = defaultdict(list)
    lever_sums = defaultdict(lambda: [0] * (2 * len(LEVERS)))  # team → sum, count by lever
    for item in results["items"]:
        items_by_team[item["team"]].append(item)
        if not item.get("is_extra"):
            committed_teams[item["objective"]].append(team_names.get(item["team"], "?"))
        if item["submitted"]:
            sums, scores = lever_sums[item["team"]], item["scores"]
            for n, lever in enumerate(LEVERS):
                value = scores.get(lever)
                if value and value != NOT_APPLICABLE:
                    sums[2 * n] += value
                    sums[2 * n + 1] += 1
    commitments = results.get("commitments")
    if commitments is None:  # snapshots from before commitments were frozen
        commitments = services.build_snapshot(cycle)["commitments"]
    commitments_by_team = defaultdict(list)  # the snapshot's own: titles in objective_titles
    for c in commitments:
        commitments_by_team[c["team"]].append(c)

    trend = _trend(cycle, results)
    for o in objectives:
        o["committed_teams"] = sorted(committed_teams.get(o["id"], []))
        o["committed_count"] = len(o["committed_teams"])
        o["trend"] = trend["objectives"].get(o["id"], [])
    lever_texts = _lever_texts()
    team_levers = {
        team_id: {
            label: (round(sums[2 * n] / sums[2 * n + 1], 2) if sums[2 * n + 1] else None)
            for n, label in enumerate(lever_texts)
        }
        for team_id, sums in lever_sums.items()
    }
    actions = list(services.open_actions_for(cycle).defer("cycle__snapshot")) + list(
        cycle.actions.filter(completed_at__isnull=False)
        .select_related("owner", "objective", "cycle")
        .defer("cycle__snapshot")
    )
    for a in actions:
        # Names as the review knew them (a closed review's snapshot), like the rest of it.
        a.owner_name = team_names.get(a.owner_id, a.owner.name)
        a.objective_title = (
            objective_titles.get(a.objective_id, a.objective.title) if a.objective else ""
        )
    change = None
    if previous and results["index"] is not None and previous["index"] is not None:
        change = results["index"] - previous["index"]
    missing = [t for t in teams if t["state"] != AlignmentCheck.State.SUBMITTED]
    data = {
        "company": CompanySettings.read().name,
        "cycle": cycle,
        "generated_at": now,
        "index": results["index"],
        "previous_label": previous_cycle.label if previous_cycle else None,
        "change": change,
        "objectives": objectives,
        # The snapshot's own rows, not copies: the workbook writes them as they are, with
        # each team's lever means, items and commitments looked up by its id.
        "teams": teams,
        "team_levers": team_levers,
        "team_items": items_by_team,
        "team_commitments": commitments_by_team,
        "objective_titles": objective_titles,
        "fits": cells,
        "agenda": agenda.build(results, previous),
        "actions": actions,
        "missing": missing,
        "trend_chart": trend["chart"],
        "year": trend["year"],
        "levers": [label for _, label in Lever.choices],
    }
    signals = (
        results["signals"] if cycle.is_closed and "signals" in results else _live_signals(now=now)
    )
    data["signals"] = signals[:SIGNALS_SHOWN]
    data["signals_more"] = max(len(signals) - SIGNALS_SHOWN, 0)
    if pages:
        data |= _page_data(data, trend["year"]["teams"])
        found, company = _measured(cycle, objectives, now=now)
        frozen_groups = results.get("outcome_agenda") if cycle.is_closed else None
        groups = frozen_groups if frozen_groups is not None else board.outcome_agenda(signals)
        data |= _outcome_section(cycle, found, company, groups)
    return data


def _page_data(data: dict, year_teams: list[dict]) -> dict:
    """What the pages add to the report's data: figures formatted once (not by a template
    filter per cell), the teams by region, and the appendix in parts."""
    objectives, fits = data["objectives"], data["fits"]
    paged = _paged_teams(data["teams"])
    rows = [
        _team_row(
            t,
            objectives,
            data["objective_titles"],
            fits,
            items=data["team_items"].get(t["id"], []),
            commitments=data["team_commitments"].get(t["id"], []),
            lever_means=_lever_means(data, t["id"]),
            year_values=year_row["values"],
            has_page=t["id"] in paged,
        )
        for t, year_row in zip(data["teams"], year_teams, strict=True)
    ]
    _summary_texts(objectives, data["year"])
    parents = _parents(data["cycle"])
    regions = _regions(rows, objectives, parents, _region_cells(rows, objectives, parents, fits))
    missing = data["missing"]
    return {
        "teams": rows,
        "team_count": len(rows),
        "missing_shown": missing[:MISSING_SHOWN],
        "missing_hidden": max(len(missing) - MISSING_SHOWN, 0),
        "committed_shown": COMMITTED_SHOWN,
        "teams_per_part": TEAMS_PER_PART,
        "team_pages": len(paged),
        "regions": regions,
        "parts": _parts(regions),
        "agenda_groups": _agenda_groups(data["agenda"], {}),
    }


def _paged_teams(teams: list[dict]) -> set[int]:
    """The teams with a page of their own in the board pack (TEAM_PAGES): every one in a small
    company, else those with the lowest team fit (by name where equal); unscored teams are in
    the summary's checks not submitted and in their part's tables."""
    if len(teams) <= TEAM_PAGES:
        return {t["id"] for t in teams}
    scored = sorted(
        (t for t in teams if t["score"] is not None), key=lambda t: (t["score"], t["name"])
    )
    return {t["id"] for t in scored[:TEAM_PAGES]}


def _summary_texts(objectives: list[dict], year: dict) -> None:
    """The summary's figures as its tables print them ("—" for none), formatted once here
    rather than by a template filter per cell."""
    for o in objectives:
        o["score_text"] = number(o["score"]) or "—"
        o["trend_text"] = "; ".join(f"{label}: {number(v) or '—'}" for label, v in o["trend"])
    year["index_texts"] = [number(v) or "—" for v in year["index"]]
    for o in year["objectives"]:
        o["texts"] = [number(v) or "—" for v in o["values"]]


def _team_row(
    t: dict,
    objectives: list[dict],
    titles: dict,
    fits: dict,
    *,
    items: list[dict],
    commitments: list[dict],
    lever_means: dict,
    year_values: list,
    has_page: bool = True,
) -> dict:
    """A team of the appendix, its figures formatted once; its page's (`has_page`: the lever
    means, items and commitments) only if it has one."""
    team_id = t["id"]
    row = t | {
        "state_label": STATE_LABELS.get(t["state"], t["state"]),
        "score_text": number(t["score"]),
        "cells": [_heat(fits.get((o["id"], team_id))) for o in objectives],
        "year_texts": [number(v) for v in year_values],
        "has_page": has_page,
    }
    if not has_page:
        return row
    return row | {
        "lever_texts": [(label, number(v, 1)) for label, v in lever_means.items()],
        "items": [
            i
            | {
                "objective_title": titles.get(i["objective"], "?"),
                "fit_text": number(fits.get((i["objective"], team_id))),
            }
            for i in items
        ],
        "commitments": [
            c
            | {
                "objective_title": titles.get(c["objective"], "?"),
                "lever_label": LEVER_LABELS.get(c["lever"], c["lever"]),
                "status_label": STATUS_LABELS.get(c["status"], c["status"]),
                "amount_text": format_money(c["amount"], c["currency"]) if c["amount"] else "",
            }
            for c in commitments
        ],
    }


def _agenda_groups(items: list, more: dict) -> list[dict]:
    """The agenda by kind, in the order the items come, each with how many are left out."""
    groups: dict[str, dict] = {}
    for item in items:
        group = groups.setdefault(
            item.kind, {"label": item.kind_label, "items": [], "more": more.get(item.kind, 0)}
        )
        group["items"].append(item)
    return list(groups.values())


def _lever_means(data: dict, team_id: int) -> dict:
    """A team's mean score on each lever (by its label), None where it has none."""
    return data["team_levers"].get(team_id) or dict.fromkeys(_lever_texts())


def _lever_texts() -> list[str]:
    """The levers' labels in the order of LEVERS, in the active language: made once per report
    and used as keys, rather than lazy texts translated again at each look-up."""
    return [str(LEVER_LABELS[lever]) for lever in LEVERS]


def _lever_means_of(items: list[dict], labels: list[str] | None = None) -> dict:
    """The mean score on each lever (by its label) of a team's submitted items, rounded as
    report_data rounds them; None where none counts."""
    counted = [[] for _ in LEVERS]
    for item in items:
        if item["submitted"]:
            scores = item["scores"]
            for values, lever in zip(counted, LEVERS, strict=True):
                value = scores.get(lever)
                if value and value != NOT_APPLICABLE:
                    values.append(value)
    return {
        label: round(sum(values) / len(values), 2) if values else None
        for label, values in zip(labels or _lever_texts(), counted, strict=True)
    }


def _live_signals(*, now: datetime) -> list[dict]:
    """A running cycle's report shows the stored board's signals (computed only if none was
    ever stored), as its pages do."""
    board.stored_board(now=now)
    return list(board.stored_signals())


def number(value, digits: int = 0) -> str | None:
    """A figure as the report prints it, rounded half up like the floatformat filter, with
    the active language's decimal mark; None stays None. Formatted once here rather than by a
    template filter per cell."""
    if value is None:
        return None
    return _number(value, digits, translation.get_language())


@lru_cache(maxsize=8192)  # a report formats the same figures again and again
def _number(value, digits: int, language: str | None) -> str:
    exponent = Decimal(1).scaleb(-digits)
    text = str(Decimal(repr(value)).quantize(exponent, rounding=ROUND_HALF_UP))
    mark = locales.decimal_mark(language) if language else "."
    return text if mark == "." else text.replace(".", mark)


def _heat(value) -> tuple[str, str]:
    """A heatmap cell: its CSS class (the pages' own heat_class) and its figure ("" when
    unscored)."""
    return heat_class(value), "" if value is None else number(value)


def _mean(values):
    return scoring.mean(v for v in values if v is not None)


def _parents(cycle: ReviewCycle) -> dict[int, str | None]:
    """Each team of the cycle's checks: the name of the unit above it (its region, branch or
    department), None where there is none. Written out: the ORM took longer to build the
    query than the database to run it."""
    with connection.cursor() as cursor:
        cursor.execute(_PARENTS_SQL, {"cycle": cycle.pk})
        return dict(cursor.fetchall())


_PARENTS_SQL = """
SELECT u.id, p.name FROM alignment_unit u
LEFT JOIN alignment_unit p ON p.id = u.parent_id
WHERE u.id IN (SELECT k.unit_id FROM reviews_alignmentcheck k WHERE k.cycle_id = %(cycle)s)
"""


def _region_cells(team_rows: list[dict], objectives: list[dict], parents: dict, cells: dict):
    """Each region's mean fit on each objective, by (region, objective id)."""
    no_region = str(NO_REGION)
    groups = defaultdict(list)
    for t in team_rows:
        groups[parents.get(t["id"]) or no_region].append(t["id"])
    return {
        (name, o["id"]): _mean(cells.get((o["id"], team_id)) for team_id in members)
        for name, members in groups.items()
        for o in objectives
    }


def _regions(
    team_rows: list[dict], objectives: list[dict], parents: dict, region_cells: dict
) -> list[dict]:
    """The teams grouped by the unit above them (their region, branch or department), with
    each group's aggregates: how many submitted, the mean team fit and each objective's
    (`region_cells`, by region and objective)."""
    no_region = str(NO_REGION)
    groups = defaultdict(list)
    for t in team_rows:
        groups[parents.get(t["id"]) or no_region].append(t)
    regions = []
    for name in sorted(groups, key=lambda n: (n == no_region, n.casefold())):
        members = groups[name]
        scored = [t for t in members if t["score"] is not None]
        lowest = min(scored, key=lambda t: t["score"]) if scored else None
        score = scoring.mean(t["score"] for t in scored)
        regions.append(
            {
                "name": name,
                "teams": members,
                "count": len(members),
                "submitted": sum(t["state"] == AlignmentCheck.State.SUBMITTED for t in members),
                "score": score,
                "score_text": number(score),
                "lowest": lowest and f"{lowest['name']} ({number(lowest['score'])})",
                "cells": [_heat(region_cells.get((name, o["id"]))) for o in objectives],
            }
        )
    return regions


def _parts(regions: list[dict], size: int | None = None) -> list[dict]:
    """The team appendix in parts of at most `size` teams (TEAMS_PER_PART, the PDF's: one
    WeasyPrint document each), region by region."""
    size = size or TEAMS_PER_PART
    parts = []
    for region in regions:
        members = region["teams"]
        for start in range(0, len(members), size):
            teams = members[start : start + size]
            submitted = sum(t["state"] == AlignmentCheck.State.SUBMITTED for t in teams)
            parts.append(
                {
                    "number": len(parts) + 1,
                    "region": region["name"],
                    "teams": teams,
                    "first": start + 1,
                    "last": start + len(teams),
                    "of": len(members),
                    "count": len(teams),
                    "submitted": submitted,
                    "not_submitted": len(teams) - submitted,
                    "pages": sum(t.get("has_page", True) for t in teams),
                }
            )
    # Translators: an appendix part's title: its region, and which of the region's teams.
    title = gettext("%(region)s, teams %(first)s–%(last)s of %(total)s")
    for part in parts:
        part["title"] = title % {
            "region": part["region"],
            "first": part["first"],
            "last": part["last"],
            "total": part["of"],
        }
    return parts


# --- Measured outcomes -------------------------------------------------------------------------


def measured_outcomes(
    cycle: ReviewCycle, objectives: list[dict], *, now: datetime
) -> list[outcomes.MeasureOutcome]:
    """The measures of the report's objectives (`objectives`, as the report lists them), each
    with its values beside the plan and its status (strategy.outcomes): a closed review's as
    they stood when it closed (the values' history), a running one's as they are `now`. Each
    outcome's `objective_title` is the report's. A few queries, whatever the company."""
    return _measured(cycle, objectives, now=now)[0]


def _measured(
    cycle: ReviewCycle, objectives: list[dict], *, now: datetime, earlier_years: bool = True
):
    """measured_outcomes, and the company settings they were judged with: one query
    (outcomes.objectives_outcomes; without `earlier_years`, the measures' own year alone)."""
    titles = {o["id"]: o["title"] for o in objectives}
    as_of = cycle.closed_at if cycle.is_closed else None
    company, found = outcomes.objectives_outcomes(
        list(titles), now=now, as_of=as_of, earlier_years=earlier_years
    )
    for outcome in found:
        outcome.objective_title = titles[outcome.measure.objective_id]
    return found, company


def _outcome_periods(cycle: ReviewCycle, found: list[outcomes.MeasureOutcome], company) -> list:
    """Each measure in the review's period, its plan beside its value and status: a quarterly
    review's quarter (a monthly measure's three months), as on the check page; an annual
    review's, or a review of another year than the measure's, the latest period with a value,
    else the last due. A period due without a value says so."""
    rows = []
    no_value = pgettext("measure value", "No value")
    not_due = pgettext("measure value", "Not due yet")
    for outcome in found:
        m = outcome.measure
        year = {p.period.number: p for p in outcome.year}
        if cycle.quarter and outcomes.measure_fiscal_year(m) == cycle.fiscal_year:
            numbers = [p.number for p in services.check_periods(cycle=cycle, measure=m)]
        else:
            shown = outcome.latest.period if outcome.latest else outcome.last_due
            numbers = [shown.number] if shown else []
        for number in numbers:
            point = year.get(number)
            if point is None:
                continue
            status = outcomes.status_for(
                point.actual,
                point.planned,
                baseline=m.baseline,
                target=m.target,
                higher_is_better=m.higher_is_better,
                tolerance_percent=company.plan_tolerance_percent,
                off_track_percent=company.off_track_percent,
            )
            due = outcome.last_due is not None and point.period <= outcome.last_due
            rows.append(
                {
                    "objective_title": outcome.objective_title,
                    "measure": m,
                    "period": str(point.period),
                    "planned": point.planned,
                    "actual": point.actual,
                    "status": outcomes.OutcomeStatus(status).label
                    if status
                    else (no_value if due else not_due),
                    "is_at_risk": status
                    in (outcomes.OutcomeStatus.BEHIND, outcomes.OutcomeStatus.OFF_TRACK),
                }
            )
    return rows


def _outcome_section(cycle: ReviewCycle, found: list, company, groups: list[dict]) -> dict:
    """What the report's Measured outcomes section shows: each measure in the review's period
    (_outcome_periods), its chart (`measured_outcomes`), and the measured-outcome signals of
    the review's board, the say-do gaps first (sustain.board.outcome_agenda's groups)."""
    return {
        "measured_outcomes": found,
        "outcome_periods": _outcome_periods(cycle, found, company) if found else [],
        "outcome_groups": groups,
    }


MEASURE_ENTERED_AT = pgettext_lazy("column", "Entered at")
MEASURE_COLUMNS = [
    pgettext_lazy("column", "Objective"),
    pgettext_lazy("column", "Measure"),
    pgettext_lazy("column", "Unit"),
    pgettext_lazy("column", "Direction"),
    pgettext_lazy("column", "Frequency"),
    pgettext_lazy("column", "Reporting team"),
    pgettext_lazy("column", "Customers feel it"),
    pgettext_lazy("column", "Fiscal year"),
    pgettext_lazy("column", "Period"),
    pgettext_lazy("column", "Planned"),
    pgettext_lazy("column", "Value"),
    pgettext_lazy("column", "Status"),
    pgettext_lazy("column", "Source"),
    pgettext_lazy("column", "Entered by"),
    MEASURE_ENTERED_AT,
    pgettext_lazy("column", "Comment"),
]
SOURCE_LABELS = dict(MeasureActual.Source.choices)


def _measure_rows(cycle: ReviewCycle, objectives: list[dict], *, now: datetime) -> Iterator[list]:
    """The Measures sheet: a row per measure of the report's objectives and period of its
    fiscal year, the value beside the plan with its status and who entered it, when, how and
    why; a period due without a value says so. A closed review's values as they stood when
    it closed."""
    # The sheet shows each measure's own year: last years' values (the charts') are not read.
    found, company = _measured(cycle, objectives, now=now, earlier_years=False)
    if not found:
        return
    as_of = cycle.closed_at if cycle.is_closed else None
    # The words of the sheet, each translated once for the file (not once per row).
    yes, no = pgettext("customers feel it", "Yes"), pgettext("customers feel it", "No")
    no_value = pgettext("measure value", "No value")
    source_labels = {code: str(label) for code, label in SOURCE_LABELS.items()}
    status_labels = {status.value: str(status.label) for status in outcomes.OutcomeStatus}
    direction_labels = {code: str(label) for code, label in Measure.Direction.choices}
    frequency_labels = {code: str(label) for code, label in Measure.Frequency.choices}
    entered = {
        (m, y, p): (source, at, " ".join(n for n in (first, last) if n) or user or "")
        for m, y, p, source, at, first, last, user in outcomes.recorded_values(as_of=as_of)
        .filter(measure_id__in=[o.measure.pk for o in found])
        .order_by()
        .values_list(
            "measure_id",
            "fiscal_year",
            "period",
            "source",
            "entered_at",
            "entered_by__first_name",
            "entered_by__last_name",
            "entered_by__username",
        )
    }
    for outcome in found:
        m = outcome.measure
        head = [
            outcome.objective_title,
            m.name,
            m.unit,
            direction_labels.get(m.direction, m.direction),
            frequency_labels.get(m.frequency, m.frequency),
            m.reporting_team.name if m.reporting_team else "",
            yes if m.customer_felt else no,
        ]
        for p in outcome.year:
            status = outcomes.status_for(
                p.actual,
                p.planned,
                baseline=m.baseline,
                target=m.target,
                higher_is_better=m.higher_is_better,
                tolerance_percent=company.plan_tolerance_percent,
                off_track_percent=company.off_track_percent,
            )
            due = outcome.last_due is not None and p.period <= outcome.last_due
            label = status_labels[status] if status else ""
            source, at, who = entered.get((m.pk, p.period.fiscal_year, p.period.number), ("",) * 3)
            yield head + [
                p.period.fiscal_year,
                p.period.code,
                None if p.planned is None else float(p.planned),
                None if p.actual is None else float(p.actual),
                label or (no_value if due else ""),
                source_labels.get(source, source),
                who,
                timezone.make_naive(at) if at else None,
                p.comment,
            ]


def _measures_sheet(book: _Book, cycle: ReviewCycle, objectives: list[dict], *, now) -> None:
    """The workbook's Measures sheet (_measure_rows), written and finished."""
    sheet = _Sheet(
        book,
        "Measures",
        pgettext("sheet name", "Measures"),
        MEASURE_COLUMNS,
        [30, 30, 10, 16, 10, 22, 10, 10, 8] + [10] * 3 + [10, 22, 17, 40],
    )
    when = book.wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    entered_at = MEASURE_COLUMNS.index(MEASURE_ENTERED_AT)
    for row in _measure_rows(cycle, objectives, now=now):
        sheet.write(row, {entered_at: when})
    sheet.finish()


# --- The print view: the summary and one part, bounded ----------------------------------------


def print_data(
    cycle: ReviewCycle, number: int, *, now: datetime | None = None, read: PrintReads | None = None
) -> dict | None:
    """The print view's page: the board's summary and part `number` (from 1) of the team
    appendix, in parts of TEAMS_PER_SCREEN teams, with what report_data(pages=True) gives the
    same templates; None if there is no such part.

    Read from the stored scores (frozen rows once closed, live ones while the cycle runs) and
    a few keys of a closed cycle's snapshot: the teams' items, fits and commitments only for
    the part's teams, so that the page's cost follows the part shown, not the company.
    `read`: what _print_reads() has read already, not read again."""
    now = now or timezone.now()
    current = standings.summary(cycle)
    teams = current.get("teams")
    if teams is None:
        teams = _live_team_list(cycle)
        parents = {t["id"]: t["region"] for t in teams}
        # The agenda then lists the teams not submitted from this list, as a snapshot's.
        current = current | {"teams": teams}
    else:
        parents = _parents(cycle)
    objectives = [dict(o) for o in current["objectives"]]
    titles = {o["id"]: o["title"] for o in objectives}
    names = {t["id"]: t["name"] for t in teams}
    cycles = read.cycles if read is not None else _trend_cycles(cycle)
    # The trend's cycles end with the one before this (services.previous_cycle's).
    quarterly = cycle.kind == ReviewCycle.Kind.QUARTERLY
    previous_cycle = cycles[-2] if quarterly and len(cycles) > 1 else None

    regions = _regions(teams, objectives, parents, {})
    parts = _parts(regions, TEAMS_PER_SCREEN)
    if not 1 <= number <= max(len(parts), 1):
        return None
    part = parts[number - 1] if parts else None
    part_teams = part["teams"] if part else []
    ids = [t["id"] for t in part_teams]

    stored = _print_scores(cycle, ids)
    for region in regions:
        region["cells"] = [
            _heat(stored["regions"].get((region["name"], o["id"]))) for o in objectives
        ]
    if previous_cycle is None:
        figures = None
    elif previous_cycle.is_closed:
        frozen = stored["frozen"][previous_cycle.pk]
        figures = {
            "index": frozen.get((None, None)),
            "objectives": {o: v for (o, u), v in frozen.items() if o is not None and u is None},
        }
    else:
        figures = standings.previous_figures(previous_cycle)
    index = current["index"]
    change = None
    if figures and index is not None and figures["index"] is not None:
        change = index - figures["index"]

    # The committed teams are named only where they are few (COMMITTED_SHOWN); the others are
    # counted, from the objectives' own figures. Read with the part's items.
    many = {o["id"] for o in objectives if o["teams"] > COMMITTED_SHOWN}
    in_part = set(ids)
    committed = defaultdict(list)
    items = defaultdict(list)
    for item in _part_items(cycle, ids, many):
        if item["team"] in in_part:
            items[item["team"]].append(item)
        if not item["is_extra"] and item["objective"] not in many:
            committed[item["objective"]].append(names.get(item["team"], "?"))
    trend = _trend(
        cycle,
        {"index": index, "objectives": objectives, "teams": part_teams},
        cycles=cycles,
        frozen=stored["frozen"],
    )
    for o in objectives:
        o["committed_teams"] = sorted(committed.get(o["id"], []))
        o["committed_count"] = o["teams"]
        o["trend"] = trend["objectives"].get(o["id"], [])
    _summary_texts(objectives, trend["year"])

    commitments = defaultdict(list)
    for c in _commitment_rows(cycle, team_ids=ids):
        commitments[c["team"]].append(c)
    if part:
        part = part | {
            "teams": [
                _team_row(
                    t,
                    objectives,
                    titles,
                    stored["fits"],
                    items=items[t["id"]],
                    commitments=commitments[t["id"]],
                    lever_means=_lever_means_of(items[t["id"]]),
                    year_values=year_row["values"],
                )
                for t, year_row in zip(part_teams, trend["year"]["teams"], strict=True)
            ]
        }

    missing = [t for t in teams if t["state"] != AlignmentCheck.State.SUBMITTED]
    done = {
        "draft": sum(t["state"] == AlignmentCheck.State.DRAFT for t in missing),
        "not_started": sum(t["state"] == AlignmentCheck.State.NOT_STARTED for t in missing),
    }
    agenda_items, agenda_more = standings.agenda_items(
        cycle, current, done, previous_cycle, figures
    )
    # The signals and the agenda's measured-outcome groups (the say-do gaps...): one query, or
    # none for a closed cycle (its snapshot's, read with `current`).
    found_board = board.cycle_board(cycle, current)
    # The company and the measures' outcomes, in one query; a closed cycle's values as they
    # stood when it closed. Their year only: the page shows it (the charts with last years'
    # are the board pack's and the objective pages').
    company, found = _print_outcomes(
        cycle, list(titles), now=now, version=read.version if read is not None else None
    )
    for outcome in found:
        outcome.objective_title = titles[outcome.measure.objective_id]
    return {
        **_outcome_section(cycle, found, company, found_board["outcomes"]),
        "company": company.name,
        "cycle": cycle,
        "generated_at": now,
        "index": index,
        "previous_label": previous_cycle.label if previous_cycle else None,
        "change": change,
        "objectives": objectives,
        "team_count": len(teams),
        "agenda_groups": _agenda_groups(agenda_items, agenda_more),
        "actions": _actions(
            cycle, previous_cycle, names, titles, found=read.actions if read is not None else None
        ),
        "missing": missing,
        "missing_shown": missing[:MISSING_SHOWN],
        "missing_hidden": max(len(missing) - MISSING_SHOWN, 0),
        "trend_chart": trend["chart"],
        "year": trend["year"],
        "levers": [label for _, label in Lever.choices],
        # A running cycle's: the stored board's, as last computed.
        "signals": found_board["signals"],
        "signals_more": found_board["more"],
        "committed_shown": COMMITTED_SHOWN,
        "teams_per_part": TEAMS_PER_SCREEN,
        "team_pages": len(teams),  # on screen, each part shows every one of its teams in full
        "regions": regions,
        "parts": parts,
        "part": part,
        "previous_part": number - 1 if number > 1 else None,
        "next_part": number + 1 if number < len(parts) else None,
        "report_files": read.report_files if read is not None else _done_report_files(cycle),
    }


def _print_outcomes(
    cycle: ReviewCycle, objective_ids: list[int], *, now: datetime, version: int | None = None
) -> tuple:
    """The company and the measures' outcomes of the print view (their year only: the charts
    with last years' are the board pack's and the objective pages'). A closed cycle's values
    are those recorded when it closed, judged on that day: the answer changes only with what
    strategy.versions counts (a measure, its plan, the company's thresholds...), so it is kept
    in the cache under the cycle, its closing and that version; one small query instead of the
    values' union and their judging."""
    if not cycle.is_closed:
        return outcomes.objectives_outcomes(objective_ids, now=now, earlier_years=False)
    key = "print-outcomes:{}:{}:{}:{}".format(
        cycle.pk,
        cycle.closed_at.timestamp(),
        versions.current() if version is None else version,
        ",".join(map(str, objective_ids)),
    )
    found = django_cache.get(key)
    if found is None:
        found = outcomes.objectives_outcomes(
            objective_ids, now=now, as_of=cycle.closed_at, earlier_years=False
        )
        django_cache.set(key, found, PRINT_OUTCOMES_SECONDS)
    return found


def _print_scores(cycle: ReviewCycle, ids: list[int]) -> dict:
    """Every stored score the print view shows but the agenda's (which reads its own as the
    cycle page does), in one query: the frozen rows of the trend's cycles (_trend_cycles':
    no cell; the teams' only this fiscal year's, of `ids`), the stored fits of the teams `ids`
    and each region's mean fit on each objective."""
    with connection.cursor() as cursor:
        cursor.execute(
            _PRINT_SCORES_SQL,
            standings.stored_ids(cycle)
            | {
                "units": standings.id_list(ids),
                "cycle": cycle.pk,
                "quarterly": ReviewCycle.Kind.QUARTERLY,
                "planned": ReviewCycle.State.PLANNED,
                "year": cycle.fiscal_year,
                "quarter": cycle.quarter or 0,
            },
        )
        found = cursor.fetchall()
    frozen = defaultdict(dict)  # cycle → (objective, team) → score
    result = {"frozen": frozen, "fits": {}, "regions": {}}
    no_region = str(NO_REGION)
    for kind, cycle_id, objective_id, unit_id, score, region in found:
        if kind == _TREND_ROW:
            frozen[cycle_id][(objective_id, unit_id)] = score
        elif kind == _FIT_ROW:
            result["fits"][(objective_id, unit_id)] = score
        else:
            result["regions"][(region or no_region, objective_id)] = score
    return result


_TREND_ROW, _FIT_ROW, _REGION_ROW = range(3)
# Written out: the ORM took longer to build this union than the database takes to run it.
# Typed NULLs: PostgreSQL matches a union's columns pair by pair, an untyped NULL as text.
_PRINT_SCORES_SQL = """
WITH stored AS (
  SELECT objective_id, unit_id, score FROM reviews_livescore
  WHERE cycle_id = %(live)s AND objective_id IS NOT NULL AND unit_id IS NOT NULL
  UNION ALL
  SELECT objective_id, unit_id, score FROM reviews_frozenscore
  WHERE cycle_id = %(frozen)s AND objective_id IS NOT NULL AND unit_id IS NOT NULL
)
SELECT 0, f.cycle_id, f.objective_id, f.unit_id, f.score, CAST(NULL AS TEXT)
FROM reviews_frozenscore f JOIN reviews_reviewcycle c ON c.id = f.cycle_id
WHERE (c.id = %(cycle)s OR (c.kind = %(quarterly)s AND c.state <> %(planned)s
    AND (c.fiscal_year < %(year)s OR (c.fiscal_year = %(year)s AND c.quarter < %(quarter)s))))
  AND (f.unit_id IS NULL OR (f.objective_id IS NULL AND c.fiscal_year = %(year)s
    AND %(units)s LIKE '%%,' || CAST(f.unit_id AS TEXT) || ',%%'))
UNION ALL
SELECT 1, CAST(NULL AS INTEGER), s.objective_id, s.unit_id, s.score, CAST(NULL AS TEXT)
FROM stored s
WHERE %(units)s LIKE '%%,' || CAST(s.unit_id AS TEXT) || ',%%'
UNION ALL
SELECT 2, CAST(NULL AS INTEGER), s.objective_id, CAST(NULL AS INTEGER), AVG(s.score), p.name
FROM stored s JOIN alignment_unit u ON u.id = s.unit_id
LEFT JOIN alignment_unit p ON p.id = u.parent_id
GROUP BY p.name, s.objective_id
"""


def _live_team_list(cycle: ReviewCycle) -> list[dict]:
    """A running cycle's teams as a snapshot lists them, their fits from the live scores, and
    the name of the unit above each (`region`)."""
    score = (
        standings.scores(cycle)
        .filter(unit=OuterRef("unit_id"), objective__isnull=True)
        .values("score")[:1]
    )
    rows = (
        cycle.checks.annotate(score=Subquery(score, output_field=FloatField()))
        .order_by("unit__name", "unit_id")
        .values(
            "unit_id",
            "unit__name",
            "unit__code",
            "unit__parent__name",
            "state",
            "submitted_at",
            "score",
        )
    )
    return [
        {
            "id": r["unit_id"],
            "name": r["unit__name"],
            "code": r["unit__code"],
            "state": r["state"],
            "submitted_at": r["submitted_at"].isoformat() if r["submitted_at"] else None,
            "score": r["score"],
            "region": r["unit__parent__name"],
        }
        for r in rows
    ]


def _actions(
    cycle: ReviewCycle,
    previous: ReviewCycle | None,
    team_names: dict,
    objective_titles: dict,
    *,
    found: tuple | None = None,
) -> list:
    """The cycle's actions, named as the review knew them: the open ones carried over (by due
    date), then those done in this cycle, in one query (`previous`: the review before it;
    `found`: selectors.cycle_actions' answer, when read already)."""
    carried, done = found or selectors.cycle_actions(cycle, previous)
    actions = carried + done
    for a in actions:
        # Names as the review knew them (a closed review's snapshot), like the rest of it.
        a.owner_name = team_names.get(a.owner_id, a.owner.name)
        a.objective_title = (
            objective_titles.get(a.objective_id, a.objective.title) if a.objective else ""
        )
    return actions


def _done_report_files(cycle: ReviewCycle) -> dict:
    """The latest built file of each format, by format: the print view links to them; the
    latest in the reader's (active) language where there is one."""
    language = locales.supported(translation.get_language())
    latest, other = {}, {}
    for report in ReportFile.objects.raw(
        _DONE_REPORT_FILES_SQL, {"cycle": cycle.pk, "done": ReportFile.State.DONE}
    ):
        (latest if report.language == language else other).setdefault(report.format, report)
    return other | latest


# Written out: the ORM took longer to build it than the database takes to run it.
_DONE_REPORT_FILES_SQL = """
SELECT * FROM reviews_reportfile
WHERE cycle_id = %(cycle)s AND state = %(done)s AND file <> ''
ORDER BY id DESC
"""


def _part_items(cycle: ReviewCycle, team_ids: list[int], committed_except: set[int]) -> list:
    """The check items of the teams `team_ids` as _item_rows gives them, and every team's
    committed (not extra) items on the objectives not in `committed_except`, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            _PART_ITEMS_SQL,
            {
                "cycle": cycle.pk,
                "teams": standings.id_list(team_ids),
                "counted": standings.id_list(committed_except),
            },
        )
        rows = cursor.fetchall()
    submitted = AlignmentCheck.State.SUBMITTED
    return [
        {
            "team": team_id,
            "objective": objective_id,
            "submitted": state == submitted,
            "is_extra": bool(is_extra),  # SQLite has no booleans
            "scores": dict(zip(LEVERS, scores, strict=True)),
            "evidence": evidence,
            "blockers": blockers,
        }
        for team_id, state, objective_id, is_extra, evidence, blockers, *scores in rows
    ]


# Written out: the ORM took longer to build it than the database takes to run it. The scores
# in the order of LEVERS; the items in CheckItem's order.
_PART_ITEMS_SQL = """
SELECT k.unit_id, k.state, i.objective_id, i.is_extra, i.evidence, i.blockers,
  i.score_people, i.score_incentives, i.score_inventory, i.score_processes, i.score_funding,
  i.score_communication
FROM reviews_checkitem i
JOIN reviews_alignmentcheck k ON k.id = i.alignment_check_id
JOIN alignment_objective o ON o.id = i.objective_id
WHERE k.cycle_id = %(cycle)s
  AND (%(teams)s LIKE '%%,' || CAST(k.unit_id AS TEXT) || ',%%'
    OR (NOT i.is_extra
      AND %(counted)s NOT LIKE '%%,' || CAST(i.objective_id AS TEXT) || ',%%'))
ORDER BY o."order", i.objective_id
"""


def _item_rows(cycle: ReviewCycle, *, team_ids: list[int] | None = None) -> Iterator[dict]:
    """The cycle's check items as a snapshot lists them (team, objective, submitted, is_extra,
    scores, evidence, blockers), read from the checks (which a closed cycle no longer lets
    anyone change): those of `team_ids`, or every one, a chunk at a time, by team."""
    rows = CheckItem.objects.filter(alignment_check__cycle=cycle)
    if team_ids is not None:
        rows = rows.filter(alignment_check__unit_id__in=team_ids)
    else:
        rows = rows.order_by(
            "alignment_check__unit__name",
            "alignment_check__unit_id",
            "objective__order",
            "objective_id",
        )
    fields = [f"score_{lever}" for lever in LEVERS]
    submitted = AlignmentCheck.State.SUBMITTED
    for row in rows.values_list(
        "alignment_check__unit_id",
        "alignment_check__state",
        "objective_id",
        "is_extra",
        "evidence",
        "blockers",
        *fields,
    ).iterator(chunk_size=CSV_CHUNK_ROWS):
        team_id, state, objective_id, is_extra, evidence, blockers = row[:6]
        yield {
            "team": team_id,
            "objective": objective_id,
            "submitted": state == submitted,
            "is_extra": is_extra,
            "scores": dict(zip(LEVERS, row[6:], strict=True)),
            "evidence": evidence,
            "blockers": blockers,
        }


# A commitment as a snapshot holds it: its due date as ISO text, its amount as text or None.
COMMITMENT_FIELDS = (
    "team",
    "objective",
    "lever",
    "statement",
    "target",
    "due_on",
    "status",
    "amount",
    "currency",
)


def _commitment_rows(cycle: ReviewCycle, *, team_ids: list[int] | None = None) -> Iterator[dict]:
    """The commitments a report shows (_commitment_values), as dicts."""
    for values in _commitment_values(cycle, team_ids=team_ids):
        yield dict(zip(COMMITMENT_FIELDS, values, strict=True))


def _commitment_values(cycle: ReviewCycle, *, team_ids: list[int] | None = None) -> Iterator[tuple]:
    """The commitments a report shows, as a snapshot lists them, each a tuple of
    COMMITMENT_FIELDS: a closed cycle's as its snapshot froze them, their fields read
    inside the database (never the whole snapshot, nor a JSON object per commitment in
    Python); a running cycle's (or an old snapshot's without them) from the commitments.
    Those of `team_ids`, or every one, a chunk at a time."""
    if cycle.is_closed:
        elements = _snapshot_elements(cycle, "commitments", team_ids, fields=COMMITMENT_FIELDS)
        if next(elements):  # the snapshot froze them
            for team, objective, *rest in elements:
                yield (int(team), int(objective), *rest)
            return
        elements.close()
    objectives = standings.summary(cycle)["objectives"] if cycle.is_closed else None
    rows = Commitment.objects.filter(unit__checks__cycle=cycle)
    if team_ids is not None:
        rows = rows.filter(unit_id__in=team_ids)
    if objectives is not None:
        rows = rows.filter(objective_id__in=[o["id"] for o in objectives])
    else:
        rows = rows.filter(
            Q(objective__position_id=cycle.position_id, objective__retired_at__isnull=True)
            | Q(objective__check_items__alignment_check__cycle=cycle)
        ).distinct()
    rows = rows.order_by("unit__name", "objective__order", "lever", "pk").values_list(
        "unit_id",
        "objective_id",
        "lever",
        "statement",
        "target",
        "due_on",
        "status",
        "amount",
        "currency",
    )
    for row in rows.iterator(chunk_size=CSV_CHUNK_ROWS):
        team, objective, lever, statement, target, due_on, status, amount, currency = row
        amount = str(amount) if amount is not None else None
        yield (
            team,
            objective,
            lever,
            statement,
            target,
            due_on.isoformat(),
            status,
            amount,
            currency,
        )


# A closed cycle's snapshot list taken apart inside the database. Constant statements but for
# the fields taken out of each element (`{fields}`: `e.value` itself, or one `->>` a field,
# each field's name a parameter): the list's key, the cycle and the wanted teams are
# parameters (the teams as an array, or as a JSON list on SQLite), and `%s` as the first team
# filter says whether to take every element. The snapshot is read once, in the materialised
# `s`: a column of the cycle's row named in the select list would be decompressed
# (PostgreSQL) or parsed (SQLite) again for every element, 17 s for the 3,000 commitments of
# 500 teams instead of 40 ms.
_ELEMENTS_SQL = {
    "postgresql": (
        "WITH s AS MATERIALIZED (SELECT c.snapshot ? %s AS has, c.snapshot -> %s AS list "
        "FROM reviews_reviewcycle c WHERE c.id = %s) "
        "SELECT s.has, e.value IS NOT NULL, {fields} FROM s LEFT JOIN LATERAL "
        "jsonb_array_elements(s.list) WITH ORDINALITY AS e(value, n) "
        "ON (%s OR (e.value ->> 'team')::integer = ANY(%s)) ORDER BY e.n"
    ),
    "sqlite": (
        "WITH s AS MATERIALIZED (SELECT json_type(c.snapshot, '$.' || %s) IS NOT NULL AS has, "
        "json_extract(c.snapshot, '$.' || %s) AS list FROM reviews_reviewcycle c WHERE c.id = %s) "
        "SELECT s.has, e.value IS NOT NULL, {fields} FROM s LEFT JOIN json_each(s.list) e "
        "ON (%s OR json_extract(e.value, '$.team') IN (SELECT value FROM json_each(%s))) "
        "ORDER BY e.key"
    ),
}
_ELEMENT_FIELD_SQL = {
    "postgresql": "e.value ->> %s",
    "sqlite": "json_extract(e.value, '$.' || %s)",
}


def _snapshot_elements(
    cycle: ReviewCycle,
    key: str,
    team_ids: list[int] | None = None,
    *,
    fields: tuple[str, ...] = (),
) -> Iterator:
    """Whether a closed cycle's snapshot has the list `key`, then its elements (those whose
    "team" is one of `team_ids`, if given), in their order, in one query: taken apart inside
    the database and fetched a chunk at a time, the snapshot is never read whole. Each
    element is a dict, or with `fields` a tuple of those fields' values (as text on
    PostgreSQL, null as None). The left join keeps the cycle's row (its element NULL) when
    none is wanted."""
    teams = list(team_ids or [])
    vendor = connection.vendor
    wanted = teams if vendor == "postgresql" else json.dumps(teams)
    columns = ", ".join([_ELEMENT_FIELD_SQL[vendor]] * len(fields)) if fields else "e.value"
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            _ELEMENTS_SQL[vendor].format(fields=columns),
            [key, key, cycle.pk, *fields, team_ids is None, wanted],
        )
        rows = cursor.fetchmany(CSV_CHUNK_ROWS)
        yield bool(rows and rows[0][0])
        while rows:
            for _, found, *values in rows:
                if not found:
                    continue
                if fields:
                    yield tuple(values)
                else:
                    (value,) = values
                    yield value if isinstance(value, dict) else json.loads(value)
            rows = cursor.fetchmany(CSV_CHUNK_ROWS)


def _trend_cycles(cycle: ReviewCycle) -> list[ReviewCycle]:
    """The quarterly reviews up to this one (without their snapshots), in order, ending with
    it."""
    cycles = ReviewCycle.objects.raw(
        _TREND_CYCLES_SQL,
        {
            "quarterly": ReviewCycle.Kind.QUARTERLY,
            "planned": ReviewCycle.State.PLANNED,
            "year": cycle.fiscal_year,
            "quarter": cycle.quarter or 0,
        },
    )
    return [*cycles, cycle]


# Every column but the snapshot; written out, as the ORM took longer to build it than the
# database to run it.
_TREND_CYCLES_SQL = """
SELECT id, kind, fiscal_year, quarter, position_id, opens_on, due_on, state, opened_at,
  review_started_at, closed_at, closed_by_id, created_at
FROM reviews_reviewcycle
WHERE kind = %(quarterly)s AND state <> %(planned)s
  AND (fiscal_year < %(year)s OR (fiscal_year = %(year)s AND quarter < %(quarter)s))
ORDER BY fiscal_year, quarter
"""


def _trend_scores(cycle: ReviewCycle, cycles: list[ReviewCycle], team_ids: list[int]) -> dict:
    """The frozen scores the trend shows, by cycle and (objective, team)."""
    frozen = defaultdict(dict)  # cycle → key → score
    rows = (
        FrozenScore.objects.filter(cycle__in=cycles)
        # No cell (the trend has none), and the teams' only for this fiscal year's quarters,
        # only those of `results` (the print view's: one part's).
        .filter(
            Q(unit__isnull=True)
            | Q(
                objective__isnull=True,
                cycle__fiscal_year=cycle.fiscal_year,
                unit__in=team_ids,
            )
        )
        .values_list("cycle_id", "objective_id", "unit_id", "score")
    )
    for cycle_id, objective_id, unit_id, score in rows:
        frozen[cycle_id][(objective_id, unit_id)] = score
    return frozen


def _trend(
    cycle: ReviewCycle,
    results: dict,
    *,
    cycles: list[ReviewCycle] | None = None,
    frozen: dict | None = None,
) -> dict:
    """The index by quarter up to this cycle, each objective's scores, and this fiscal year's
    quarters side by side; from `cycles` (_trend_cycles) and their `frozen` scores by cycle
    and (objective, team) when the caller read them."""
    cycles = cycles if cycles is not None else _trend_cycles(cycle)
    if frozen is None:
        frozen = _trend_scores(cycle, cycles, [t["id"] for t in results["teams"]])
    live = {(None, None): results["index"]}
    live |= {(o["id"], None): o["score"] for o in results["objectives"]}
    live |= {(None, t["id"]): t["score"] for t in results["teams"]}

    def value(c: ReviewCycle, key):
        return live.get(key) if c.pk == cycle.pk and not c.is_closed else frozen[c.pk].get(key)

    chart = trends.build_chart(
        gettext("Alignment index"), [trends.Point(c.label, value(c, (None, None))) for c in cycles]
    )
    objective_series = {
        o["id"]: [(c.label, value(c, (o["id"], None))) for c in cycles]
        for o in results["objectives"]
    }
    year_cycles = [c for c in cycles if c.fiscal_year == cycle.fiscal_year]
    year = {
        "labels": [c.label for c in year_cycles],
        "index": [value(c, (None, None)) for c in year_cycles],
        "objectives": [
            {"title": o["title"], "values": [value(c, (o["id"], None)) for c in year_cycles]}
            for o in results["objectives"]
        ],
        "teams": [
            {"name": t["name"], "values": [value(c, (None, t["id"])) for c in year_cycles]}
            for t in results["teams"]
        ],
    }
    return {"chart": chart, "objectives": objective_series, "year": year}


# --- CSV -------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_rows(cycle: ReviewCycle, *, answers: tuple[str, str] | None = None) -> Iterator[list]:
    """One tidy row per (team, objective, lever), read from the database in chunks; whether a
    score is "not applicable" as `answers` (yes, no), the active language's by default."""
    yes, no = answers or _csv_answers()
    results = _csv_names(cycle)
    teams = {t["id"]: t for t in results["teams"]}
    objectives = {o["id"]: o for o in results["objectives"]}
    # A closed cycle's fits come with its items from the frozen rows, one indexed look-up
    # each, rather than from a dict of every cell held for the whole file.
    frozen = cycle.is_closed and FrozenScore.objects.filter(cycle=cycle).cells().exists()
    if not frozen and "cells" not in results:
        results = services.results(cycle)
    cells = {} if frozen else {(o, t): s for o, t, s in results["cells"]}
    fields = [f"score_{lever}" for lever in LEVERS]
    frozen_fit = Subquery(
        FrozenScore.objects.filter(
            cycle=cycle,
            objective_id=OuterRef("objective_id"),
            unit_id=OuterRef("alignment_check__unit_id"),
        ).values("score")[:1]
    )
    items = (
        CheckItem.objects.filter(alignment_check__cycle=cycle)
        .annotate(frozen_fit=frozen_fit if frozen else Value(None, FloatField()))
        .order_by("alignment_check__unit__name", "objective__order", "objective_id")
        .values_list(
            "alignment_check__unit_id",
            "alignment_check__unit__code",
            "alignment_check__unit__name",
            "alignment_check__state",
            "objective_id",
            "objective__title",
            "objective__priority_weight",
            "evidence",
            "blockers",
            "frozen_fit",
            *fields,
        )
        .iterator(chunk_size=CSV_CHUNK_ROWS // 2)
    )
    company = CompanySettings.read().name
    for row in items:
        team_id, code, name, state, objective_id, title, weight, evidence, blockers = row[:9]
        team = teams.get(team_id, {})
        objective = objectives.get(objective_id, {})
        fit = row[9] if frozen else cells.get((objective_id, team_id))
        for lever, score in zip(LEVERS, row[10:], strict=True):
            yield [
                company,
                cycle.fiscal_year,
                cycle.quarter or "",
                cycle.state,
                team.get("code", code),
                team.get("name", name),
                team.get("state", state),
                objective_id,
                objective.get("title", title),
                objective.get("weight", weight),
                lever,
                "" if score in (None, NOT_APPLICABLE) else score,
                yes if score == NOT_APPLICABLE else no,
                "" if fit is None else round(fit, 2),
                evidence,
                blockers,
            ]


def _csv_names(cycle: ReviewCycle) -> dict:
    """The teams and objectives as the CSV names them: a closed cycle's two keys of its
    snapshot, read inside the database (not the whole snapshot, whose items grow with the
    company); a running cycle's results."""
    if cycle.is_closed:
        names = (
            ReviewCycle.objects.filter(pk=cycle.pk)
            .values(teams=F("snapshot__teams"), objectives=F("snapshot__objectives"))
            .get()
        )
        if names["teams"] is not None and names["objectives"] is not None:
            return names
    return services.results(cycle)


def _csv_answers() -> tuple[str, str]:
    return pgettext("CSV value", "yes"), pgettext("CSV value", "no")


def csv_stream(cycle: ReviewCycle, *, language: str | None = None) -> Iterator[str]:
    """UTF-8 CSV with a header row, a chunk of rows at a time, formula-like text neutralised,
    in `language` (the active one if not given) and its locale's dialect (reports.locales:
    `;` and decimal commas in de, fr and es, `,` and decimal points in en-gb). Dates are ISO
    (2026-09-30) in every locale: read the same way by every spreadsheet and script, where
    30/09/2026 and 09/30/2026 are not.

    The words are looked up now, once for the file, not while the response streams."""
    language = locales.supported(language or translation.get_language())
    with translation.override(language):
        header = [str(CSV_HEADERS[c]) for c in CSV_COLUMNS]
        answers = _csv_answers()
    return _csv_chunks(header, csv_rows(cycle, answers=answers), locales.csv_dialect(language))


def _csv_chunks(header: list[str], rows: Iterable[list], dialect) -> Iterator[str]:
    # Every field quoted, rows ending in "\n" rather than "\r\n": a spreadsheet that splits the
    # file at ";" loses track of the quotes, and would start a cell at the "\r" after a closing
    # quote. (Quoting every field keeps a "\r" typed in the text inside its field.) Text is
    # neutralised before the figures get their decimal mark: a figure is never a formula.
    writer = _csv_writer(dialect)
    number = dialect.number
    buffer = ["\ufeff" + writer.writerow(header)]  # BOM: spreadsheets then read UTF-8
    for row in rows:
        buffer.append(writer.writerow([number(neutralise(v)) for v in row]))
        if len(buffer) >= CSV_CHUNK_ROWS:
            yield "".join(buffer)
            buffer = []
    yield "".join(buffer)


def _csv_writer(dialect):
    return csv.writer(
        _Echo(), delimiter=dialect.delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n"
    )


def csv_lines(rows: Iterable[list], *, language: str | None = None) -> Iterator[str]:
    """Rows (the first one the header) as UTF-8 CSV lines, written like csv_stream in the
    dialect of `language`'s locale (the active language's if not given)."""
    dialect = locales.csv_dialect(locales.supported(language or translation.get_language()))
    writer, number = _csv_writer(dialect), dialect.number
    for i, row in enumerate(rows):
        yield ("\ufeff" if i == 0 else "") + writer.writerow([number(neutralise(v)) for v in row])


# --- XLSX ------------------------------------------------------------------------------------


def _cell_writer(name: str):
    """Worksheet.write_string, write_number… without the decorator that accepts "A1" notation
    too: every cell here is (row, col). XlsxWriter's own undecorated version (`_write_string`)
    where it has one, else the method functools.wraps kept under the decorator."""
    from xlsxwriter.worksheet import Worksheet

    method = getattr(Worksheet, name)
    return getattr(Worksheet, f"_{name}", None) or getattr(method, "__wrapped__", method)


def xl_range(*args) -> str:
    from xlsxwriter.utility import xl_range

    return xl_range(*args)


class _Sheet:
    """A worksheet written row by row in constant-memory mode, as an Excel table: the sheet's
    `name` and its `headers` in the report's language (each header translated once for the
    file), the table's name `table` the same in every language (formulas refer to it)."""

    def __init__(self, book: _Book, table: str, name: str, headers: list, widths=None):
        headers = _unique([str(h) for h in headers])
        self.book, self.headers = book, headers
        self.ws = book.wb.add_worksheet(locales.sheet_name(name))
        # add_table refuses constant-memory mode because it writes the header cells itself;
        # with no row written yet it is safe to let it, then write the headers again as the
        # inline strings constant-memory mode flushes.
        self.ws.constant_memory = 0
        # The table is declared over its header and first row, then given its full extent:
        # add_table notes every cell of its range to refuse overlapping ranges (this sheet
        # has no other), a dict as big as the sheet and as slow to fill as writing it.
        error = self.ws.add_table(
            0,
            0,
            1,
            len(headers) - 1,
            {
                "name": table,
                "columns": [{"header": h} for h in headers],
                "style": "Table Style Light 9",
            },
        )
        if error:
            raise ValueError(f"The {table} sheet's table was refused (XlsxWriter error {error}).")
        self.table = self.ws.tables[-1]
        self.ws.table_cells.clear()
        self.ws.constant_memory = 1
        for col, header in enumerate(headers):
            fmt = book.header_quoted if is_formula_like(header) else book.header
            self.ws.write_string(0, col, header, fmt)
        self.ws.freeze_panes(1, 0)
        for col, width in enumerate(widths or [18] * len(headers)):
            self.ws.set_column(col, col, width)
        self.row = 1

    def cells(self, values: list, formats: dict | None = None, *, start: int = 0) -> list:
        """How to write `values` from column `start`: (column, writer, value, format) for
        each cell, decided once, so that the same cells repeated on many rows (a team's, on
        each of its items) are sorted out once. Text and numbers, nearly every cell, go
        straight to the worksheet (the rest as _Book.cell converts them); a blank cell
        without a format is not written at all, which XlsxWriter would skip anyway."""
        book = self.book
        write_string, write_number, quoted = book.write_string, book.write_number, book.quoted
        cells = []
        for col, value in enumerate(values, start):
            fmt = formats.get(col) if formats else None
            kind = type(value)
            if kind is str and value:
                fmt = quoted if value.startswith(FORMULA_TRIGGERS) else fmt
                cells.append((col, write_string, value, fmt))
            elif kind is float or kind is int:
                cells.append((col, write_number, value, fmt))
            elif value is None or value == "":
                if fmt is not None:
                    cells.append((col, book.write_blank, None, fmt))
            else:
                cells.append((col, *book.cell(value, fmt)))
        return cells

    def write(self, values: list, formats: dict | None = None) -> None:
        """One row."""
        self.write_cells(self.cells(values, formats))

    def write_cells(self, *groups: list) -> None:
        """One row of cells from cells(): groups of its columns, such as a team's and then
        one of its items'."""
        ws, row = self.ws, self.row
        for cells in groups:
            for col, writer, value, fmt in cells:
                writer(ws, row, col, value, fmt)
        self.row += 1

    def finish(self) -> None:
        """Give the table the rows written (the rows are streamed: not known beforehand);
        XlsxWriter writes the table when the workbook closes."""
        table = self.table
        table["range"] = xl_range(0, 0, max(self.row - 1, 1), len(self.headers) - 1)
        table["a_range"] = table["autofilter"] = table["range"]


class _Book:
    def __init__(self, target, *, language: str | None = None):
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                # Text is text: never a formula, a number or a link.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "in_memory": False,
                "tmpdir": str(settings.VAR_DIR) if Path(settings.VAR_DIR).exists() else None,
            },
        )
        self.write_string = _cell_writer("write_string")
        self.write_number = _cell_writer("write_number")
        self.write_blank = _cell_writer("write_blank")
        self.write_boolean = _cell_writer("write_boolean")
        self.write_datetime = _cell_writer("write_datetime")
        self.header = self.wb.add_format({"bold": True})
        self.header_quoted = self.wb.add_format({"bold": True, "quote_prefix": True})
        self.quoted = self.wb.add_format({"quote_prefix": True})
        self.score = self.wb.add_format({"num_format": "0"})
        self.decimal = self.wb.add_format({"num_format": "0.0"})
        self.date = self.wb.add_format({"num_format": "yyyy-mm-dd"})
        self.money = self.wb.add_format({"num_format": "#,##0.00"})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.language = locales.supported(language or translation.get_language())
        self._money_formats: dict = {}

    def money_in(self, currency: str):
        """The format of an amount in `currency`: the currency's symbol where the report's
        locale puts it (reports.locales.money_format); one format per currency."""
        fmt = self._money_formats.get(currency)
        if fmt is None:
            code = locales.money_format(currency, self.language) if currency else "#,##0.00"
            fmt = self._money_formats[currency] = self.wb.add_format({"num_format": code})
        return fmt

    def cell(self, value, fmt=None) -> tuple:
        """(writer, value, format) of a cell that is not text, a number or blank: a boolean,
        a date or time (naive, in the company's time zone), or a number of another type."""
        if isinstance(value, bool):
            return self.write_boolean, value, fmt
        if isinstance(value, Promise):  # a lazily translated label: its text, now
            text = str(value)
            quoted = text.startswith(FORMULA_TRIGGERS)
            return self.write_string, text, self.quoted if quoted else fmt
        if isinstance(value, datetime):
            naive = value if value.tzinfo is None else timezone.make_naive(value)
            return self.write_datetime, naive, fmt or self.date
        if hasattr(value, "isoformat"):
            day = datetime(value.year, value.month, value.day)
            return self.write_datetime, day, fmt or self.date
        return self.write_number, float(value), fmt

    def write(self, ws, row, col, value, fmt=None) -> None:
        if value is None or value == "":
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, str):
            # Formula-like text keeps its characters and gets Excel's quote prefix, so that
            # editing the cell does not turn it into a formula either.
            ws.write_string(
                row, col, value, self.quoted if value.startswith(FORMULA_TRIGGERS) else fmt
            )
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, datetime):
            ws.write_datetime(row, col, timezone.make_naive(value), fmt or self.date)
        elif hasattr(value, "isoformat"):
            ws.write_datetime(
                row, col, datetime(value.year, value.month, value.day), fmt or self.date
            )
        else:
            ws.write_number(row, col, float(value), fmt)


def xlsx_write(cycle: ReviewCycle, target, *, progress=None) -> None:
    """Write the report workbook to a path or file object, reporting progress 0-100.

    Streamed: the teams and objectives come from a few keys of a closed cycle's snapshot (a
    running one's from its stored scores), the items with their fits and the commitments a
    chunk at a time in the teams' order, so that its memory does not follow the company."""
    now = timezone.now()
    current = standings.summary(cycle)
    teams = current.get("teams")
    if teams is None:
        teams = _live_team_list(cycle)
    objectives = current["objectives"]
    titles = {o["id"]: o["title"] for o in objectives}
    names = {t["id"]: t["name"] for t in teams}
    company = CompanySettings.read().name
    book = _Book(target)
    step = _progress(progress, 8)
    # Filled last: the agenda needs the low cells.
    summary = book.wb.add_worksheet(locales.sheet_name(pgettext("sheet name", "Summary")))
    # The words of the workbook, each translated once for the file (not once per cell).
    levers = _lever_texts()
    lever_labels = dict(zip(LEVERS, levers, strict=True))
    status_labels = {code: str(label) for code, label in STATUS_LABELS.items()}
    team_header, check_header = pgettext("column", "Team"), pgettext("column", "Check")
    fit_header, objective_header = pgettext("column", "Team fit"), pgettext("column", "Objective")

    heat = _Sheet(
        book,
        "Heatmap",
        pgettext("sheet name", "Heatmap"),
        [team_header, check_header] + [o["title"] for o in objectives] + [fit_header],
        [24, 12] + [16] * (len(objectives) + 1),
    )
    team_sheet = _Sheet(
        book,
        "Teams",
        pgettext("sheet name", "Teams"),
        [team_header, check_header, pgettext("column", "Submitted"), fit_header]
        + levers
        + [
            objective_header,
            pgettext("column", "Fit"),
            pgettext("column", "Evidence"),
            pgettext("column", "Blockers"),
        ],
        [22, 12, 18, 10] + [12] * len(levers) + [30, 8, 40, 40],
    )
    item_column = 4 + len(levers)  # the Teams sheet's first column of an item
    ws, quoted = team_sheet.ws, book.quoted
    write_string, write_number = book.write_string, book.write_number
    title_cells = {o["id"]: team_sheet.cells([o["title"]], start=item_column) for o in objectives}
    unknown_title = team_sheet.cells(["?"], start=item_column)
    committed = defaultdict(list)
    # The agenda's lowest cells: (score, objective position, item, objective, team), in the
    # order the snapshot lists its cells when scores are equal (by objective, then item).
    low = []
    positions = {o["id"]: n for n, o in enumerate(objectives)}
    team_items = _workbook_items(cycle, teams)
    for t in teams:
        items = next(team_items)
        fits = {i["objective"]: i["fit"] for i in items}
        heat.write(
            [t["name"], t["state"]]
            + [_round(fits.get(o["id"])) for o in objectives]
            + [_round(t["score"])]
        )
        means = _lever_means_of(items, levers)
        # The team's cells, the same on each of its items' rows: sorted out once.
        head = team_sheet.cells(
            [t["name"], t["state"], _parse(t["submitted_at"]), _round(t["score"])]
            + [means[label] for label in levers]
        )
        if not items:
            team_sheet.write_cells(head)
        for item in items:
            objective, fit = item["objective"], item["fit"]
            # The item's cells straight to the worksheet: the objective's title sorted out
            # once (title_cells), a fit, and two texts (quoted if formula-like).
            row = team_sheet.row
            for col, writer, value, fmt in head:
                writer(ws, row, col, value, fmt)
            for col, writer, value, fmt in title_cells.get(objective, unknown_title):
                writer(ws, row, col, value, fmt)
            if fit is not None:
                write_number(ws, row, item_column + 1, round(fit, 1), None)
            for col, text in (
                (item_column + 2, item["evidence"]),
                (item_column + 3, item["blockers"]),
            ):
                if text:
                    write_string(
                        ws, row, col, text, quoted if text.startswith(FORMULA_TRIGGERS) else None
                    )
            team_sheet.row = row + 1
            if not item["is_extra"]:
                committed[objective].append(t["name"])
            if fit is not None and fit < agenda.LOW_SCORE:
                position = positions.get(objective, len(positions))
                low.append((fit, position, item["pk"], objective, t["id"]))
                if len(low) > 4 * agenda.MAX_PER_KIND:  # the agenda shows the lowest few
                    low = sorted(low)[: agenda.MAX_PER_KIND]
    if teams and objectives:
        heat.ws.conditional_format(
            1,
            2,
            len(teams),
            len(objectives) + 2,
            {
                "type": "3_color_scale",
                "min_type": "num",
                "min_value": 0,
                "mid_type": "num",
                "mid_value": 50,
                "max_type": "num",
                "max_value": 100,
                "min_color": "#F8696B",
                "mid_color": "#FFEB84",
                "max_color": "#63BE7B",
            },
        )
    step()
    step()

    obj_sheet = _Sheet(
        book,
        "Objectives",
        pgettext("sheet name", "Objectives"),
        [
            objective_header,
            pgettext("column", "Weight"),
            pgettext("column", "Score"),
            pgettext("column", "Teams"),
            pgettext("column", "Committed teams"),
            pgettext("column", "External promise"),
        ],
        [36, 8, 8, 8, 40, 50],
    )
    for o in objectives:
        obj_sheet.write(
            [
                o["title"],
                o["weight"],
                _round(o["score"]),
                o["teams"],
                ", ".join(sorted(committed.get(o["id"], []))),
                o.get("external_promise", ""),
            ]
        )
    del committed
    step()

    com_sheet = _Sheet(
        book,
        "Commitments",
        pgettext("sheet name", "Commitments"),
        [
            team_header,
            objective_header,
            pgettext("column", "Lever"),
            pgettext("column", "Statement"),
            pgettext("column", "Target"),
            pgettext("column", "Due"),
            pgettext("column", "Status"),
            pgettext("column", "Amount"),
            pgettext("column", "Currency"),
        ],
        [22, 30, 20, 50, 30, 12, 12, 14, 9],
    )
    # The cells that repeat (a team, an objective, a lever, a status) sorted out once each.
    name_cells = {team_id: com_sheet.cells([name]) for team_id, name in names.items()}
    objective_cells = {o["id"]: com_sheet.cells([o["title"]], start=1) for o in objectives}
    repeated = functools.cache(lambda col, value: com_sheet.cells([value], start=col))
    due_cells = functools.cache(lambda text: com_sheet.cells([_parse_date(text)], start=5))
    ws = com_sheet.ws
    for (
        team,
        objective,
        lever,
        statement,
        target,
        due_on,
        status,
        amount,
        currency,
    ) in _commitment_values(cycle):
        if team not in names:
            continue
        row = com_sheet.row
        for cells in (
            name_cells[team],
            objective_cells[objective] if objective in objective_cells else repeated(1, "?"),
            repeated(2, lever_labels.get(lever, lever)),
            due_cells(due_on),
            repeated(6, status_labels.get(status, status)),
            repeated(8, currency),
        ):
            for col, writer, value, fmt in cells:
                writer(ws, row, col, value, fmt)
        for col, text in ((3, statement), (4, target)):
            if text:
                write_string(
                    ws, row, col, text, quoted if text.startswith(FORMULA_TRIGGERS) else None
                )
        if amount is not None:
            write_number(ws, row, 7, float(amount), book.money_in(currency))
        com_sheet.row = row + 1
    step()

    previous_cycle = services.previous_cycle(cycle)
    actions = _actions(cycle, previous_cycle, names, titles)
    act_sheet = _Sheet(
        book,
        "Actions",
        pgettext("sheet name", "Actions"),
        [
            pgettext("column", "Kind"),
            pgettext("column", "Action"),
            objective_header,
            pgettext("column", "Owner team"),
            pgettext("column", "Due"),
            pgettext("column", "Raised in"),
            pgettext("column", "Agenda item"),
            pgettext("column", "Done"),
        ],
        [16, 40, 30, 20, 12, 14, 40, 12],
    )
    for a in actions:
        act_sheet.write(
            [
                a.get_kind_display(),
                a.title,
                a.objective_title,
                a.owner_name,
                a.due_on,
                a.cycle.label,
                a.agenda_item,
                a.completed_at.date() if a.completed_at else None,
            ]
        )
    step()

    year = _trend(cycle, {"index": current["index"], "objectives": objectives, "teams": teams})[
        "year"
    ]
    trend = _Sheet(
        book,
        "Trend",
        pgettext("sheet name", "Trend"),
        [pgettext("column", "Series"), pgettext("column", "Name")] + year["labels"],
        [12, 36] + [14] * len(year["labels"]),
    )
    trend.write(
        [pgettext("trend series", "Company"), gettext("Alignment index")]
        + [_round(v) for v in year["index"]]
    )
    objective_series = pgettext("trend series", "Objective")
    for o in year["objectives"]:
        trend.write([objective_series, o["title"]] + [_round(v) for v in o["values"]])
    team_series = pgettext("trend series", "Team")
    for t in year["teams"]:
        trend.write([team_series, t["name"]] + [_round(v) for v in t["values"]])
    del year
    step()

    previous = services.cycle_scores(previous_cycle) if previous_cycle else None
    index = current["index"]
    change = None
    if previous and index is not None and previous["index"] is not None:
        change = index - previous["index"]
    if "disagreements" in current:  # closed: as its snapshot froze them
        disagreements = current["disagreements"] or []
    else:
        disagreements = [
            {"team": u, "objective": o, "executive": s, "head": round(h, 2), "note": note}
            for u, o, s, h, note in standings.disagreement_rows(cycle).values_list(
                "unit_id", "objective_id", "score", "head", "note"
            )
        ]
    agenda_items = agenda.build(
        {
            "objectives": objectives,
            "teams": teams,
            "cells": [[o, t, s] for s, _, _, o, t in sorted(low)[: agenda.MAX_PER_KIND]],
            "disagreements": disagreements,
        },
        previous,
    )
    signals = current.get("signals") if cycle.is_closed else None
    if signals is None:
        signals = _live_signals(now=now)
    missing = sum(t["state"] != AlignmentCheck.State.SUBMITTED for t in teams)
    summary.set_column(0, 0, 28)
    summary.set_column(1, 1, 60)
    if previous_cycle:
        change_label = gettext("Change since %(review)s") % {"review": previous_cycle.label}
    else:
        change_label = pgettext("index change", "Change")
    rows = [
        (pgettext("summary label", "Company"), company),
        (pgettext("summary label", "Review"), cycle.label),
        (pgettext("summary label", "State"), cycle.get_state_display()),
        # ISO: the same in every language, and never mistaken for another day.
        (
            pgettext("summary label", "Generated"),
            timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        ),
        (gettext("Alignment index (0-100)"), None if index is None else round(index, 1)),
        (change_label, None if change is None else round(change, 1)),
        (pgettext("summary label", "Teams"), len(teams)),
        (gettext("Checks not submitted"), missing),
    ]
    summary.write_string(0, 0, review_title(company, cycle), book.title)
    for i, (label, value) in enumerate(rows, start=2):
        book.write(summary, i, 0, label, book.header)
        book.write(summary, i, 1, value)
    row = len(rows) + 3
    book.write(summary, row, 0, gettext("Agenda"), book.header)
    for item in agenda_items:
        row += 1
        book.write(summary, row, 0, item.kind_label)
        book.write(summary, row, 1, item.text)
    row += 2
    book.write(summary, row, 0, gettext("Sustained alignment"), book.header)
    for signal in signals:
        row += 1
        book.write(summary, row, 0, board.signal_label(signal))
        book.write(summary, row, 1, board.signal_reason(signal))
    for sheet in (heat, team_sheet, obj_sheet, com_sheet, act_sheet, trend):
        sheet.finish()
    _measures_sheet(book, cycle, objectives, now=now)
    step()
    book.wb.close()
    step()


def _workbook_items(cycle: ReviewCycle, teams: list[dict]) -> Iterator[list[dict]]:
    """Each team's check items (as _item_rows gives them) with their fit, team by team in
    the order of `teams` (a closed cycle's as its snapshot lists them, whatever they were
    renamed since), read a chunk at a time: one list per team, empty for a team without."""
    fit = Subquery(
        standings.scores(cycle)
        .filter(objective_id=OuterRef("objective_id"), unit_id=OuterRef("alignment_check__unit_id"))
        .values("score")[:1],
        output_field=FloatField(),
    )
    # The teams' order, inside the database: where each team's id is in the list of ids,
    # one short parameter (a CASE of every team would be as big as the company, and slow).
    ids = "," + ",".join(str(t["id"]) for t in teams) + ","
    order = StrIndex(
        Value(ids), Concat(Value(","), Cast("alignment_check__unit_id", CharField()), Value(","))
    )
    fields = [f"score_{lever}" for lever in LEVERS]
    rows = (
        CheckItem.objects.filter(alignment_check__cycle=cycle)
        .annotate(fit=fit, team_order=order)
        .order_by("team_order", "objective__order", "objective_id")
        .values_list(
            "alignment_check__unit_id",
            "alignment_check__state",
            "objective_id",
            "is_extra",
            "evidence",
            "blockers",
            "fit",
            "pk",
            *fields,
        )
        .iterator(chunk_size=CSV_CHUNK_ROWS)
    )
    submitted = AlignmentCheck.State.SUBMITTED
    known = {t["id"] for t in teams}
    pending = None
    for t in teams:
        items = []
        if pending is not None and pending["team"] == t["id"]:
            items.append(pending)
            pending = None
        if pending is None:
            for row in rows:
                team_id, state, objective_id, is_extra, evidence, blockers, fit_score, pk = row[:8]
                item = {
                    "team": team_id,
                    "objective": objective_id,
                    "submitted": state == submitted,
                    "is_extra": is_extra,
                    "scores": dict(zip(LEVERS, row[8:], strict=True)),
                    "evidence": evidence,
                    "blockers": blockers,
                    "fit": fit_score,
                    "pk": pk,
                }
                if team_id not in known:  # not in the list: comes first, shown nowhere
                    continue
                if team_id != t["id"]:
                    pending = item
                    break
                items.append(item)
        yield items


def _unique(headers: list[str]) -> list[str]:
    """Excel table columns must differ, ignoring case: number the repeats."""
    taken: set[str] = set()
    result = []
    for header in headers:
        base = header or pgettext("column", "Column")
        name, n = base, 1
        while name.strip().casefold() in taken:
            n += 1
            name = f"{base} ({n})"
        taken.add(name.strip().casefold())
        result.append(name)
    return result


def _progress(callback, steps: int):
    done = [0]

    def step() -> None:
        done[0] += 1
        if callback:
            callback(round(100 * done[0] / steps))

    return step


def _round(value):
    return None if value is None else round(value, 1)


def _parse(text):
    return datetime.fromisoformat(text) if text else None


def _parse_date(text):
    from datetime import date

    return date.fromisoformat(text) if text else None


def xlsx_bytes(cycle: ReviewCycle) -> bytes:
    buffer = io.BytesIO()
    xlsx_write(cycle, buffer)
    return buffer.getvalue()


# --- PDF -------------------------------------------------------------------------------------


def _safe_fetcher():
    """WeasyPrint may read our own static files and data: URIs, nothing else: no URL typed by
    a user (an <img src> in evidence text, say) reaches the network or the disk."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(STATIC_SCHEME):
                path = finders.find(url[len(STATIC_SCHEME) :].lstrip("/"))
                if path:
                    mime, _ = mimetypes.guess_type(path)
                    return URLFetcherResponse(
                        url, Path(path).read_bytes(), {"Content-Type": mime or "text/plain"}
                    )
            raise ValueError(f"Refused to fetch {url!r} while rendering a report")

    return SafeURLFetcher(allowed_protocols=["data", "static"], timeout=1)


STATIC_SCHEME = "static:"


def _page_urls(cycle: ReviewCycle) -> dict:
    from django.urls import reverse

    return {
        "print_url": reverse("reports:report-print", args=[cycle.pk]),
        "part_url": reverse("reports:report-print", args=[cycle.pk]) + "teams/",
        "csv_url": reverse("reports:report-csv", args=[cycle.pk]),
    }


def report_html(cycle: ReviewCycle, *, for_pdf: bool = False, data: dict | None = None) -> str:
    """The board's summary pages: the print view's page, and the PDF's first document."""
    data = data if data is not None else report_data(cycle, pages=True)
    return render_to_string(
        "reports/report.html",
        data | _page_urls(cycle) | {"for_pdf": for_pdf, "print_view": True},
    )


def print_html(cycle: ReviewCycle, number: int, *, now: datetime | None = None) -> str | None:
    """The print view: the board's summary and part `number` (from 1) of the team appendix,
    with links to the other parts and to the full data; None if there is no such part.

    A closed review's page is frozen but for its actions (done later), the report files built
    since and what strategy.versions counts (the company's name, the measures' values...): it
    is kept in the cache under those, the language and the part, for PRINT_SECONDS, and only
    the time it was generated is written anew."""
    now = now or timezone.now()
    if not cycle.is_closed:
        data = print_data(cycle, number, now=now)
        if data is None:
            return None
        return _print_page(cycle, data)
    read = _print_reads(cycle)
    if not all(c.is_closed for c in read.cycles):
        # A quarter before this one still running: the change since it is live.
        data = print_data(cycle, number, now=now, read=read)
        return None if data is None else _print_page(cycle, data)
    key = _print_key(cycle, number, read)
    html = django_cache.get(key)
    if html is None:
        data = print_data(cycle, number, now=now, read=read)
        if data is None:
            return None
        html = _print_page(cycle, data | {"cached_page": True})
        django_cache.set(key, html, PRINT_SECONDS)
    generated = render_to_string("reports/_generated.html", {"generated_at": now})
    return html.replace(GENERATED_MARK, generated, 1)


# Where the print view's cached page says when it was generated (a comment, which no escaped
# text can be; reports/report.html writes it), replaced with the time of each request.
GENERATED_MARK = "<!--generated-->"


def _print_page(cycle: ReviewCycle, data: dict) -> str:
    return render_to_string(
        "reports/report.html",
        data | _page_urls(cycle) | {"for_pdf": False, "print_view": True},
    )


@dataclass(frozen=True)
class PrintReads:
    """What a closed review's print view changes with (its cache key), read first and given to
    print_data, which then does not read it again."""

    version: int  # strategy.versions.current()
    cycles: list  # the trend's cycles, ending with this one
    actions: tuple  # selectors.cycle_actions(): (carried over, done)
    report_files: dict  # the report files the page links to, by format


def _print_reads(cycle: ReviewCycle) -> PrintReads:
    """The version of the strategy, the trend's cycles, the actions the page lists and the
    report files it links to."""
    cycles = _trend_cycles(cycle)
    previous = cycles[-2] if cycle.kind == ReviewCycle.Kind.QUARTERLY and len(cycles) > 1 else None
    return PrintReads(
        version=versions.current(),
        cycles=cycles,
        actions=selectors.cycle_actions(cycle, previous),
        report_files=_done_report_files(cycle),
    )


def _print_key(cycle: ReviewCycle, number: int, read: PrintReads) -> str:
    """The cache key of a closed review's print view (see print_html)."""
    carried, done = read.actions
    facts = [
        cycle.pk,
        cycle.kind,
        cycle.fiscal_year,
        cycle.quarter,
        cycle.closed_at.timestamp() if cycle.closed_at else None,
        number,
        # The reader's language, and the time zone its dates are written in.
        translation.get_language(),
        timezone.get_current_timezone_name(),
        read.version,
        [(c.pk, c.state) for c in read.cycles],
        [
            (
                a.pk,
                a.kind,
                a.title,
                a.objective_id,
                a.owner_id,
                a.cycle_id,
                a.due_on,
                a.completed_at,
            )
            for a in carried + done
        ],
        sorted((fmt, report.pk) for fmt, report in read.report_files.items()),
        # A deployment's stylesheet, whose name changes with its content.
        static("css/report.css"),
    ]
    digest = hashlib.sha256(repr(facts).encode()).hexdigest()
    return f"print-view:{cycle.pk}:{digest}"


def report_part_html(
    cycle: ReviewCycle, number: int, *, for_pdf: bool = False, data: dict | None = None
) -> str | None:
    """Part `number` (from 1) of the team appendix, or None if there is no such part."""
    data = data if data is not None else report_data(cycle, pages=True)
    parts = data["parts"]
    if not 1 <= number <= len(parts):
        return None
    return render_to_string(
        "reports/report_part.html",
        data
        | _page_urls(cycle)
        | {
            "part": parts[number - 1],
            "previous_part": number - 1 if number > 1 else None,
            "next_part": number + 1 if number < len(parts) else None,
            "for_pdf": for_pdf,
            "print_view": True,
        },
    )


def _render(html: str, *, first_page: int = 1):
    """One WeasyPrint document, its pages numbered from `first_page`."""
    from weasyprint import CSS, HTML

    stylesheets = [CSS(string=f"@page :first {{ counter-set: page {first_page} }}")]
    return HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=_safe_fetcher()).render(
        stylesheets=stylesheets if first_page > 1 else None
    )


def pdf_write(cycle: ReviewCycle, target, *, progress=None) -> None:
    """The board pack: the summary pages, then the team appendix part by part, each part
    its own WeasyPrint document written and let go before the next one is laid out (the
    memory follows a part, not the company), joined into one file with pypdf. The pages are
    numbered through; the contents give the page each part starts on."""
    from pypdf import PdfWriter

    data = report_data(cycle, pages=True)
    parts = data["parts"]
    step = _progress(progress, len(parts) + 2)
    # The summary first, its appendix page numbers left as placeholders of the same width,
    # to learn where the appendix starts.
    next_page = len(_render(report_html(cycle, for_pdf=True, data=data)).pages) + 1
    step()
    writer = PdfWriter()
    appendix = []
    for part in parts:
        document = _render(
            report_part_html(cycle, part["number"], for_pdf=True, data=data),
            first_page=next_page,
        )
        part["page"] = next_page
        next_page += len(document.pages)
        # Translators: an entry of the PDF's outline: the appendix part's number and title.
        outline = gettext("Appendix %(number)s: %(title)s") % {
            "number": part["number"],
            "title": part["title"],
        }
        appendix.append((outline, document.write_pdf()))
        del document
        step()
    data["total_pages"] = next_page - 1
    writer.append(io.BytesIO(_render(report_html(cycle, for_pdf=True, data=data)).write_pdf()))
    for title, content in appendix:
        writer.append(io.BytesIO(content), outline_item=title)
    writer.add_metadata({"/Title": review_title(data["company"], cycle)})
    writer.write(target)
    step()


def review_title(company: str, cycle: ReviewCycle) -> str:
    """A report's title: "Acme: Q1 FY2026 alignment review", without the company if unnamed."""
    if company:
        # Translators: a report's title: the company's name, and the review (Q1 FY2026).
        return gettext("%(company)s: %(review)s alignment review") % {
            "company": company,
            "review": cycle.label,
        }
    # Translators: a report's title: the review (Q1 FY2026).
    return gettext("%(review)s alignment review") % {"review": cycle.label}


def pdf_bytes(cycle: ReviewCycle) -> bytes:
    buffer = io.BytesIO()
    pdf_write(cycle, buffer)
    return buffer.getvalue()
