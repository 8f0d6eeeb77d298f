"""The integration rig: a private redis-server, an SMTP sink, real Celery workers on the test
database, and due reminders to send.

Every test gets its own redis-server on a free port of 127.0.0.1, so that killing it or leaving
unacknowledged messages behind never touches the machine's Redis. The worker runs as
`celery -A alignment worker` in its own process group, with the test database's DATABASE_URL:
tests using the rig are `django_db(transaction=True)`, so what they write is committed and the
worker sees it. Ticks are sent through the broker, as beat sends them.
"""

from __future__ import annotations

import contextlib
import email
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, deque
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from aiosmtpd.controller import Controller
from celery import Celery
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from notifications.models import Delivery
from reviews import services as review_services
from reviews.models import CadenceSettings
from strategy.models import Acknowledgement, Commitment, CompanySettings, Lever, Membership, Unit
from tests.factories import ReviewCycleFactory, UserFactory, make_published_position

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_SERVICES = os.environ.get("ALIGNMENT_REQUIRE_SERVICES") == "true"
CONCURRENCY = 2
TICK = "reviews.tasks.send_due_reminders"
# Short enough for a test, in the worker's environment (production: 60 s, 600 s, 3600 s).
RETRY_BASE_SECONDS = 0.2
STALL_SECONDS = 2
VISIBILITY_TIMEOUT = 10

REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("integration: what the chaos did")
        for line in REPORT:
            terminalreporter.write_line(line)


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.1, on_fail=None):
    """Poll `condition` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            detail = f"\n{on_fail()}" if on_fail else ""
            pytest.fail(f"Timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _need(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        # Where the servers are required (CI), a missing one fails instead of skipping.
        message = f"needs {program} on PATH"
        pytest.fail(message) if REQUIRE_SERVICES else pytest.skip(message)
    return path


# --- Redis ----------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of our own, without persistence: a kill -9 loses every queued message."""

    def __init__(self, directory: Path):
        self.binary = _need("redis-server")
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.directory / f"redis-{self.starts}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--daemonize", "no"]
            + ["--dir", str(self.directory)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_until(self.ping, timeout=10, what=f"redis-server on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


# --- SMTP -----------------------------------------------------------------------------------


class SmtpSink:
    """Accepts mail on 127.0.0.1 and records each message's X-Alignment-Delivery header.

    `refuse("421 ...", times=3)` answers the next three messages with that reply; `reply` is
    the answer after those (250 unless a test changes it); `rcpt_reply` answers RCPT TO.
    `on_message(n, action)` runs `action(key, client_port)` when the n-th message has arrived
    and before it is answered: the moment the sender waits for the "250" to mark it sent.
    """

    def __init__(self):
        self.port = free_port()
        self.reply = "250 2.0.0 OK"
        self.rcpt_reply = "250 2.1.5 OK"
        self._refusals: deque[str] = deque()
        self._lock = threading.Lock()
        self._accepted: list[str] = []
        self._refused: list[str] = []
        self._answered_at: list[float] = []
        self._received = 0
        self._actions: dict[int, object] = {}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def refuse(self, reply: str, *, times: int) -> None:
        with self._lock:
            self._refusals.extend([reply] * times)

    def on_message(self, n: int, action) -> threading.Event:
        done = threading.Event()

        def run(key: str, client_port: int) -> None:
            try:
                action(key, client_port)
            finally:
                done.set()

        self._actions[n] = run
        return done

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # noqa: N802
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        else:
            with self._lock:
                self._refused.append(f"RCPT TO:<{address}>")
        return self.rcpt_reply

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        key = message.get("X-Alignment-Delivery", "")
        # Like a real server, the message is taken (or refused) once its data has arrived,
        # even if the sender is gone before it reads the answer.
        with self._lock:
            self._received += 1
            action = self._actions.pop(self._received, None)
            reply = self._refusals.popleft() if self._refusals else self.reply
            (self._accepted if reply.startswith("250") else self._refused).append(key)
            self._answered_at.append(time.monotonic())
        if action:
            action(key, session.peer[1])
        return reply

    @property
    def accepted(self) -> list[str]:
        with self._lock:
            return list(self._accepted)

    @property
    def refused(self) -> list[str]:
        with self._lock:
            return list(self._refused)

    @property
    def answered_at(self) -> list[float]:
        with self._lock:
            return list(self._answered_at)


# --- Celery ---------------------------------------------------------------------------------


def database_url() -> str:
    """The test database (pytest-django has renamed NAME by now), as a DATABASE_URL."""
    db = settings.DATABASES["default"]
    assert db["ENGINE"].endswith("postgresql"), "the integration tests need PostgreSQL"
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{db.get('HOST') or ''}{port}/{quote(db['NAME'], safe='')}"


def process_children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def socket_owner(local_port: int, pids: list[int]) -> int | None:
    """Which of `pids` has a TCP socket bound to 127.0.0.1:`local_port` (an SMTP client)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:
                continue
    return None


class Worker:
    """`celery -A alignment worker -c 2 -P prefork` in its own process group."""

    def __init__(self, *, env: dict[str, str], log: Path):
        self.name = f"it-{uuid.uuid4().hex[:8]}@localhost"
        self.env = env
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self, *, timeout: float = 60) -> Worker:
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "alignment", "worker"]
                + ["-c", str(CONCURRENCY), "-P", "prefork", "-l", "info", "-n", self.name]
                + ["--without-heartbeat", "--without-mingle", "--without-gossip"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def ready() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(f"The worker exited with {self.proc.returncode}\n{self.tail()}")
            return f"{self.name} ready." in self.log.read_text(errors="replace")

        wait_until(ready, timeout=timeout, what="the worker to be ready", on_fail=self.tail)
        return self

    def kill(self) -> None:
        """kill -9 of the whole process group: the main process and its pool children (also
        those left behind by a main process that died on its own)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):  # nothing left in the group
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    @property
    def died(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def children(self) -> list[int]:
        return process_children(self.proc.pid)

    def child_connected_from(self, port: int) -> int | None:
        """The pool child whose connection (to the SMTP sink, say) comes from `port`."""
        return socket_owner(port, self.children())

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return f"(no log at {self.log})"
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {self.log.name} ({self.name}), last {len(text)} lines ---\n" + "\n".join(text)


class Rig:
    """One test's servers: redis, SMTP sink, workers; and what it asks of them."""

    concurrency = CONCURRENCY
    retry_base_seconds = RETRY_BASE_SECONDS
    stall_seconds = STALL_SECONDS

    def __init__(self, directory: Path):
        self.directory = directory
        self.redis = RedisServer(directory)
        self.sink = SmtpSink()
        self.workers: list[Worker] = []
        self.crashes: list[str] = []
        self.supervised = False  # restart a worker that dies on its own, as production does

    def restart_worker_if_it_died(self) -> bool:
        """What docker-compose.yml's `restart: unless-stopped` does for the worker."""
        if not self.worker.died:
            return False
        self.crashes.append(f"{self.worker.name} exited with {self.worker.proc.returncode}")
        env = self.worker.env
        log = self.directory / f"worker-{len(self.workers)}.log"
        self.workers.append(Worker(env=env, log=log))
        self.worker.start()
        return True

    def worker_env(self) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_", "EMAIL"))
        }
        env |= {
            "DJANGO_SETTINGS_MODULE": "alignment.settings",
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.redis.url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.sink.port}",
            "DELIVERY_RETRY_BASE_SECONDS": str(RETRY_BASE_SECONDS),
            "DELIVERY_STALL_SECONDS": str(STALL_SECONDS),
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "VAR_DIR": str(self.directory / "var"),
            "PYTHONUNBUFFERED": "1",
        }
        return env

    def start_worker(self, **env: object) -> Worker:
        """Start a worker and wait until it is ready; `env` overrides its environment."""
        log = self.directory / f"worker-{len(self.workers)}.log"
        worker = Worker(env=self.worker_env() | {k: str(v) for k, v in env.items()}, log=log)
        self.workers.append(worker)
        return worker.start()

    @property
    def worker(self) -> Worker:
        return self.workers[-1]

    def tails(self) -> str:
        return "\n".join(w.tail() for w in self.workers)

    # --- Beat's part ---

    def tick(self, times: int = 1) -> None:
        """Send the dispatch task through the broker, as beat does (a fresh connection each
        time, so that a restarted redis-server is reconnected to)."""
        app = Celery("integration-beat", broker=self.redis.url, set_as_current=False)
        try:
            for _ in range(times):
                app.send_task(TICK, retry=True)
        finally:
            app.close()

    # --- What happened ---

    def wait_for_emails(self, count: int, *, timeout: float = 30, what: str = "") -> None:
        def arrived() -> bool:
            if self.supervised:
                self.restart_worker_if_it_died()
            return len(self.sink.accepted) >= count

        wait_until(
            arrived,
            timeout=timeout,
            what=what or f"{count} emails at the sink",
            on_fail=self.tails,
        )

    def queued(self) -> int | None:
        """Messages in the broker: waiting in a queue or delivered and not acknowledged yet.
        None while Redis does not answer."""
        client = redis.Redis.from_url(self.redis.url, socket_timeout=2)
        try:
            queues = [k for k in client.scan_iter(match="celery*") if client.type(k) == b"list"]
            return sum(client.llen(k) for k in queues) + client.hlen("unacked")
        except redis.RedisError:
            return None
        finally:
            client.close()

    def wait_until_settled(self, count: int, *, timeout: float, what: str = "") -> Counter:
        """Wait until `count` deliveries exist and none is pending; their states.

        Fails early when deliveries stay pending while the broker holds no message at all:
        nothing will ever send them (until a tick re-drives them).
        """
        stuck_since = None

        def states() -> Counter:
            rows = Delivery.objects.order_by().values_list("state").annotate(n=Count("pk"))
            return Counter(dict(rows))

        def kinds() -> dict:
            rows = Delivery.objects.order_by().values_list("kind", "state").annotate(n=Count("pk"))
            return {f"{kind}/{state}": n for kind, state, n in rows}

        def explain() -> str:
            attempts = dict(
                Delivery.objects.pending()
                .order_by()
                .values_list("attempts")
                .annotate(n=Count("pk"))
            )
            return (
                f"deliveries by kind/state: {kinds()}; pending ones by attempts made: "
                f"{attempts}; messages in the broker: {self.queued()}\n{self.tails()}"
            )

        def settled() -> Counter | None:
            nonlocal stuck_since
            if self.supervised:
                self.restart_worker_if_it_died()
            now = states()
            if now.total() == count and not now[Delivery.State.PENDING]:
                return now
            if now[Delivery.State.PENDING] and self.queued() == 0:
                stuck_since = stuck_since or time.monotonic()
                if time.monotonic() - stuck_since > 3:
                    pytest.fail(
                        "Deliveries stay pending with no message left in the broker: their "
                        f"tasks ended without sending them.\n{explain()}"
                    )
            else:
                stuck_since = None
            return None

        return wait_until(
            settled,
            timeout=timeout,
            what=what or f"{count} deliveries, none pending",
            interval=0.25,
            on_fail=explain,
        )

    def in_flight(self) -> set[str]:
        """Deliveries being sent now: claimed (an attempt counted) but not yet marked sent."""
        rows = Delivery.objects.pending().filter(attempts__gte=1)
        return {f"{pk}:{kind}:{step}" for pk, kind, step in rows.values_list("pk", "kind", "step")}

    def check_each_sent_once(self, *, allowed_duplicates: set[str] = frozenset()) -> Counter:
        """Every delivery is sent and reached the sink; returns the keys received twice or more,
        after checking they are among `allowed_duplicates` (the deliveries in flight at a kill)."""
        expected = {
            f"{pk}:{kind}:{step}"
            for pk, kind, step in Delivery.objects.values_list("pk", "kind", "step")
        }
        received = Counter(self.sink.accepted)
        missing = expected - set(received)
        assert not missing, f"{len(missing)} deliveries never reached the sink: {sorted(missing)}"
        unexpected = set(received) - expected
        assert not unexpected, f"emails for unknown deliveries: {sorted(unexpected)}"
        assert Delivery.objects.exclude(state=Delivery.State.SENT).count() == 0
        duplicates = Counter({key: n - 1 for key, n in received.items() if n > 1})
        assert set(duplicates) <= set(allowed_duplicates), (
            f"duplicates {dict(duplicates)} for deliveries not in flight at the kill "
            f"({sorted(allowed_duplicates)})"
        )
        return duplicates

    def report(self, test: str, line: str) -> None:
        REPORT.append(f"{test}: {line}")
        print(f"{test}: {line}")

    def close(self) -> None:
        for worker in self.workers:
            worker.kill()
        self.redis.kill()
        self.sink.controller.stop()


