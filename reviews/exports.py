"""Quarterly review reports: the data, and its CSV, XLSX and PDF renderings.

A closed cycle's report shows what its snapshot froze: team and objective names, scores and
commitment statuses as they stood at closing. The lever scores, evidence and blockers are read
from the checks themselves, which a closed cycle no longer lets anyone change.
"""

from __future__ import annotations

import csv
import io
import mimetypes
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from reviews import agenda, board, services, trends
from reviews.models import (
    LEVERS,
    NOT_APPLICABLE,
    AlignmentCheck,
    CheckItem,
    FrozenScore,
    ReviewCycle,
)
from strategy.models import Commitment, CompanySettings, Lever
from strategy.spreadsheet import is_formula_like, neutralise

LEVER_LABELS = dict(Lever.choices)
STATUS_LABELS = dict(Commitment.Status.choices)
STATE_LABELS = dict(AlignmentCheck.State.choices)
CSV_COLUMNS = [
    "company",
    "fiscal_year",
    "quarter",
    "cycle_state",
    "team_code",
    "team",
    "check_state",
    "objective_id",
    "objective",
    "objective_weight",
    "lever",
    "score",
    "not_applicable",
    "team_objective_fit",
    "evidence",
    "blockers",
]
CSV_CHUNK_ROWS = 1000


def filename(cycle: ReviewCycle, extension: str) -> str:
    company = slugify(CompanySettings.read().name) or "company"
    period = (
        f"fy{cycle.fiscal_year}-q{cycle.quarter}" if cycle.quarter else f"fy{cycle.fiscal_year}"
    )
    return f"{company}-{period}-alignment-review.{extension}"


# --- The data --------------------------------------------------------------------------------


