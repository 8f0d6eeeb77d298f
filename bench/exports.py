"""Report exports at 50 and 500 teams: `python -m bench.exports` (`make bench`, after the pages).

Builds each size (12 objectives, 6 levers, 2 quarters) in a throwaway SQLite database, as
`python -m bench` does, then exports the open cycle's CSV (csv_stream, consumed) and XLSX
(xlsx_write to a temporary file). Each export runs in a fresh Python process, so that the peak
memory it reports (VmHWM) is its own and not the data build's. Checks two budgets: peak memory
at the larger size within 1.5× that at the smaller one, and the same number of SQL queries at
both sizes. Exits with status 1 when either is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench.__main__ import _configure, cpu_check

FORMATS = ["csv", "xlsx"]
ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


# --- In the child process: one export, measured --------------------------------------------


def _status_kib(field: str) -> int | None:
    """A memory figure of this process from /proc/self/status, in KiB (Linux only)."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match[1]) if match else None


def _peak_bytes() -> int:
    peak = _status_kib("VmHWM")
    if peak is None:  # not Linux: ru_maxrss is in KiB on Linux, bytes on macOS
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    return peak * 1024


def _xlsx_rows(path: Path) -> int:
    """Rows written over every sheet, counted in the XML without loading the workbook."""
    rows = 0
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                with archive.open(name) as part:
                    tail = b""
                    while chunk := part.read(1 << 16):
                        rows += (tail + chunk).count(b"<row ")
                        tail = chunk[-4:]  # a tag cut between two chunks is counted once
    return rows


def measure(fmt: str, cycle_pk: int) -> dict:
    """Export one cycle in one format; runs in a child process with Django set up."""
    import gc

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews import exports
    from reviews.models import ReviewCycle

    cycle = ReviewCycle.objects.get(pk=cycle_pk)
    gc.collect()
    rss_before = (_status_kib("VmRSS") or 0) * 1024
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / exports.filename(cycle, fmt)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            if fmt == "csv":
                rows = size = 0
                for chunk in exports.csv_stream(cycle):
                    rows += chunk.count("\r\n")
                    size += len(chunk.encode("utf-8"))
                rows -= 1  # the header
            else:
                exports.xlsx_write(cycle, str(path))
            seconds = time.perf_counter() - started
        peak = _peak_bytes()  # before counting rows: that reading is not the export's
        if fmt == "xlsx":
            rows, size = _xlsx_rows(path), path.stat().st_size
    return {
        "seconds": seconds,
        "rows": rows,
        "bytes": size,
        "queries": len(queries),
        "rss_before": rss_before,
        "peak": peak,
    }


# --- In the parent process: data, children, table -------------------------------------------


def _child(fmt: str, cycle_pk: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.exports", "--child", fmt, "--cycle-pk", str(cycle_pk)],
        cwd=ROOT,
        env=os.environ.copy(),  # VAR_DIR and the database, as _configure set them
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"The {fmt} export failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _measure_size(args, teams: int) -> dict[str, dict]:
    from django.db import connections

    from bench import data

    data.clear()
    started = time.perf_counter()
    dataset = data.build(teams, args.objectives, args.quarters)
    cycle = dataset.open_cycle if args.cycle == "open" else dataset.cycles[-2]
    print(
        f"Built {teams} teams × {args.objectives} objectives × {args.quarters} quarters in "
        f"{time.perf_counter() - started:.1f} s; exporting {cycle.label} ({cycle.state})."
    )
    connections.close_all()  # the children open their own
    results = {}
    for fmt in FORMATS:
        runs = [_child(fmt, cycle.pk) for _ in range(args.repeat)]
        results[fmt] = {
            key: statistics.median(run[key] for run in runs) for key in runs[0] if key != "peak"
        } | {"peak": max(run["peak"] for run in runs)}
    return results


def _table(sizes: list[int], results: dict[int, dict[str, dict]]) -> None:
    header = (
        f"{'format':<7}{'teams':>6}{'rows':>9}{'seconds':>9}{'rows/s':>10}{'queries':>9}"
        f"{'MiB before':>12}{'peak MiB':>10}{'growth MiB':>12}"
    )
    print(header)
    print("-" * len(header))
    for fmt in FORMATS:
        for teams in sizes:
            r = results[teams][fmt]
            print(
                f"{fmt:<7}{teams:>6}{r['rows']:>9,.0f}{r['seconds']:>9.2f}"
                f"{r['rows'] / r['seconds']:>10,.0f}{r['queries']:>9.0f}"
                f"{r['rss_before'] / MIB:>12.1f}{r['peak'] / MIB:>10.1f}"
                f"{(r['peak'] - r['rss_before']) / MIB:>12.1f}"
            )


def _verdicts(args, sizes: list[int], results) -> bool:
    small, large = sizes[0], sizes[-1]
    ok = True
    print()
    for fmt in FORMATS:
        a, b = results[small][fmt], results[large][fmt]
        ratio = b["peak"] / a["peak"]
        passed = ratio <= args.max_ratio
        ok &= passed
        print(
            f"{fmt}: peak memory at {large} teams / at {small} teams = {ratio:.2f} "
            f"{'PASS' if passed else 'FAIL'} (budget {args.max_ratio}); "
            f"growth above the process's start: {(a['peak'] - a['rss_before']) / MIB:.1f} → "
            f"{(b['peak'] - b['rss_before']) / MIB:.1f} MiB"
        )
        same = a["queries"] == b["queries"]
        ok &= same
        print(
            f"{fmt}: queries {a['queries']:.0f} at {small} teams, {b['queries']:.0f} at {large} "
            f"{'PASS' if same else 'FAIL (grows with data)'}"
        )
    return ok


def _run(args, var_dir: str) -> bool:
    _configure(var_dir)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    db = settings.DATABASES["default"]
    print(f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']} (throwaway)")
    call_command("migrate", verbosity=0, interactive=False)
    sizes = sorted(args.sizes)
    results = {teams: _measure_size(args, teams) for teams in sizes}
    from bench import data

    data.clear()
    runs = f"median of {args.repeat} runs, " if args.repeat > 1 else ""
    print(f"\nEach export in a fresh process ({runs}peak = VmHWM of that process):\n")
    _table(sizes, results)
    return _verdicts(args, sizes, results)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.exports", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[50, 500],
        help="team counts, comma-separated; the smallest and largest are compared",
    )
    parser.add_argument("--objectives", type=int, default=12)
    parser.add_argument("--quarters", type=int, default=2)
    parser.add_argument("--cycle", choices=["open", "closed"], default="open")
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per export")
    parser.add_argument("--max-ratio", type=float, default=1.5)
    parser.add_argument("--child", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--cycle-pk", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(measure(args.child, args.cycle_pk)))
        return

    started = time.perf_counter()
    print(f"CPU check: sum(i*i for i in range(10_000_000)) took {cpu_check():.2f} s")
    print("           (0.56 s on the 2-core reference machine of notes/performance.md)")
    var_dir = tempfile.mkdtemp(prefix="alignment-bench-exports-")
    try:
        ok = _run(args, var_dir)
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        shutil.rmtree(var_dir, ignore_errors=True)
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
