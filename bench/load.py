"""Heads saving scores and reading pages at once, on gunicorn and PostgreSQL: `make bench`.

    python -m bench.load [--users 200] [--seconds 60] [--workers N] [--threads N]

It builds an organisation (bench.data: 200 teams, 12 objectives, 8 closed quarters and an open
review) in a database of its own: BENCH_LOAD_DATABASE (`alignment_load` by default) on the
PostgreSQL server of DATABASE_URL, or on 127.0.0.1:5432 (user postgres, trust authentication)
when DATABASE_URL is not PostgreSQL. The database is dropped first if an earlier run left it,
and dropped again at the end, even after a failure; its name must contain "load" or "bench",
and DATABASE_URL's own database is refused. Each user is the head of one team. Its session is
made server-side, so there is no login form and the login lockout does not get in the way. The
open review's checks are all in draft, so every head can save its own.

gunicorn runs with the product's own gunicorn.conf.py (threaded workers, WEB_CONCURRENCY of
them, else one per core plus one, of GUNICORN_THREADS threads; --workers overrides the count;
printed) and serves the production settings: DEBUG off, a random SECRET_KEY, persistent
connections, plus bench/urls.py's trivial view.
bench/loadgen.py (asyncio on raw sockets, a process of its own) drives the heads, each about
once a second. They read the home, check, strategy and unit pages, make htmx autosaves of their
whole check with random scores, and request the trivial view. A few executives (--executives,
5 by default) read the open review's cycle page, which heads may not open, as often. The
generator shares the cores with the server, so it is kept cheap; the run prints the CPU that
gunicorn, the PostgreSQL backends of the load's database and the generator each used, per
request served.

Budgets (issue #12): no failed request, no lost save (the database holds the scores and
evidence of each head's last confirmed save), at least 150 requests a second served (0.75 a
second per head), and the p99 latency of the home page, of the cycle page and of the heads'
check page at most 3 times the trivial view's p99 in the same run. The check page's are its
reads among the other requests; each head's first open of its check is a row of its own
("check, opened"), counted in the requests and failures but not compared with the trivial
view: those come in the ramp, when 100 heads a second open their checks and no trivial view is
requested yet, so their waits are the ramp's, which the trivial view's p99 never sees.
Prints p50/p95/p99 latencies per kind of request beside the trivial view's, each budget beside
its figure, and exits 1 when any is missed.

The trivial view's latency under the same load shows how much of each page's latency is time
spent waiting for a worker.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import runpy
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.common import (
    LOCAL_SERVER,
    Budgets,
    check_throwaway_name,
    drop_database,
    is_postgres,
    print_header,
    recreate_database,
    with_database,
)

DEFAULT_DB_NAME = "alignment_load"  # BENCH_LOAD_DATABASE names another
BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = BASE_DIR / "gunicorn.conf.py"  # what Procfile and the Docker image run
MIN_REQUESTS_PER_USER_SECOND = 0.75  # 150 a second for the 200 users of issue #12
MAX_P99_RATIO = 3.0  # p99 of the home, check and cycle pages / p99 of the trivial view
EXECUTIVES = 5  # reading the cycle page, which heads may not open
# Variables that would change what the server does, or where it writes, if inherited.
INHERITED_NOT = [
    "DJANGO_DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "CLIENT_IP_HEADER",
    "TRUSTED_PROXY_COUNT",
    "SECURE_PROXY_SSL_HEADER_NAME",
    "CSRF_TRUSTED_ORIGINS",
    "SESSION_IDLE_SECONDS",
    "SESSION_MAX_SECONDS",
]


def _database() -> tuple[str, str]:
    """(server URL, database name): the server of DATABASE_URL if it is PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    server = url if is_postgres(url) else LOCAL_SERVER
    name = os.environ.get("BENCH_LOAD_DATABASE", DEFAULT_DB_NAME)
    check_throwaway_name(name, url)
    return server, name


