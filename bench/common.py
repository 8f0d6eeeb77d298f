"""What every benchmark of `make bench` shares: its throwaway database, memory readings of
this process, and the verdict lines that print each figure beside its budget.

A benchmark never touches the database of DATABASE_URL. It creates a database of its own
(named by an environment variable, `alignment_bench` by default) on the PostgreSQL server of
DATABASE_URL, or, when DATABASE_URL is unset, on the local server (127.0.0.1:5432, user
postgres), and drops it at the end, even after a failure. The budgets are those of the
production database: SQLite files in a temporary folder are used only when DATABASE_URL names
SQLite, or when no local PostgreSQL answers.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

MIB = 1024 * 1024
# A benchmark drops the database it creates: only ever one whose name says it is a bench's.
THROWAWAY_NAME = re.compile(r"^[a-z0-9_]*(bench|load)[a-z0-9_]*$")
# Where benchmarks make their databases when DATABASE_URL is unset, if it answers.
LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def cpu_check() -> float:
    """Seconds of a fixed piece of pure Python, to compare this machine's speed between runs."""
    started = time.perf_counter()
    sum(i * i for i in range(10_000_000))
    return time.perf_counter() - started


def print_header(title: str) -> None:
    print(f"== {title} ==")
    print(f"CPU check: sum(i*i for i in range(10_000_000)) took {cpu_check():.2f} s")
    print(f"Load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min)")


# --- Databases ---------------------------------------------------------------------------


def server_params(url: str) -> dict:
    """psycopg2 connection arguments of a postgres:// URL, without its database."""
    parts = urlparse(url)
    params = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 5432}
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password:
        params["password"] = unquote(parts.password)
    return params


def with_database(url: str, name: str) -> str:
    return urlparse(url)._replace(path="/" + quote(name, safe="")).geturl()


def is_postgres(url: str) -> bool:
    return urlparse(url).scheme in ("postgres", "postgresql", "pgsql", "postgis")


def check_throwaway_name(name: str, url: str = "") -> None:
    if not THROWAWAY_NAME.match(name):
        sys.exit(
            f"Refusing the database {name!r}: a benchmark creates and drops its database, so "
            "its name must contain 'bench' or 'load' (lower case, digits and _ only)."
        )
    if url and urlparse(url).path.lstrip("/") == name:
        sys.exit(f"Refusing {name!r}: it is DATABASE_URL's own database, which is never dropped.")


def recreate_database(url: str, name: str) -> None:
    import psycopg2
    from psycopg2 import sql

    check_throwaway_name(name)
    conn = psycopg2.connect(dbname="postgres", connect_timeout=5, **server_params(url))
    try:
        conn.autocommit = True  # CREATE and DROP DATABASE refuse to run in a transaction
        with conn.cursor() as cursor:
            # FORCE ends the connections a crashed earlier run may have left.
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def drop_database(url: str, name: str) -> None:
    import psycopg2
    from psycopg2 import sql

    check_throwaway_name(name)
    conn = psycopg2.connect(dbname="postgres", connect_timeout=5, **server_params(url))
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        conn.close()


def local_server() -> str:
    """The PostgreSQL server on this machine (user postgres, trust authentication), if it
    answers; "" otherwise."""
    import psycopg2

    try:
        conn = psycopg2.connect(dbname="postgres", connect_timeout=3, **server_params(LOCAL_SERVER))
        conn.close()
    except psycopg2.Error:
        return ""
    return LOCAL_SERVER


def bench_server() -> str:
    """The PostgreSQL server a benchmark creates its databases on, "" for SQLite: DATABASE_URL's
    when it is PostgreSQL; when DATABASE_URL is unset, the local one (LOCAL_SERVER) if it
    answers. The budgets are those of the production database, PostgreSQL; SQLite is used only
    when DATABASE_URL names it, or when no local server answers."""
    url = os.environ.get("DATABASE_URL", "")
    if is_postgres(url):
        return url
    if url:
        print(f"DATABASE_URL is not PostgreSQL ({urlparse(url).scheme}): using SQLite.")
        return ""
    server = local_server()
    if not server:
        print(
            f"DATABASE_URL is unset and no PostgreSQL answers on {urlparse(LOCAL_SERVER).netloc}: "
            "using SQLite, which production does not (its figures may miss budgets set for "
            "PostgreSQL)."
        )
    return server


