"""Every page's CPU time at 50 and 500 teams, as a multiple of a trivial view: `make bench`.

    python -m bench [--quick] [--runs 7] [--warmup 1] [--sizes 50,500] [--page NAME ...]

Builds each size (12 objectives, 8 closed quarters and one open review, bench.data) in a
throwaway database of its own (bench.common: on the PostgreSQL server of DATABASE_URL, or the
local one when DATABASE_URL is unset, named BENCH_DATABASE or `alignment_bench` plus `_50`,
`_500`..., created and dropped; never DATABASE_URL's own; SQLite only when DATABASE_URL says
so or no local server answers). Then, with DEBUG off, it requests every page in process
(Django test client, full middleware) as the role that uses it: each role's home, the
strategy, matrix, team and objective pages, the open and the closed cycle, the heatmap, the
cycle list, signals, trends, the report's print view, operations, a head's check page and an
htmx autosave of that check. A trivial view (bench/urls.py) is timed in the same rounds.

Every page is requested once at each size before the clock starts (what fills per-process
caches); then, in each round, every page at one size right after the other, the sizes taking
turns (50 then 500, 500 then 50...), so that a slow spell of a shared machine falls on both
sizes alike. Each figure is the median of --runs timed rounds
after --warmup rounds, in CPU time of this process (time.process_time: the database server's
own work is not in it), as a multiple of the trivial view's at the same size; the trivial
view, which takes a millisecond or two, is requested 50 times a round and each round counts
the median of its 50. Budgets (issue #12): at most 20 times the trivial
view at both sizes (10 for the check page and the autosave); at most 1.5 times as long at the
larger size as at the smaller; at most 15 SQL queries, the same number at both sizes. Exits
with status 1 when any budget is missed.

--quick (or BENCH_QUICK=1) runs 3 rounds after 1 warm-up instead of 7 after 1. --profile PAGE
(e.g. --profile "cycle open") prints a cProfile of one request of that page at the largest size.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from bench.common import Budgets, print_header, throwaway_databases, use_database
from bench.common import cpu_check as cpu_check  # noqa: PLC0414  (imported by other benches)

MAX_RATIO = 20.0
MAX_RATIO_CHECK = 10.0  # the check page and the autosave: what heads use all the time
MAX_GROWTH = 1.5
MAX_QUERIES = 15
TRIVIAL = "trivial view"
TRIVIAL_PER_ROUND = 50  # the denominator of every ratio: timed more often than the pages


def _configure(var_dir: str) -> str:
    """Point the settings at a throwaway SQLite database in `var_dir` before Django reads them.

    Kept for benchmarks that manage their own folder; bench.common.throwaway_database is the
    way to use PostgreSQL as well.
    """
    os.environ["VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    if os.environ.pop("DATABASE_URL", None):
        print("DATABASE_URL is ignored: the benchmark never touches the real database.")
    return ""


@dataclass
class Page:
    name: str
    who: str  # executive, head, member or admin
    url: str
    autosave: bool = False

    @property
    def budget(self) -> float:
        return MAX_RATIO_CHECK if self.name in ("check page", "autosave") else MAX_RATIO


def _people(dataset) -> dict:
    """The four roles: the dataset's executive and head, plus a member and an admin."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from strategy.models import Membership
    from strategy.roles import ADMIN

    User = get_user_model()
    member = User.objects.create(
        username="bench-member", first_name="Mia", last_name="Member", email="m@example.com"
    )
    Membership.objects.create(unit=dataset.team, user=member, role=Membership.Role.MEMBER)
    admin = User.objects.create(
        username="bench-admin", first_name="Ada", last_name="Admin", is_staff=True
    )
    admin.groups.add(Group.objects.get(name=ADMIN))
    return {"executive": dataset.executive, "head": dataset.head, "member": member, "admin": admin}