def _environment(var_dir: str, database_url: str) -> dict[str, str]:
    """The production-like environment of the server, and of this process's Django."""
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_NOT}
    return env | {
        "DJANGO_SETTINGS_MODULE": "bench.load_settings",  # alignment.settings + trivial view
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on the loopback: no redirect to HTTPS. SESSION_COOKIE_SECURE has no
        # variable and stays on: the client sends the cookies over HTTP anyway.
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "60",
        "VAR_DIR": var_dir,  # collected static files and the filesystem broker
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }


def _load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1, 5, 15 min)"


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of one process so far (Linux /proc), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process this user may read, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        found.append((int(entry), parent, command))
    return found


def _server_pids(server_pid: int, db_name: str) -> dict[str, list[int]]:
    """The processes of gunicorn (master and workers) and the PostgreSQL backends that serve
    the load's database, when they run on this machine."""
    processes = _processes()
    # A backend's title is "postgres: USER DATABASE HOST(PORT) STATE".
    return {
        "gunicorn": [server_pid] + [pid for pid, parent, _ in processes if parent == server_pid],
        "PostgreSQL": [pid for pid, _, command in processes if f" {db_name} " in f"{command} "],
    }


class _CpuSampler(threading.Thread):
    """The CPU seconds gunicorn and the load's PostgreSQL backends use from now until used(),
    read twice a second: a backend ends, and its CPU time with it, when its connection turns
    older than CONN_MAX_AGE during the load. Empty without /proc."""

    def __init__(self, server_pid: int, db_name: str):
        super().__init__(daemon=True)
        self.server_pid, self.db_name = server_pid, db_name
        self.first: dict[tuple[str, int], float] = {}  # at first sight; 0 if born meanwhile
        self.last: dict[tuple[str, int], float] = {}
        self.stopping = threading.Event()
        self.available = os.path.isdir("/proc")
        if self.available:
            self._sample(starting=True)

    def _sample(self, *, starting: bool = False) -> None:
        for kind, pids in _server_pids(self.server_pid, self.db_name).items():
            for pid in pids:
                cpu = _cpu_seconds(pid)  # 0 once the process is gone: its last reading stays
                key = (kind, pid)
                self.first.setdefault(key, cpu if starting else 0.0)
                self.last[key] = max(cpu, self.last.get(key, 0.0))

    def run(self) -> None:
        while self.available and not self.stopping.wait(0.5):
            self._sample()

    def used(self) -> dict[str, float]:
        self.stopping.set()
        if self.is_alive():
            self.join()
        if not self.available:
            return {}
        self._sample()
        totals = {"gunicorn": 0.0, "PostgreSQL": 0.0}
        for (kind, pid), cpu in self.last.items():
            totals[kind] += cpu - self.first[kind, pid]
        return totals


