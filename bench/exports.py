"""The review exports at 50 and 500 teams, and the board pack PDF: `python -m bench.exports`.

Builds each size (12 objectives, 8 closed quarters and one open review, bench.data) in a
throwaway database (bench.common: PostgreSQL when DATABASE_URL points at a server, SQLite
otherwise) and exports the last closed review. Each export runs in a fresh Python process, so
that its memory is its own: growth is the process's peak resident memory during the export
(VmHWM, reset just before it) minus its resident memory at the start.

Budgets (issue #12):
- XLSX (reports.writers.xlsx_write) at 500 teams takes at most 1.3 times the CPU time of raw
  xlsxwriter writing the same values into the same cells, in the same process (the cells are
  recorded from the product's own workbook, then written again without formats or tables;
  median of 5 warm runs each, taken in turn); and, as a guard on the database's share (which
  CPU time leaves out), at most 2 times its wall time;
- the memory growth of the XLSX and CSV exports at 500 teams is at most 1.5 times that at 50,
  and their SQL queries are the same number at both sizes (a growth under 1 MiB counts as
  1 MiB: below that, the reading is noise);
- the board pack PDF at 500 teams (reports.services.report_build, as the worker runs it) is
  built within the report task's time limit with a margin: in at most half the soft limit
  (CELERY_TASK_SOFT_TIME_LIMIT, where the task is interrupted) of wall time, and a quarter of
  it of CPU time (what a quieter or slower machine would still need), with a memory growth
  under 400 MiB.
Exits with status 1 when any is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import MIB, Budgets, memory_peak, memory_start, print_header, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
MAX_XLSX_RATIO = 1.3
MAX_XLSX_WALL_RATIO = 2.0  # the product's queries included: a guard, not the budget
MAX_GROWTH_RATIO = 1.5
MAX_PDF_GROWTH_MIB = 400
PDF_WALL_SHARE = 0.5  # of the report task's soft time limit: the margin
PDF_CPU_SHARE = 0.25
TIMED_RUNS = 5
CELL_METHODS = ("string", "number", "blank", "datetime", "boolean", "formula")


# --- In the child process: one export, measured --------------------------------------------


def _record_cells(write):
    """Run `write()` and return every cell it wrote: (sheet, kind, row, col, value)."""
    from xlsxwriter.worksheet import Worksheet

    cells = []
    originals = {kind: getattr(Worksheet, f"_write_{kind}") for kind in CELL_METHODS}

    def recorder(kind, original):
        def record(self, row, col, value, *args, **kwargs):
            cells.append((self.name, kind, row, col, value))
            return original(self, row, col, value, *args, **kwargs)

        return record

    for kind, original in originals.items():
        setattr(Worksheet, f"_write_{kind}", recorder(kind, original))
    try:
        write()
    finally:
        for kind, original in originals.items():
            setattr(Worksheet, f"_write_{kind}", original)
    return cells


def _write_raw(cells, path: str) -> None:
    """The same values in the same cells with plain xlsxwriter, in constant-memory mode."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheets = {}
    for name, kind, row, col, value in cells:
        ws = sheets.get(name)
        if ws is None:
            ws = sheets[name] = book.add_worksheet(name)
        getattr(ws, f"write_{kind}")(row, col, value)
    book.close()


def _timed(function) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    function()
    return time.process_time() - cpu, time.perf_counter() - wall