def _pages(dataset) -> list[Page]:
    from django.urls import reverse

    open_cycle, closed = dataset.open_cycle, dataset.cycles[-2]
    return [
        Page(TRIVIAL, "executive", "/bench/trivial/"),
        Page("home (executive)", "executive", reverse("home")),
        Page("home (head)", "head", reverse("home")),
        Page("home (member)", "member", reverse("home")),
        Page("home (admin)", "admin", reverse("home")),
        Page("strategy", "executive", dataset.position.get_absolute_url()),
        Page("matrix", "executive", reverse("strategy:matrix")),
        Page("team", "executive", dataset.team.get_absolute_url()),
        Page("objective", "executive", dataset.objective.get_absolute_url()),
        Page("cycle open", "executive", open_cycle.get_absolute_url()),
        Page("cycle closed", "executive", closed.get_absolute_url()),
        Page("heatmap", "executive", reverse("reviews:cycle-heatmap", args=[open_cycle.pk])),
        Page("cycle list", "executive", reverse("reviews:cycle-list")),
        Page("signals", "executive", reverse("sustain:signals")),
        Page("trends", "executive", reverse("reviews:trends")),
        Page("team trend", "executive", reverse("reviews:trend-team", args=[dataset.team.code])),
        Page(
            "objective trend",
            "executive",
            reverse("reviews:trend-objective", args=[dataset.objective.pk]),
        ),
        Page("report print", "executive", reverse("reports:report-print", args=[closed.pk])),
        Page("operations", "admin", reverse("notifications:operations")),
        Page("check page", "head", dataset.check.get_absolute_url()),
        Page(
            "autosave",
            "head",
            reverse("reviews:check-save", args=[dataset.check.pk]),
            autosave=True,
        ),
    ]


class Visitor:
    """Requests pages as one role, and keeps an autosave's form and version up to date."""

    def __init__(self, user, check_url: str):
        from django.test import Client

        # "localhost" is allowed by the development settings; "testserver" is not.
        self.client = Client(SERVER_NAME="localhost")
        self.client.force_login(user)
        self.check_url = check_url
        self.fields: dict[str, str] = {}
        self.rng = random.Random(2026)
        self.saves = 0

    def prepare(self, page: Page):
        """What the request needs, made before its clock starts: the autosave's form data."""
        if not page.autosave:
            return None
        from bench.checkform import SCORE_FIELD, check_fields

        if not self.fields:
            self.fields = check_fields(self.client.get(self.check_url).content.decode())
            if not self.fields:
                raise SystemExit(f"{self.check_url} shows no editable check form to autosave.")
        self.saves += 1
        data = dict(self.fields)
        for name in self.fields:
            match = SCORE_FIELD.match(name)
            if match:
                data[name] = str(self.rng.randint(1, 5))
                data[f"item-{match.group(1)}-evidence"] = f"Bench autosave {self.saves}"
        return urlencode(data)

    def request(self, page: Page, prepared):
        if page.autosave:
            return self.client.post(
                page.url,
                prepared,
                content_type="application/x-www-form-urlencoded",
                HTTP_HX_REQUEST="true",
                HTTP_HX_TARGET="save-status",
                HTTP_HX_TRIGGER="check-form",
            )
        return self.client.get(page.url)

    def verify(self, page: Page, response) -> None:
        """Stop at a page that fails: its timing would be an error page's."""
        if response.status_code != 200:
            raise SystemExit(f"{page.name}: {page.url} answered {response.status_code}, not 200.")
        if page.autosave:
            from bench.checkform import VERSION

            text = response.content.decode()
            found = VERSION.search(text)
            if 'role="alert"' in text or not found:
                raise SystemExit(f"autosave refused: {text[:300]}")
            self.fields["version"] = found.group(1)

    def timed(self, page: Page) -> float:
        prepared = self.prepare(page)
        started = time.process_time()
        response = self.request(page, prepared)
        seconds = time.process_time() - started
        self.verify(page, response)
        return seconds

    def queries(self, page: Page) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        prepared = self.prepare(page)
        with CaptureQueriesContext(connection) as captured:
            response = self.request(page, prepared)
        self.verify(page, response)
        return len(captured)


@dataclass
class Size:
    """One size's database (its NAME in the settings), its data, pages and visitors."""

    teams: int
    database: str
    dataset: object
    pages: list[Page]
    visitors: dict[str, Visitor]

    def use(self) -> None:
        """Serve the requests from this size's database, with a cache of its own: the pages'
        cached parts are keyed by versions that both databases may share."""
        from django.core.cache import cache

        use_database(self.database)
        cache.key_prefix = f"bench-{self.teams}"


def _size(teams: int, database: str, dataset, only: list[str]) -> Size:
    people = _people(dataset)
    check_url = dataset.check.get_absolute_url()
    return Size(
        teams,
        database,
        dataset,
        _selected(_pages(dataset), only),
        {who: Visitor(user, check_url) for who, user in people.items()},
    )