def _print_cpu(used: dict, generator: float, seconds: float, served: int):
    """Where the machine's CPU went during the load, per request served."""
    used = used | {"load generator": generator}
    per_request = served and 1000 / served
    parts = ", ".join(
        f"{name} {value:.1f} s ({value * per_request:.1f} ms a request)"
        for name, value in used.items()
    )
    print(
        f"CPU during the load ({seconds:.0f} s × {os.cpu_count()} cores = "
        f"{seconds * (os.cpu_count() or 1):.0f} s): {parts}."
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(args) -> dict:
    """Migrate, build the organisation and log the heads in; return the load's plan."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from django.db import connections
    from django.urls import reverse
    from django.utils.module_loading import import_string

    from bench import data
    from reviews.models import AlignmentCheck
    from strategy.models import Membership

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    # Without DEBUG, {% static %} reads the manifest that collectstatic writes.
    call_command("collectstatic", verbosity=0, interactive=False)
    dataset = data.build(args.teams, args.objectives, args.quarters)
    cycle = dataset.open_cycle
    # Every head saves its own check, so every check of the open review must be editable.
    cycle.checks.update(state=AlignmentCheck.State.DRAFT, submitted_at=None, submitted_by=None)
    checks = dict(cycle.checks.values_list("unit_id", "pk"))
    heads = Membership.objects.filter(role=Membership.Role.HEAD, unit_id__in=checks).select_related(
        "user", "unit"
    )
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")

    def session_of(user) -> str:
        session = store()
        # What django.contrib.auth.login() stores, without a login request.
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = "alignment.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return session.session_key

    plan_heads = [
        {
            "username": membership.user.username,
            "session_key": session_of(membership.user),
            "check_id": checks[membership.unit_id],
            "unit_code": membership.unit.code,
        }
        for membership in heads.order_by("unit__code")[: args.users]
    ]
    plan_executives = [
        {"username": user.username, "session_key": session_of(user)}
        for user in _executives(dataset.executive, args.executives)
    ]
    connections.close_all()
    print(
        f"Built {args.teams} teams × {args.objectives} objectives × {args.quarters} quarters "
        f"on PostgreSQL {settings.DATABASES['default']['NAME']} and logged "
        f"{len(plan_heads)} heads and {len(plan_executives)} executives in, in "
        f"{time.perf_counter() - started:.0f} s."
    )
    return {
        "heads": plan_heads,
        "executives": plan_executives,
        "cycle_path": cycle.get_absolute_url(),
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        # /strategy/ only redirects to the current position's page.
        "strategy_path": reverse(
            "strategy:position-detail", kwargs={"fiscal_year": dataset.position.fiscal_year}
        ),
        "seconds": args.seconds,
        "think": args.think,
    }


def _executives(first, count: int) -> list:
    """The dataset's executive and as many more as it takes to make `count`."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from strategy.roles import EXECUTIVE

    group = Group.objects.get(name=EXECUTIVE)
    found = [first][:count]
    for n in range(1, count):
        user = get_user_model().objects.create(
            username=f"{first.username}-{n}", first_name="Exec", last_name=f"Utive {n}"
        )
        user.groups.add(group)
        found.append(user)
    return found


def _gunicorn_config(env: dict[str, str]) -> dict:
    """The settings gunicorn.conf.py gives the server, read the way gunicorn reads them."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return runpy.run_path(str(GUNICORN_CONFIG))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _start_server(env: dict[str, str], port: int, config: dict, log_path: Path):
    log = open(log_path, "wb")  # noqa: SIM115  (the server's, closed when it stops)
    command = [
        *(sys.executable, "-m", "gunicorn", "alignment.wsgi:application"),
        *("--config", str(GUNICORN_CONFIG), "--bind", f"127.0.0.1:{port}"),
        *("--workers", str(config["workers"]), "--threads", str(config["threads"])),
        *("--worker-class", config["worker_class"]),
        "--no-control-socket",  # the default socket is shared with any other gunicorn here
    ]
    server = subprocess.Popen(command, env=env, cwd=BASE_DIR, stdout=log, stderr=log)
    server.log = log
    return server


def _wait_until_healthy(base_url: str, server, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"/healthz did not answer 200 within {timeout:.0f} s:\n{_tail(log_path)}")


def _stop_server(server) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # graceful: workers finish their request
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    server.log.close()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _lost_scores(result: dict, levers: list[str]) -> tuple[list[str], int]:
    """Compare each head's last confirmed save with the database; return problems and checks."""
    from reviews.models import CheckItem

    problems = []
    compared = 0
    for username, record in sorted(result["saved"].items()):
        candidates = [c for c in [record["confirmed"], *record["unknown"]] if c is not None]
        if not candidates:
            continue
        rows = CheckItem.objects.filter(alignment_check_id=record["check_id"]).values(
            "pk", "evidence", *(f"score_{lever}" for lever in levers)
        )
        stored = {
            str(row["pk"]): {"evidence": row["evidence"]}
            | {lever: row[f"score_{lever}"] for lever in levers}
            for row in rows
        }
        compared += 1
        # A save with no answer may have been committed too: either state is not a loss.
        if not any(all(stored.get(pk) == values for pk, values in c.items()) for c in candidates):
            expected = candidates[0]
            wrong = [
                f"item {pk} {key}: saved {value!r}, stored {stored.get(pk, {}).get(key)!r}"
                for pk, values in expected.items()
                for key, value in values.items()
                if stored.get(pk, {}).get(key) != value
            ]
            problems.append(f"{username}: " + "; ".join(wrong[:4]))
    return problems, compared


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return (math.nan,) * 3
    if len(values) == 1:
        return (values[0],) * 3
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _report(result: dict) -> tuple[int, int, dict]:
    """Print the latency table; return the failed and the served requests, and the p99s."""
    kinds, trivial_kind = result["kinds"], result["trivial"]
    trivial = _percentiles(result["latencies"].get(trivial_kind, []))
    header = (
        f"{'request':<15}{'count':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'p50 ×triv':>11}{'p99 ×triv':>11}"
    )
    print(header)
    print("-" * len(header))
    failed = 0
    total = 0
    p99s = {}
    by_outcome: dict[str, int] = {}
    for kind in [trivial_kind, *[k for k in kinds if k != trivial_kind]]:
        values = result["latencies"].get(kind, [])
        outcomes = result["outcomes"].get(kind, {})
        errors = 0
        for outcome, n in outcomes.items():
            if outcome != "ok" and n:
                errors += n
                by_outcome[outcome] = by_outcome.get(outcome, 0) + n
        failed += errors
        total += len(values)
        p50, p95, p99 = _percentiles(values)
        p99s[kind] = p99
        print(
            f"{kind:<15}{len(values):>7}{errors:>8}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}"
            f"{p50 / trivial[0]:>11.1f}{p99 / trivial[2]:>11.1f}"
        )
    print(
        f"\nTrivial view under the same load: p50 {trivial[0]:.0f} ms, p95 {trivial[1]:.0f} ms, "
        f"p99 {trivial[2]:.0f} ms (its own work takes a millisecond or two: the rest is "
        "waiting for a worker)."
    )
    summary = ", ".join(f"{outcome}: {n}" for outcome, n in sorted(by_outcome.items()))
    print(f"Failed requests by outcome (HTTP status, connection, refused…): {summary or 'none'}")
    print(
        f"{total} requests in {result['seconds']:.0f} s ({total / result['seconds']:.0f}/s), "
        f"the last ones answered {result['drain_seconds']:.1f} s after the end."
    )
    return failed, total - failed, p99s


def main(argv: list[str] | None = None) -> None:
    description = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=description)
    parser.add_argument("--users", type=int, default=200, help="heads, one team each")
    parser.add_argument(
        "--executives",
        type=int,
        default=EXECUTIVES,
        help="executives reading the open review's cycle page, besides the heads",
    )
    parser.add_argument("--teams", type=int, help="teams built (default: as many as users)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds between a user's requests"
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="gunicorn workers (default: gunicorn.conf.py's, from WEB_CONCURRENCY or the cores)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="threads per worker (default: gunicorn.conf.py's, from GUNICORN_THREADS or 1)",
    )
    parser.add_argument(
        "--worker-class", help="gunicorn's worker class (default: gunicorn.conf.py's, gthread)"
    )
    parser.add_argument("--objectives", type=int, default=12)
    parser.add_argument("--quarters", type=int, default=9, help="closed quarters + the open one")
    args = parser.parse_args(argv)
    args.teams = args.teams or args.users
    if args.users < 1 or args.seconds <= 0 or args.teams < args.users or args.executives < 1:
        parser.error(
            "--users, --executives and --seconds must be positive, --teams at least --users"
        )
    started = time.perf_counter()
    # A plain `kill` (or make's) still stops gunicorn and drops the database, in `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    sys.stdout.reconfigure(line_buffering=True)  # in order with the subprocesses' output
    print_header("Load: heads saving and reading on gunicorn and PostgreSQL (python -m bench.load)")
    db_server, db_name = _database()
    var_dir = tempfile.mkdtemp(prefix="alignment-load-")
    server = None
    created = False
    try:
        for folder in ("queue", "processed", "control"):
            os.makedirs(os.path.join(var_dir, "broker", folder))
        env = _environment(var_dir, with_database(db_server, db_name))
        for name in INHERITED_NOT:
            os.environ.pop(name, None)
        os.environ.update(env)  # this process's Django reads what the server reads
        recreate_database(db_server, db_name)
        created = True
        plan = _setup(args)

        port = _free_port()
        base_url = plan["base_url"] = f"http://127.0.0.1:{port}"
        log_path = Path(var_dir, "gunicorn.log")
        config = _gunicorn_config(env)
        args.workers = args.workers or config["workers"]
        config["threads"] = args.threads or config.get("threads", 1)
        config["worker_class"] = args.worker_class or config["worker_class"]
        server = _start_server(env, port, config | {"workers": args.workers}, log_path)
        _wait_until_healthy(base_url, server, log_path)
        print(
            f"gunicorn on {base_url} with gunicorn.conf.py: {args.workers} "
            f"{config['worker_class']} workers of {config.get('threads', 1)} threads, DEBUG off, "
            f"cookies {plan['session_cookie']} and {plan['csrf_cookie']}.\n"
            f"{args.users} heads and {args.executives} executives for {args.seconds:.0f} s, "
            f"{args.think:g} s between a user's requests on average…\n"
        )

        plan_path, result_path = Path(var_dir, "plan.json"), Path(var_dir, "result.json")
        plan_path.write_text(json.dumps(plan))
        sampler = _CpuSampler(server.pid, db_name)
        sampler.start()
        load = subprocess.run(
            [sys.executable, "-m", "bench.loadgen", str(plan_path), str(result_path)],
            cwd=BASE_DIR,
            timeout=args.seconds + 300,
        )
        cpu_used = sampler.used()
        _stop_server(server)
        if load.returncode != 0 or not result_path.exists():
            raise SystemExit(f"The load generator failed ({load.returncode}).")
        result = json.loads(result_path.read_text())

        failed, served, p99s = _report(result)
        if cpu_used:
            _print_cpu(cpu_used, result["cpu_seconds"], result["seconds"], served)
        from django.db import connections

        from reviews.models import LEVERS

        lost, compared = _lost_scores(result, list(LEVERS))
        connections.close_all()
        saves = sum(r["saves"] for r in result["saved"].values())
        print(
            f"{saves} confirmed saves. What each of {compared} heads last saw saved (or loaded, "
            f"before any save) compared with the database: {len(lost)} lost."
        )
        for line in lost[:20]:
            print(f"  LOST {line}")
        budgets = Budgets("Load")
        print(
            f"\nBudgets (gunicorn --workers {args.workers} {config['worker_class']} "
            f"--threads {config.get('threads', 1)}, "
            f"{args.users} heads, {args.executives} executives):"
        )
        budgets.check(
            "requests served a second",
            served / result["seconds"],
            MIN_REQUESTS_PER_USER_SECOND * args.users,
            at_least=True,
        )
        budgets.require("no failed request", failed == 0, f"{failed} failed")
        budgets.require(
            "no exception in a user", not result["exceptions"], f"{len(result['exceptions'])}"
        )
        budgets.require("no lost save", not lost, f"{len(lost)} lost of {compared} heads")
        users = args.users + args.executives
        budgets.require(
            "every user started",
            result["users_started"] == users,
            f"{result['users_started']} of {users}",
        )
        trivial = p99s[result["trivial"]]
        # The heads' home and check page, the executives' cycle page (heads may not open it).
        for kind in ("home", "check page", "cycle page"):
            budgets.check(
                f"p99 of the {kind} / of the trivial view ({p99s[kind]:.0f} / {trivial:.0f} ms)",
                p99s[kind] / trivial,
                MAX_P99_RATIO,
            )
        if failed or result["exceptions"]:
            print("\nFailures:")
            for key, lines in sorted(result["samples"].items()):
                print(f"  {key}")
                for line in lines[:5]:
                    print(f"    {line}")
            for line in result["exceptions"]:
                print(f"  exception in a user: {line}")
            print(f"\nEnd of gunicorn's log:\n{_tail(log_path)}")
        print(f"Load average after: {_load_average()}")
        print(f"\nTotal {time.perf_counter() - started:.0f} s.")
        budgets.exit()
    finally:
        if server is not None:
            _stop_server(server)
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if created:
            drop_database(db_server, db_name)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