@contextlib.contextmanager
def throwaway_databases(
    suffixes: list[str], *, env_name: str = "BENCH_DATABASE", default: str = "alignment_bench"
):
    """Set the environment for Django to use databases of their own, and remove them afterwards.

    One database per suffix, on the server bench_server() picks (or SQLite files in a
    temporary folder): named by the variable `env_name` (or `default`) plus the suffix, so that
    each benchmark has its own. The first is DATABASE_URL's for Django's `default`; switch to
    another with use_database(). Yields (a description, the NAME of each database in Django's
    settings, in the order of `suffixes`). Call before django.setup(): settings read
    DATABASE_URL and VAR_DIR once.
    """
    var_dir = tempfile.mkdtemp(prefix="alignment-bench-")
    os.environ["VAR_DIR"] = var_dir  # SQLite file, broker folders, media: all in the temp folder
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    for folder in ("queue", "processed", "control"):
        os.makedirs(os.path.join(var_dir, "broker", folder), exist_ok=True)
    own_url = os.environ.get("DATABASE_URL", "")
    server_url = bench_server()
    os.environ.pop("DATABASE_URL", None)
    created: list[str] = []
    if server_url:
        names = [os.environ.get(env_name, default) + suffix for suffix in suffixes]
        for name in names:
            check_throwaway_name(name, own_url)
    else:
        names = [os.path.join(var_dir, f"db{suffix}.sqlite3") for suffix in suffixes]
    try:
        if server_url:
            for name in names:
                recreate_database(server_url, name)
                created.append(name)
            os.environ["DATABASE_URL"] = with_database(server_url, names[0])
            described = (
                f"PostgreSQL {', '.join(names)} on {urlparse(server_url).hostname}, "
                "created for this run"
            )
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{names[0]}"
            described = f"SQLite in {var_dir}, created for this run"
        yield described, names
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        for name in created:
            drop_database(server_url, name)
        shutil.rmtree(var_dir, ignore_errors=True)


@contextlib.contextmanager
def throwaway_database(
    *, suffix: str = "", env_name: str = "BENCH_DATABASE", default: str = "alignment_bench"
):
    """One database of throwaway_databases(); yields its description."""
    with throwaway_databases([suffix], env_name=env_name, default=default) as (described, _):
        yield described


def use_database(name: str) -> None:
    """Point Django's `default` connection at another database of throwaway_databases() (its
    NAME), connected before this returns. Call between requests, never inside a transaction."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name
    connection.ensure_connection()


# --- Memory of this process (Linux) ------------------------------------------------------------


def status_kib(field: str) -> int | None:
    """A memory figure of this process from /proc/self/status, in KiB (Linux only)."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match[1]) if match else None


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS, so that a later peak is this measurement's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def memory_start() -> int:
    """Bytes resident now, with the peak reset to it: the start of a growth measurement."""
    import gc

    gc.collect()
    reset_peak()
    return (status_kib("VmRSS") or 0) * 1024


def memory_peak() -> int:
    """The peak resident bytes of this process (since the last reset_peak)."""
    peak = status_kib("VmHWM")
    if peak is None:  # not Linux: ru_maxrss is in KiB on Linux, bytes on macOS
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    return peak * 1024


# --- Verdicts ----------------------------------------------------------------------------------


class Budgets:
    """Collects each figure with its budget; `exit()` ends with status 1 if any was missed."""

    def __init__(self, title: str):
        self.title = title
        self.missed: list[str] = []
        self.checked = 0

    def check(self, what: str, value: float, budget: float, *, at_least=False, unit="") -> bool:
        passed = value >= budget if at_least else value <= budget
        sign = ">=" if at_least else "<="
        self.checked += 1
        if not passed:
            self.missed.append(what)
        print(
            f"  {'PASS' if passed else 'FAIL'}  {what}: {value:,.2f}{unit} "
            f"(budget {sign} {budget:g}{unit})"
        )
        return passed

    def require(self, what: str, passed: bool, detail: str = "") -> bool:
        self.checked += 1
        if not passed:
            self.missed.append(what)
        print(f"  {'PASS' if passed else 'FAIL'}  {what}{f': {detail}' if detail else ''}")
        return passed

    def exit(self) -> None:
        print(
            f"\n{self.title}: {self.checked - len(self.missed)} of {self.checked} budgets met"
            + (f"; missed: {', '.join(self.missed)}." if self.missed else ".")
        )
        if self.missed:
            sys.exit(1)