def _measure(sizes: list[Size], *, runs: int, warmup: int) -> dict[int, dict[str, dict]]:
    """Median CPU seconds and queries of every page at every size, with the rounds of the
    sizes interleaved (both databases are built first)."""
    times = {s.teams: {p.name: [] for p in s.pages} for s in sizes}
    counts = {}
    for size in sizes:
        size.use()
        for page in size.pages:  # the first request may fill per-process caches: not counted
            size.visitors[page.who].timed(page)
        counts[size.teams] = {p.name: size.visitors[p.who].queries(p) for p in size.pages}
    # What the build left behind is no request's: out of the garbage collector's way, so that
    # a full collection scanning it does not land in one size's requests more than another's.
    gc.collect()
    gc.freeze()
    for round_ in range(warmup + runs):
        # Each page is requested at one size right after the other, the sizes taking turns
        # (50 then 500, then 500 then 50...), so that the load of a shared host, which changes
        # within seconds, falls on both sizes alike.
        for n, name in enumerate(p.name for p in sizes[0].pages):
            for size in sizes if (round_ + n) % 2 == 0 else reversed(sizes):
                size.use()
                page = next(p for p in size.pages if p.name == name)
                visitor = size.visitors[page.who]
                if page.name == TRIVIAL:
                    # The denominator of every ratio, and the cheapest request: many a round,
                    # their median the round's figure.
                    seconds = statistics.median(
                        visitor.timed(page) for _ in range(TRIVIAL_PER_ROUND)
                    )
                else:
                    seconds = visitor.timed(page)
                if round_ >= warmup:
                    times[size.teams][page.name].append(seconds)
    gc.unfreeze()
    return {
        s.teams: {
            p.name: {
                "seconds": statistics.median(times[s.teams][p.name]),
                "queries": counts[s.teams][p.name],
            }
            for p in s.pages
        }
        for s in sizes
    }


def _selected(pages: list[Page], only: list[str]) -> list[Page]:
    if not only:
        return pages
    unknown = set(only) - {p.name for p in pages}
    if unknown:
        names = ", ".join(repr(p.name) for p in pages)
        raise SystemExit(f"No page named {', '.join(sorted(unknown))}; the pages: {names}.")
    return [p for p in pages if p.name == TRIVIAL or p.name in only]


def _profile(visitor: Visitor, page: Page, lines: int = 20) -> None:
    """cProfile of one request: the functions with the most time of their own, and overall."""
    import cProfile
    import pstats

    prepared = visitor.prepare(page)
    profiler = cProfile.Profile()
    profiler.enable()
    response = visitor.request(page, prepared)
    profiler.disable()
    visitor.verify(page, response)
    print(f"\n--- cProfile of {page.name} ({page.url}, as {page.who}) ---")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(lines)