@pytest.fixture
def rig(transactional_db, tmp_path):
    """Redis and the SMTP sink running; `rig.start_worker()` starts a worker on them."""
    _need("redis-server")
    smtp_log = logging.getLogger("mail.log")  # aiosmtpd logs every SMTP command at INFO
    smtp_log_level = smtp_log.level
    smtp_log.setLevel(logging.WARNING)
    rig = Rig(tmp_path)
    rig.redis.start()
    rig.sink.controller.start()
    try:
        yield rig
    finally:
        # Shown by pytest only when the test failed.
        print(rig.tails())
        rig.close()
        smtp_log.setLevel(smtp_log_level)


# --- Data -----------------------------------------------------------------------------------


def make_due_reminders(count: int, *, today: date | None = None):
    """`count` functional teams, each with one head and a commitment, and an open quarterly
    review due tomorrow: the dispatch task finds one reminder due for each head ("before-1"),
    and nothing else."""
    today = today or timezone.now().date()
    CompanySettings.objects.update_or_create(pk=1, defaults={"time_zone": "UTC"})
    CadenceSettings.objects.update_or_create(
        pk=1,
        defaults={
            "reminder_hour": 0,
            "reminder_days_before_due": "7,1",
            "overdue_reminder_every_days": 3,
        },
    )
    owner = UserFactory(username="integration-owner")
    position = make_published_position(fiscal_year=today.year, by=owner, objectives=1)
    objective = position.objectives.get()
    units = Unit.objects.bulk_create(
        Unit(
            code=f"team-{i:03}",
            name=f"Team {i:03}",
            level=Unit.Level.FUNCTIONAL,
            kind=Unit.Kind.TEAM,
        )
        for i in range(count)
    )
    heads = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"head-{i:03}", email=f"head-{i:03}@example.com", password="!unusable"
        )
        for i in range(count)
    )
    Membership.objects.bulk_create(
        Membership(unit=unit, user=head, role=Membership.Role.HEAD)
        for unit, head in zip(units, heads, strict=True)
    )
    # They have read the strategy: the only reminder due is the check's.
    Acknowledgement.objects.bulk_create(
        Acknowledgement(user=head, position=position) for head in heads
    )
    Commitment.objects.bulk_create(
        Commitment(
            unit=unit,
            objective=objective,
            lever=Lever.PEOPLE,
            statement="Train every picker on the new scanners.",
            target="100% trained",
            due_on=today + timedelta(days=60),
        )
        for unit in units
    )
    cycle = ReviewCycleFactory(
        position=position,
        fiscal_year=today.year,
        quarter=1,
        opens_on=today - timedelta(days=13),
        due_on=today + timedelta(days=1),
    )
    review_services.cycle_open(cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.checks.count() == count
    return cycle


@pytest.fixture
def due_reminders(transactional_db):
    """`due_reminders(300)`: build the data for that many due reminders."""
    return make_due_reminders