def report_data(cycle: ReviewCycle, *, now: datetime | None = None) -> dict:
    """Everything a report shows, as plain values, in a fixed number of queries."""
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
    lever_values = defaultdict(lambda: defaultdict(list))
    for item in results["items"]:
        items_by_team[item["team"]].append(item)
        if not item.get("is_extra"):
            committed_teams[item["objective"]].append(team_names.get(item["team"], "?"))
        if item["submitted"]:
            for lever, value in item["scores"].items():
                if value and value != NOT_APPLICABLE:
                    lever_values[item["team"]][lever].append(value)
    commitments = results.get("commitments")
    if commitments is None:  # snapshots from before commitments were frozen
        commitments = services.build_snapshot(cycle)["commitments"]
    commitments_by_team = defaultdict(list)
    for c in commitments:
        commitments_by_team[c["team"]].append(
            c | {"objective_title": objective_titles.get(c["objective"], "?")}
        )

    trend = _trend(cycle, results)
    for o in objectives:
        o["committed_teams"] = sorted(committed_teams.get(o["id"], []))
        o["trend"] = trend["objectives"].get(o["id"], [])
    team_rows = []
    for t in teams:
        team_rows.append(
            t
            | {
                "state_label": STATE_LABELS.get(t["state"], t["state"]),
                "levers": {
                    LEVER_LABELS[lever]: (
                        round(sum(v) / len(v), 2) if (v := lever_values[t["id"]][lever]) else None
                    )
                    for lever in LEVERS
                },
                "items": [
                    i
                    | {
                        "objective_title": objective_titles.get(i["objective"], "?"),
                        "fit": cells.get((i["objective"], t["id"])),
                    }
                    for i in items_by_team[t["id"]]
                ],
                "commitments": commitments_by_team[t["id"]],
            }
        )
    actions = list(services.open_actions_for(cycle)) + list(
        cycle.actions.filter(completed_at__isnull=False).select_related("owner", "objective")
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
    return {
        "company": CompanySettings.read().name,
        "cycle": cycle,
        "generated_at": now,
        "index": results["index"],
        "previous_label": previous_cycle.label if previous_cycle else None,
        "change": change,
        "objectives": objectives,
        "teams": team_rows,
        "heatmap": [
            {"team": t, "cells": [cells.get((o["id"], t["id"])) for o in objectives]} for t in teams
        ],
        "agenda": agenda.build(results, previous),
        "actions": actions,
        "missing": [t for t in teams if t["state"] != AlignmentCheck.State.SUBMITTED],
        "trend_chart": trend["chart"],
        "year": trend["year"],
        "levers": [label for _, label in Lever.choices],
        "signals": results["signals"]
        if cycle.is_closed and "signals" in results
        else board.board(now=now)["signals"],
    }


def _trend(cycle: ReviewCycle, results: dict) -> dict:
    """The index by quarter up to this cycle, each objective's scores, and this fiscal year's
    quarters side by side."""
    here = (cycle.fiscal_year, cycle.quarter or 0)
    cycles = [
        c
        for c in ReviewCycle.objects.quarterly()
        .exclude(state=ReviewCycle.State.PLANNED)
        .exclude(pk=cycle.pk)
        .defer("snapshot")
        if (c.fiscal_year, c.quarter) < here
    ]
    cycles = sorted(cycles, key=lambda c: (c.fiscal_year, c.quarter)) + [cycle]
    frozen = defaultdict(dict)  # cycle → key → score
    rows = FrozenScore.objects.filter(cycle__in=cycles).values_list(
        "cycle_id", "objective_id", "unit_id", "score"
    )
    for cycle_id, objective_id, unit_id, score in rows:
        frozen[cycle_id][(objective_id, unit_id)] = score
    live = {(None, None): results["index"]}
    live |= {(o["id"], None): o["score"] for o in results["objectives"]}
    live |= {(None, t["id"]): t["score"] for t in results["teams"]}

    def value(c: ReviewCycle, key):
        return live.get(key) if c.pk == cycle.pk and not c.is_closed else frozen[c.pk].get(key)

    chart = trends.build_chart(
        "Alignment index", [trends.Point(c.label, value(c, (None, None))) for c in cycles]
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


def csv_rows(cycle: ReviewCycle) -> Iterator[list]:
    """One tidy row per (team, objective, lever), read from the database in chunks."""
    results = services.results(cycle)
    teams = {t["id"]: t for t in results["teams"]}
    objectives = {o["id"]: o for o in results["objectives"]}
    cells = {(o, t): s for o, t, s in results["cells"]}
    fields = [f"score_{lever}" for lever in LEVERS]
    items = (
        CheckItem.objects.filter(alignment_check__cycle=cycle)
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
            *fields,
        )
        .iterator(chunk_size=2000)
    )
    company = CompanySettings.read().name
    for row in items:
        team_id, code, name, state, objective_id, title, weight, evidence, blockers = row[:9]
        team = teams.get(team_id, {})
        objective = objectives.get(objective_id, {})
        fit = cells.get((objective_id, team_id))
        for lever, score in zip(LEVERS, row[9:], strict=True):
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
                "yes" if score == NOT_APPLICABLE else "no",
                "" if fit is None else round(fit, 2),
                evidence,
                blockers,
            ]