def _table(pages: list[Page], sizes: list[int], results: dict[int, dict], budgets: Budgets):
    small, large = sizes[0], sizes[-1]
    trivial = {n: results[n][TRIVIAL]["seconds"] for n in sizes}
    header = (
        f"{'page':<18}{'as':<10}{f'ms@{small}':>9}{f'×triv@{small}':>10}{f'ms@{large}':>9}"
        f"{f'×triv@{large}':>11}{'growth':>8}{f'q@{small}':>6}{f'q@{large}':>7}"
        f"{'budget':>22}  verdict"
    )
    print(header)
    print("-" * len(header))
    for page in pages:
        a, b = results[small][page.name], results[large][page.name]
        ratio_a, ratio_b = a["seconds"] / trivial[small], b["seconds"] / trivial[large]
        growth = b["seconds"] / a["seconds"] if a["seconds"] else float("inf")
        misses = []
        if page.name != TRIVIAL:
            if ratio_a > page.budget or ratio_b > page.budget:
                misses.append(f"×triv>{page.budget:g}")
            if growth > MAX_GROWTH:
                misses.append(f"growth>{MAX_GROWTH:g}")
        if max(a["queries"], b["queries"]) > MAX_QUERIES:
            misses.append(f"queries>{MAX_QUERIES}")
        if a["queries"] != b["queries"]:
            misses.append("queries grow")
        budget = (
            f"≤{page.budget:g}× ≤{MAX_GROWTH:g} ≤{MAX_QUERIES}q="
            if page.name != TRIVIAL
            else f"≤{MAX_QUERIES}q="
        )
        budgets.checked += 1
        if misses:
            budgets.missed.append(page.name)
        print(
            f"{page.name:<18}{page.who:<10}{a['seconds'] * 1000:>9.1f}{ratio_a:>10.1f}"
            f"{b['seconds'] * 1000:>9.1f}{ratio_b:>11.1f}{growth:>8.2f}{a['queries']:>6}"
            f"{b['queries']:>7}{budget:>22}  {'FAIL ' + ', '.join(misses) if misses else 'PASS'}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: sorted(int(n) for n in text.split(",")),
        default=[50, 500],
        help="team counts, comma-separated; the smallest and largest are compared",
    )
    parser.add_argument("--objectives", type=int, default=12)
    parser.add_argument("--quarters", type=int, default=9, help="closed quarters + the open one")
    parser.add_argument("--runs", type=int, help="timed rounds (default 7, 3 with --quick)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="PAGE",
        help="print a cProfile of this page at the largest size (repeatable), e.g. 'cycle open'",
    )
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        metavar="PAGE",
        help="measure only this page beside the trivial view (repeatable); a partial run",
    )
    args = parser.parse_args(argv)
    args.runs = args.runs or (3 if args.quick else 7)
    started = time.perf_counter()
    print_header("Pages: CPU time as a multiple of a trivial view, queries (python -m bench)")
    suffixes = [f"_{teams}" for teams in args.sizes]
    with throwaway_databases(suffixes) as (described, databases):
        budgets = _run(args, described, databases)
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    budgets.exit()


def _caches() -> dict:
    """The cache settings, with no limit on the entries of a cache in memory: production's
    cache is Redis, which keeps what the pages cache, while Django's local-memory cache (used
    without REDIS_URL) culls a third of its entries past 300, fewer than the cached parts of
    two sizes' pages; its misses made the pages at 500 teams up to three times as slow in
    some runs and not in others."""
    from django.conf import settings

    caches = {alias: dict(config) for alias, config in settings.CACHES.items()}
    for config in caches.values():
        if config["BACKEND"].endswith("LocMemCache"):
            config["OPTIONS"] = config.get("OPTIONS", {}) | {"MAX_ENTRIES": 1_000_000}
    return caches


def _run(args, described: str, databases: list[str]) -> Budgets:
    import django

    django.setup()
    import logging

    from django.core.management import call_command

    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per force_login otherwise
    from django.test.utils import override_settings

    from bench import data

    print(f"Database: {described}")
    # DEBUG off as in production: no query log, no debug-only work in the timed requests.
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False, CACHES=_caches()):
        sizes = []
        for teams, database in zip(args.sizes, databases, strict=True):
            use_database(database)
            call_command("migrate", verbosity=0, interactive=False)
            built = time.perf_counter()
            dataset = data.build(teams, args.objectives, args.quarters)
            print(
                f"Built {teams} teams × {args.objectives} objectives × {args.quarters} quarters "
                f"({args.quarters - 1} closed, 1 open) in {time.perf_counter() - built:.1f} s."
            )
            sizes.append(_size(teams, database, dataset, args.page))
        largest = sizes[-1]
        unknown = set(args.profile) - {p.name for p in largest.pages}
        if unknown:
            raise SystemExit(f"No page named {', '.join(sorted(unknown))} to profile.")
        measured = time.perf_counter()
        results = _measure(sizes, runs=args.runs, warmup=args.warmup)
        print(f"Measured in {time.perf_counter() - measured:.0f} s.")
        largest.use()
        for page in largest.pages:
            if page.name in args.profile:
                _profile(largest.visitors[page.who], page)

    print(
        f"\nMedian CPU time of {args.runs} rounds after {args.warmup} warm-up, each page at "
        f"both sizes in turn (trivial view: the median of {TRIVIAL_PER_ROUND} requests a round), "
        f"DEBUG off; growth = time at {args.sizes[-1]} / time at {args.sizes[0]}; "
        "q = SQL queries:\n"
    )
    budgets = Budgets("Pages")
    _table(largest.pages, args.sizes, results, budgets)
    return budgets


if __name__ == "__main__":
    main(sys.argv[1:])