def measure(kind: str, cycle_pk: int) -> dict:
    """One export of one cycle; runs in a child process."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports import services as report_services
    from reports import writers
    from reports.models import ReportFile
    from reviews.models import ReviewCycle

    cycle = ReviewCycle.objects.get(pk=cycle_pk)
    tmp = tempfile.mkdtemp(dir=settings.VAR_DIR)
    path = str(Path(tmp) / writers.filename(cycle, "xlsx"))

    if kind == "csv":

        def run():
            for _ in writers.csv_stream(cycle):
                pass
    elif kind == "xlsx":

        def run():
            writers.xlsx_write(cycle, path)
    else:
        report = ReportFile.objects.create(cycle=cycle, format=ReportFile.Format.PDF)

        def run():
            run.outcome = report_services.report_build(report_id=report.pk)

    start = memory_start()
    cpu, wall = _timed(run)
    result = {"start": start, "peak": memory_peak(), "cpu": [cpu], "wall": [wall]}
    if kind == "pdf":
        from pypdf import PdfReader

        report.refresh_from_db()
        pages = len(PdfReader(report.file.path).pages) if report.file else 0
        return result | {
            "outcome": run.outcome,
            "error": report.error,
            "bytes": report.file.size if report.file else 0,
            "pages": pages,
        }
    with CaptureQueriesContext(connection) as queries:
        run()
    result["queries"] = len(queries)
    if kind == "xlsx":
        result["bytes"] = Path(path).stat().st_size
        cells = _record_cells(run)
        raw_path = str(Path(tmp) / "raw.xlsx")
        _write_raw(cells, raw_path)  # warm, as the product is by now
        # The timed runs: product and raw in turn, so that a change in the machine's load
        # falls on both; the first (cold) run above, which measured the memory, is not one.
        result |= {"cpu": [], "wall": [], "raw_cpu": [], "raw_wall": [], "cells": len(cells)}
        for _ in range(TIMED_RUNS):
            for prefix, function in (("", run), ("raw_", lambda: _write_raw(cells, raw_path))):
                cpu, wall = _timed(function)
                result[prefix + "cpu"].append(cpu)
                result[prefix + "wall"].append(wall)
    return result


# --- In the parent process: data, children, verdicts ----------------------------------------


def _child(kind: str, cycle_pk: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.exports", "--child", kind, "--cycle-pk", str(cycle_pk)],
        cwd=ROOT,
        env=os.environ.copy(),  # the throwaway database and VAR_DIR, as bench.common set them
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"The {kind} export failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _growth(r: dict) -> float:
    return (r["peak"] - r["start"]) / MIB


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.exports", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: sorted(int(n) for n in text.split(",")),
        default=[50, 500],
        help="team counts, comma-separated; the smallest and largest are compared",
    )
    parser.add_argument("--objectives", type=int, default=12)
    parser.add_argument("--quarters", type=int, default=9, help="closed quarters + the open one")
    parser.add_argument("--no-pdf", action="store_true", help="leave the board pack out")
    parser.add_argument("--child", choices=["csv", "xlsx", "pdf"], help=argparse.SUPPRESS)
    parser.add_argument("--cycle-pk", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.cycle_pk)))
        return

    started = time.perf_counter()
    print_header("Exports: XLSX beside raw xlsxwriter, memory growth, board pack PDF")
    with throwaway_database(suffix="_exports") as described:
        budgets = _run(args, described)
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    budgets.exit()


def _run(args, described: str) -> Budgets:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from bench import data

    print(f"Database: {described}")
    call_command("migrate", verbosity=0, interactive=False)
    small, large = args.sizes[0], args.sizes[-1]
    results: dict[int, dict] = {}
    for teams in args.sizes:
        data.clear()
        built = time.perf_counter()
        dataset = data.build(teams, args.objectives, args.quarters)
        cycle = dataset.cycles[-2]  # the last closed review: what the board pack is made of
        print(
            f"Built {teams} teams × {args.objectives} objectives × {args.quarters} quarters in "
            f"{time.perf_counter() - built:.1f} s; exporting {cycle.label} ({cycle.state})."
        )
        connections.close_all()  # the children open their own
        results[teams] = {kind: _child(kind, cycle.pk) for kind in ("csv", "xlsx")}
        if teams == large and not args.no_pdf:
            results[teams]["pdf"] = _child("pdf", cycle.pk)
    data.clear()

    print(
        f"\n{'export':<7}{'teams':>6}{'CPU s':>8}{'wall s':>8}{'queries':>9}"
        f"{'start MiB':>11}{'peak MiB':>10}{'growth MiB':>12}"
    )
    for teams in args.sizes:
        for kind, r in results[teams].items():
            print(
                f"{kind:<7}{teams:>6}{statistics.median(r['cpu']):>8.2f}"
                f"{statistics.median(r['wall']):>8.2f}{r.get('queries', '-'):>9}"
                f"{r['start'] / MIB:>11.1f}{r['peak'] / MIB:>10.1f}{_growth(r):>12.1f}"
            )

    budgets = Budgets("Exports")
    print()
    for teams in args.sizes:
        x = results[teams]["xlsx"]
        product, raw = statistics.median(x["cpu"]), statistics.median(x["raw_cpu"])
        print(
            f"XLSX at {teams} teams: {x['cells']:,} cells, {x['bytes'] / MIB:.1f} MiB; product "
            f"{product:.2f} s CPU ({statistics.median(x['wall']):.2f} s wall), raw xlsxwriter "
            f"{raw:.2f} s CPU ({statistics.median(x['raw_wall']):.2f} s wall), median of "
            f"{TIMED_RUNS}"
        )
        if teams == large:
            budgets.check(
                f"XLSX at {teams} teams / raw xlsxwriter (CPU)", product / raw, MAX_XLSX_RATIO
            )
            budgets.check(
                f"XLSX at {teams} teams / raw xlsxwriter (wall, with its queries)",
                statistics.median(x["wall"]) / statistics.median(x["raw_wall"]),
                MAX_XLSX_WALL_RATIO,
            )
    for kind in ("xlsx", "csv"):
        a, b = results[small][kind], results[large][kind]
        budgets.check(
            f"{kind.upper()} memory growth at {large} / at {small} teams "
            f"({_growth(b):.1f} / {_growth(a):.1f} MiB)",
            _growth(b) / max(_growth(a), 1.0),  # under 1 MiB is noise: counted as 1
            MAX_GROWTH_RATIO,
        )
        budgets.require(
            f"{kind.upper()} queries the same at {small} and {large} teams",
            a["queries"] == b["queries"],
            f"{a['queries']} and {b['queries']}",
        )
    if "pdf" in results[large]:
        p = results[large]["pdf"]
        limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
        budgets.require(
            f"board pack PDF at {large} teams built",
            p["outcome"] == "done",
            f"{p['outcome']}, {p['pages']} pages, {p['bytes'] / MIB:.1f} MiB {p['error']}".strip(),
        )
        budgets.check(
            f"board pack PDF at {large} teams, wall time (task soft limit {limit} s / 2)",
            p["wall"][0],
            limit * PDF_WALL_SHARE,
            unit=" s",
        )
        budgets.check(
            f"board pack PDF at {large} teams, CPU time (task soft limit {limit} s / 4)",
            p["cpu"][0],
            limit * PDF_CPU_SHARE,
            unit=" s",
        )
        budgets.check(
            f"board pack PDF at {large} teams, memory growth",
            _growth(p),
            MAX_PDF_GROWTH_MIB,
            unit=" MiB",
        )
    return budgets


if __name__ == "__main__":
    main()