def csv_stream(cycle: ReviewCycle) -> Iterator[str]:
    """UTF-8 CSV with a header row, a chunk of rows at a time, formula-like text neutralised."""
    # Every field quoted, rows ending in "\n" rather than "\r\n": a spreadsheet that splits the
    # file at ";" loses track of the quotes, and would start a cell at the "\r" after a closing
    # quote. (Quoting every field keeps a "\r" typed in the text inside its field.)
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL, lineterminator="\n")
    buffer = ["\ufeff" + writer.writerow(CSV_COLUMNS)]  # BOM: spreadsheets then read UTF-8
    for row in csv_rows(cycle):
        buffer.append(writer.writerow([neutralise(v) for v in row]))
        if len(buffer) >= CSV_CHUNK_ROWS:
            yield "".join(buffer)
            buffer = []
    yield "".join(buffer)


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """Rows (the first one the header) as UTF-8 CSV lines, written like csv_stream."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL, lineterminator="\n")
    for i, row in enumerate(rows):
        yield ("\ufeff" if i == 0 else "") + writer.writerow([neutralise(v) for v in row])


# --- XLSX ------------------------------------------------------------------------------------


class _Sheet:
    """A worksheet written row by row in constant-memory mode, as an Excel table."""

    def __init__(self, book: _Book, name: str, headers: list[str], rows: int, widths=None):
        headers = _unique(headers)
        self.book, self.headers = book, headers
        self.ws = book.wb.add_worksheet(name)
        last_row = max(rows, 1)
        # add_table refuses constant-memory mode because it writes the header cells itself;
        # with no row written yet it is safe to let it, then write the headers again as the
        # inline strings constant-memory mode flushes.
        self.ws.constant_memory = 0
        error = self.ws.add_table(
            0,
            0,
            last_row,
            len(headers) - 1,
            {
                "name": name.replace(" ", ""),
                "columns": [{"header": h} for h in headers],
                "style": "Table Style Light 9",
            },
        )
        if error:
            raise ValueError(f"The {name} sheet's table was refused (XlsxWriter error {error}).")
        self.ws.constant_memory = 1
        for col, header in enumerate(headers):
            fmt = book.header_quoted if is_formula_like(header) else book.header
            self.ws.write_string(0, col, header, fmt)
        self.ws.freeze_panes(1, 0)
        for col, width in enumerate(widths or [18] * len(headers)):
            self.ws.set_column(col, col, width)
        self.row = 1

    def write(self, values: list, formats: dict | None = None) -> None:
        for col, value in enumerate(values):
            fmt = (formats or {}).get(col)
            self.book.write(self.ws, self.row, col, value, fmt)
        self.row += 1


class _Book:
    def __init__(self, target):
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
        self.header = self.wb.add_format({"bold": True})
        self.header_quoted = self.wb.add_format({"bold": True, "quote_prefix": True})
        self.quoted = self.wb.add_format({"quote_prefix": True})
        self.score = self.wb.add_format({"num_format": "0"})
        self.decimal = self.wb.add_format({"num_format": "0.0"})
        self.date = self.wb.add_format({"num_format": "yyyy-mm-dd"})
        self.money = self.wb.add_format({"num_format": "#,##0.00"})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})

    def write(self, ws, row, col, value, fmt=None) -> None:
        if value is None or value == "":
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, str):
            # Formula-like text keeps its characters and gets Excel's quote prefix, so that
            # editing the cell does not turn it into a formula either.
            ws.write_string(row, col, value, self.quoted if is_formula_like(value) else fmt)
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
    """Write the report workbook to a path or file object, reporting progress 0-100."""
    data = report_data(cycle)
    book = _Book(target)
    objectives, teams = data["objectives"], data["teams"]
    step = _progress(progress, 7)

    summary = book.wb.add_worksheet("Summary")
    summary.set_column(0, 0, 28)
    summary.set_column(1, 1, 60)
    rows = [
        ("Company", data["company"]),
        ("Review", cycle.label),
        ("State", cycle.get_state_display()),
        ("Generated", timezone.localtime(data["generated_at"]).strftime("%Y-%m-%d %H:%M")),
        ("Alignment index (0-100)", None if data["index"] is None else round(data["index"], 1)),
        (
            f"Change since {data['previous_label']}" if data["previous_label"] else "Change",
            None if data["change"] is None else round(data["change"], 1),
        ),
        ("Teams", len(teams)),
        ("Checks not submitted", len(data["missing"])),
    ]
    heading = f"{cycle.label} alignment review"
    summary.write_string(
        0, 0, f"{data['company']}: {heading}" if data["company"] else heading, book.title
    )
    for i, (label, value) in enumerate(rows, start=2):
        book.write(summary, i, 0, label, book.header)
        book.write(summary, i, 1, value)
    row = len(rows) + 3
    book.write(summary, row, 0, "Agenda", book.header)
    for item in data["agenda"]:
        row += 1
        book.write(summary, row, 0, item.kind_label)
        book.write(summary, row, 1, item.text)
    row += 2
    book.write(summary, row, 0, "Sustained alignment", book.header)
    for signal in data["signals"]:
        row += 1
        book.write(summary, row, 0, signal["label"])
        book.write(summary, row, 1, signal["reason"])
    step()

    heat = _Sheet(
        book,
        "Heatmap",
        ["Team", "Check"] + [o["title"] for o in objectives] + ["Team fit"],
        len(teams),
        [24, 12] + [16] * (len(objectives) + 1),
    )
    for r in data["heatmap"]:
        heat.write(
            [r["team"]["name"], r["team"]["state"]]
            + [_round(v) for v in r["cells"]]
            + [_round(r["team"]["score"])]
        )
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

    levers = data["levers"]
    team_sheet = _Sheet(
        book,
        "Teams",
        ["Team", "Check", "Submitted", "Team fit"]
        + levers
        + ["Objective", "Fit", "Evidence", "Blockers"],
        sum(max(len(t["items"]), 1) for t in teams),
        [22, 12, 18, 10] + [12] * len(levers) + [30, 8, 40, 40],
    )
    for t in teams:
        lever_means = [t["levers"][label] for label in levers]
        for item in t["items"] or [{}]:
            team_sheet.write(
                [t["name"], t["state"], _parse(t["submitted_at"]), _round(t["score"])]
                + lever_means
                + [
                    item.get("objective_title"),
                    _round(item.get("fit")),
                    item.get("evidence"),
                    item.get("blockers"),
                ]
            )
    step()

    obj_sheet = _Sheet(
        book,
        "Objectives",
        ["Objective", "Weight", "Score", "Teams", "Committed teams", "External promise"],
        len(objectives),
        [36, 8, 8, 8, 40, 50],
    )
    for o in objectives:
        obj_sheet.write(
            [
                o["title"],
                o["weight"],
                _round(o["score"]),
                o["teams"],
                ", ".join(o["committed_teams"]),
                o.get("external_promise", ""),
            ]
        )
    step()

    commitments = [c | {"team_name": t["name"]} for t in teams for c in t["commitments"]]
    com_sheet = _Sheet(
        book,
        "Commitments",
        [
            "Team",
            "Objective",
            "Lever",
            "Statement",
            "Target",
            "Due",
            "Status",
            "Amount",
            "Currency",
        ],
        len(commitments),
        [22, 30, 20, 50, 30, 12, 12, 14, 9],
    )
    for c in commitments:
        com_sheet.write(
            [
                c["team_name"],
                c["objective_title"],
                LEVER_LABELS.get(c["lever"], c["lever"]),
                c["statement"],
                c["target"],
                _parse_date(c["due_on"]),
                STATUS_LABELS.get(c["status"], c["status"]),
                None if c["amount"] is None else float(c["amount"]),
                c["currency"],
            ],
            {7: book.money},
        )
    step()

    actions = data["actions"]
    act_sheet = _Sheet(
        book,
        "Actions",
        ["Kind", "Action", "Objective", "Owner team", "Due", "Raised in", "Agenda item", "Done"],
        len(actions),
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

    year = data["year"]
    trend_rows = 1 + len(year["objectives"]) + len(year["teams"])
    trend = _Sheet(
        book,
        "Trend",
        ["Series", "Name"] + year["labels"],
        trend_rows,
        [12, 36] + [14] * len(year["labels"]),
    )
    trend.write(["Company", "Alignment index"] + [_round(v) for v in year["index"]])
    for o in year["objectives"]:
        trend.write(["Objective", o["title"]] + [_round(v) for v in o["values"]])
    for t in year["teams"]:
        trend.write(["Team", t["name"]] + [_round(v) for v in t["values"]])
    book.wb.close()
    step()


def _unique(headers: list[str]) -> list[str]:
    """Excel table columns must differ, ignoring case: number the repeats."""
    taken: set[str] = set()
    result = []
    for header in headers:
        base = header or "Column"
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


def report_html(cycle: ReviewCycle, *, for_pdf: bool = False) -> str:
    return render_to_string(
        "reviews/report.html", report_data(cycle) | {"for_pdf": for_pdf, "print_view": True}
    )


def pdf_bytes(cycle: ReviewCycle) -> bytes:
    from weasyprint import HTML

    return HTML(
        string=report_html(cycle, for_pdf=True), base_url=STATIC_SCHEME, url_fetcher=_safe_fetcher()
    ).write_pdf()
