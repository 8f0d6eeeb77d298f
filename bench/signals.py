"""Every sustained-alignment signal at 50 and 500 teams: `python -m bench.signals` (`make bench`).

Builds each size (12 objectives, 8 quarters: 7 closed, one open) in a throwaway database
(bench.common: PostgreSQL when DATABASE_URL points at a server, SQLite otherwise), then runs
`sustain.board.board()`, which computes every signal of docs/signals.md. Prints the median
time of 3 runs and the SQL queries of one run at each size, and checks that the query count
does not grow with the number of teams: exits with status 1 when it does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench.common import print_header, throwaway_database


def _measure(runs: int) -> tuple[float, int, int]:
    """(median seconds, queries, signals) of board() over the data in the database."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from sustain import board

    now = timezone.now()
    board.board(now=now)  # the first run creates the settings row and fills per-process caches
    with CaptureQueriesContext(connection) as queries:
        result = board.board(now=now)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        board.board(now=now)
        times.append(time.perf_counter() - started)
    return statistics.median(times), len(queries), len(result["signals"])


def _run(args, described: str) -> bool:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    from bench import data

    print(f"Database: {described}")
    call_command("migrate", verbosity=0, interactive=False)

    rows = []
    # DEBUG off as in production: no query log in the timed runs.
    with override_settings(DEBUG=False):
        for teams in (args.small, args.teams):
            started = time.perf_counter()
            data.build(teams, args.objectives, args.quarters)
            built = time.perf_counter() - started
            rows.append((teams, built, *_measure(args.runs)))
            data.clear()

    print(
        f"\nsustain.board.board(): every signal over {args.objectives} objectives × "
        f"{args.quarters} quarters, median of {args.runs} runs after one warm-up:\n"
    )
    header = f"{'teams':>6}{'built in s':>12}{'median ms':>11}{'queries':>9}{'signals':>9}"
    print(header)
    print("-" * len(header))
    for teams, built, median, queries, signals in rows:
        print(f"{teams:>6}{built:>12.1f}{median * 1000:>11.1f}{queries:>9}{signals:>9}")
    (small, _, _, small_queries, _), (large, _, _, large_queries, _) = rows
    same = small_queries == large_queries
    print(
        f"\n{'PASS' if same else 'FAIL'}: the query count "
        f"{'does not grow' if same else 'grows'} with teams "
        f"({small_queries} queries at {small} teams, {large_queries} at {large})."
    )
    return same


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.signals", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--small", type=int, default=50, help="teams of the query-count check")
    parser.add_argument("--objectives", type=int, default=12)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per size")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    print_header("Signals: every signal of the board at 50 and 500 teams")
    with throwaway_database(suffix="_signals") as described:
        passed = _run(args, described)
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    if not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
