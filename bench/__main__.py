"""Page latency at 500 teams, as a ratio to a trivial view in the same process: `make bench`.

Runs in a throwaway SQLite database in a temporary folder (never var/db.sqlite3, never
DATABASE_URL). To run against PostgreSQL, set BENCH_DATABASE_URL to a dedicated database
whose name ends in `_bench`: its rows are deleted before the data is built.

Absolute times depend on the machine; compare the ratios, and the CPU check printed first
with the shared notes/performance.md (0.56 s on the reference 2-core machine).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from urllib.parse import urlparse


def cpu_check() -> float:
    started = time.perf_counter()
    sum(i * i for i in range(10_000_000))
    return time.perf_counter() - started


def _configure(var_dir: str) -> str:
    """Point the settings at a throwaway database before Django reads them."""
    os.environ["VAR_DIR"] = var_dir  # SQLite file, broker folders: all in the temp folder
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    if os.environ.pop("DATABASE_URL", None):
        print("DATABASE_URL is ignored: the benchmark never touches the real database.")
    bench_url = os.environ.get("BENCH_DATABASE_URL", "")
    if bench_url:
        name = urlparse(bench_url).path.lstrip("/")
        if not name.endswith("_bench"):
            sys.exit(f"BENCH_DATABASE_URL must name a database ending in _bench, not {name!r}.")
        os.environ["DATABASE_URL"] = bench_url
    return bench_url


def _pages(dataset) -> list[tuple[str, str]]:
    cycle = dataset.open_cycle
    return [
        ("trivial view", "/bench/trivial/"),
        ("cycle page", f"/reviews/{cycle.pk}/"),
        ("heatmap", f"/reviews/{cycle.pk}/heatmap/"),
        ("trends", "/reviews/trends/"),
        ("team trend", f"/reviews/trends/teams/{dataset.team.code}/"),
        ("check page", f"/reviews/checks/{dataset.check.pk}/"),
        ("home", "/"),
    ]


def _client(user):
    from django.test import Client

    # "localhost" is allowed by the development settings; "testserver" is not.
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def _get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}, not 200.")
    return response


def _query_counts(client, pages) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, url in pages:
        _get(client, url)  # the first request may fill caches; count the second
        with CaptureQueriesContext(connection) as queries:
            _get(client, url)
        counts[name] = len(queries)
    return counts


def _timings(client, pages, *, requests: int, warmup: int) -> dict[str, list[float]]:
    for _ in range(warmup):
        for _, url in pages:
            _get(client, url)
    times: dict[str, list[float]] = {name: [] for name, _ in pages}
    # Rounds interleave the pages, so slow drift on a shared host hits every page alike.
    for _ in range(requests):
        for name, url in pages:
            started = time.perf_counter()
            _get(client, url)
            times[name].append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--small", type=int, default=10, help="teams of the query-count check")
    parser.add_argument("--objectives", type=int, default=12)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.perf_counter()

    print(f"CPU check: sum(i*i for i in range(10_000_000)) took {cpu_check():.2f} s")
    print("           (0.56 s on the 2-core reference machine of notes/performance.md)")
    var_dir = tempfile.mkdtemp(prefix="alignment-bench-")
    try:
        _run(args, var_dir)
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        shutil.rmtree(var_dir, ignore_errors=True)
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")


def _run(args, var_dir: str) -> None:
    _configure(var_dir)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from bench import data

    db = settings.DATABASES["default"]
    print(f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']} (throwaway)")
    call_command("migrate", verbosity=0, interactive=False)
    data.clear()  # empty already, unless BENCH_DATABASE_URL points at an earlier run's data

    # DEBUG off as in production: no query log, no debug-only work in the timed requests.
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
        size = (args.objectives, args.quarters)
        small = data.build(args.small, *size)
        small_counts = _query_counts(_client(small.executive), _pages(small))
        data.clear()

        built = time.perf_counter()
        dataset = data.build(args.teams, *size)
        print(
            f"Built {args.teams} teams × {args.objectives} objectives × {args.quarters} "
            f"quarters in {time.perf_counter() - built:.1f} s."
        )
        connection.close()  # a fresh connection for the measured requests, as in a worker
        client = _client(dataset.executive)
        pages = _pages(dataset)
        counts = _query_counts(client, pages)
        times = _timings(client, pages, requests=args.requests, warmup=args.warmup)

    trivial = statistics.median(times["trivial view"])
    print(
        f"\n{args.requests} requests per page after {args.warmup} warm-up rounds, in-process "
        "(Django test client, full middleware, executive logged in):\n"
    )
    header = (
        f"{'page':<14}{'median ms':>10}{'p90 ms':>9}{'× trivial':>11}"
        f"{f'queries @{args.teams}':>14}{f'queries @{args.small}':>13}"
    )
    print(header)
    print("-" * len(header))
    for name, _ in pages:
        values = times[name]
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10, method="inclusive")[-1]
        same = "" if counts[name] == small_counts[name] else "  ≠ grows with data"
        print(
            f"{name:<14}{median * 1000:>10.1f}{p90 * 1000:>9.1f}{median / trivial:>11.1f}"
            f"{counts[name]:>14}{small_counts[name]:>13}{same}"
        )
    data.clear()


if __name__ == "__main__":
    main()
