"""Reminders for 10,000 teams on a real Redis, and a worker's email rate: `python -m bench.cadence`.

    python -m bench.cadence [--teams 10000] [--emails 1000] [--concurrency 2]

Builds, in a throwaway database (bench.common: PostgreSQL when DATABASE_URL points at a server,
SQLite otherwise), N functional teams, each with a head and an unsubmitted check in a quarterly
review due tomorrow. The broker is a real Redis: BENCH_REDIS_URL, by default database 9 of the
server on 127.0.0.1:6379, which is flushed before and after the run, so it must be a database
nothing else uses (the run refuses REDIS_URL's own).

Budgets (issue #12):
- deciding and enqueueing the reminders for 10,000 teams (reviews.dispatch.send_due_reminders:
  a delivery and an in-app notification per head, one send task per chunk of deliveries on
  Redis) takes under 10 s of wall time, with every delivery in a queued task, once; a second
  run finds nothing due;
- a Celery worker (`celery -A alignment worker`, prefork, --concurrency processes, DEBUG off)
  sends at least 100 emails a second to a local SMTP sink (aiosmtpd, in this process): the
  rate of --emails reminders from the moment they are enqueued to the last one received.
Exits with status 1 when any is missed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench.common import Budgets, print_header, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
MAX_DISPATCH_SECONDS = 10.0
MIN_EMAILS_PER_SECOND = 100.0


def _build(teams: int):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from reviews.models import AlignmentCheck, CadenceSettings, ReviewCycle
    from strategy.models import (
        Acknowledgement,
        Membership,
        Objective,
        StrategicPosition,
        Theme,
        Unit,
    )

    User = get_user_model()
    today = timezone.localdate()
    password = make_password("bench")
    config = CadenceSettings.load()
    config.reminder_hour = 0
    config.reminder_days_before_due = "7,1"
    config.save()
    executive = User.objects.create(username="bench-exec", password=password)
    position = StrategicPosition.objects.create(
        fiscal_year=today.year,
        statement="We win on service.",
        status=StrategicPosition.Status.PUBLISHED,
        is_current=True,
    )
    Objective.objects.create(
        position=position,
        title="Deliver on the promised date",
        owner=executive,
        priority_weight=100,
        theme=Theme.SERVICE,
        internal_message="Ship on the promised date.",
        external_promise="Your order arrives on the date we promise.",
    )
    units = Unit.objects.bulk_create(
        [
            Unit(code=f"team-{i:05d}", name=f"Team {i:05d}", level="functional", kind="team")
            for i in range(teams)
        ],
        batch_size=1000,
    )
    heads = User.objects.bulk_create(
        [
            User(username=f"head-{i:05d}", email=f"head-{i:05d}@example.com", password=password)
            for i in range(teams)
        ],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [
            Membership(unit=u, user=h, role=Membership.Role.HEAD)
            for u, h in zip(units, heads, strict=True)
        ],
        batch_size=1000,
    )
    cycle = ReviewCycle.objects.create(
        position=position,
        fiscal_year=position.fiscal_year,
        quarter=1,
        opens_on=today - timedelta(days=5),
        due_on=today + timedelta(days=1),
        state=ReviewCycle.State.OPEN,
        opened_at=timezone.now(),
    )
    AlignmentCheck.objects.bulk_create(
        [AlignmentCheck(cycle=cycle, unit=u) for u in units], batch_size=1000
    )
    # Everyone has read the strategy: only the check reminders are measured.
    Acknowledgement.objects.bulk_create(
        [Acknowledgement(user=h, position=position) for h in heads], batch_size=1000
    )


class Sink:
    """An SMTP server on 127.0.0.1 that accepts every message and counts them."""

    def __init__(self):
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # lines per SMTP command

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.received = 0
        self.last_at = 0.0
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        with self._lock:
            self.received += 1
            self.last_at = time.perf_counter()
        return "250 2.0.0 OK"


def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=5)


def _queued(url: str) -> int:
    client = _redis(url)
    try:
        return client.llen("celery")
    finally:
        client.close()


def _queued_delivery_ids(url: str) -> list[int]:
    """The delivery ids of the send tasks waiting in Redis (kombu's JSON, base64 bodies)."""
    import base64
    import json

    client = _redis(url)
    try:
        messages = client.lrange("celery", 0, -1)
    finally:
        client.close()
    ids = []
    for raw in messages:
        message = json.loads(raw)
        args, _, _ = json.loads(base64.b64decode(message["body"]))
        if message["headers"]["task"] == "reviews.tasks.send_deliveries":
            ids.extend(args[0])
        elif message["headers"]["task"] == "reviews.tasks.send_delivery":
            ids.append(args[0])
    return ids


def _dispatch(budgets: Budgets, teams: int, redis_url: str) -> None:
    from django.utils import timezone

    from notifications.models import Delivery, Notification
    from reviews import dispatch

    started = time.perf_counter()
    created = dispatch.send_due_reminders(now=timezone.now())
    seconds = time.perf_counter() - started
    queued = _queued(redis_url)
    queued_ids = _queued_delivery_ids(redis_url)
    print(
        f"send_due_reminders: {created} deliveries created, {Notification.objects.count()} "
        f"notifications, {queued} send tasks in Redis for {len(queued_ids)} deliveries, "
        f"in {seconds:.2f} s"
    )
    budgets.check(
        f"deciding and enqueueing the reminders of {teams:,} teams",
        seconds,
        MAX_DISPATCH_SECONDS,
        unit=" s",
    )
    all_ids = sorted(Delivery.objects.values_list("pk", flat=True))
    budgets.require(
        "one delivery per head, each in one task in Redis",
        created == teams == len(all_ids) and sorted(queued_ids) == all_ids,
        f"{created} created, {len(queued_ids)} queued in {queued} tasks, for {teams} heads",
    )
    started = time.perf_counter()
    again = dispatch.send_due_reminders(now=timezone.now())
    budgets.require(
        "a second run finds nothing due",
        again == 0 and _queued(redis_url) == queued,
        f"{again} created in {time.perf_counter() - started:.2f} s",
    )


def _worker_env(sink: Sink, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_DEBUG", "EMAIL_BACKEND")}
    return env | {
        "DJANGO_SETTINGS_MODULE": "alignment.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),  # DEBUG off, as in production
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def _emails(budgets: Budgets, args, redis_url: str) -> None:
    from notifications import notify
    from notifications.models import Delivery

    _redis(redis_url).flushdb()  # the 10,000 tasks above: only --emails of them are sent
    sink = Sink()
    sink.controller.start()
    name = f"bench-{uuid.uuid4().hex[:8]}@localhost"
    log_path = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])
    command = [
        *(sys.executable, "-m", "celery", "-A", "alignment", "worker", "-P", "prefork"),
        *("-c", str(args.concurrency), "-n", name, "-l", "info"),
        *("--without-heartbeat", "--without-mingle", "--without-gossip"),
    ]
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            command,
            cwd=ROOT,
            env=_worker_env(sink, redis_url),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its pool below
        )
    try:
        deadline = time.monotonic() + 60
        while f"{name} ready." not in log_path.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"The worker did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        print(
            f"\nWorker: celery -A alignment worker -P prefork -c {args.concurrency}, DEBUG off, "
            f"SMTP sink on 127.0.0.1:{sink.port}"
        )
        ids = list(Delivery.objects.order_by("pk").values_list("pk", flat=True)[: args.emails])
        started = time.perf_counter()
        notify.enqueue(ids)  # as dispatch does: outside a transaction, enqueued at once
        enqueued = time.perf_counter() - started
        timeout = time.monotonic() + 30 + len(ids) / 10
        while sink.received < len(ids) and time.monotonic() < timeout:
            time.sleep(0.05)
        seconds = (sink.last_at or time.perf_counter()) - started
        rate = sink.received / seconds if seconds > 0 else 0.0
        sent = Delivery.objects.filter(pk__in=ids, state=Delivery.State.SENT).count()
        print(
            f"{len(ids)} deliveries enqueued in {enqueued:.2f} s; {sink.received} emails at the "
            f"sink {seconds:.1f} s after the first was enqueued; {sent} deliveries marked sent"
        )
        budgets.check("emails a second from one worker", rate, MIN_EMAILS_PER_SECOND, at_least=True)
        budgets.require(
            "every email sent once and marked sent",
            sink.received == sent == len(ids),
            f"{sink.received} received, {sent} sent, of {len(ids)}",
        )
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)  # warm shutdown of the worker and its pool
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        sink.controller.stop()
        log_path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cadence", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--emails", type=int, default=1_000, help="emails the worker sends")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print_header("Cadence: reminders for 10,000 teams on Redis, a worker's email rate")
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    if redis_url == os.environ.get("REDIS_URL"):
        sys.exit(
            f"BENCH_REDIS_URL is REDIS_URL ({redis_url}): the benchmark flushes it; use another."
        )
    os.environ["REDIS_URL"] = redis_url  # the settings' broker: this process enqueues on it
    try:
        _redis(redis_url).flushdb()
    except Exception as exc:  # noqa: BLE001  (any connection error: say which Redis)
        sys.exit(f"No Redis at {redis_url}: {exc}")
    budgets = Budgets("Cadence")
    try:
        with throwaway_database(suffix="_cadence") as described:
            import django

            django.setup()
            from django.conf import settings
            from django.core.management import call_command

            settings.DEBUG = False  # no query log in the measured dispatch, as in production

            print(f"Database: {described}; broker: Redis {redis_url} (flushed)")
            call_command("migrate", verbosity=0, interactive=False)
            built = time.perf_counter()
            _build(args.teams)
            print(f"Built {args.teams:,} teams in {time.perf_counter() - built:.1f} s.")
            _dispatch(budgets, args.teams, redis_url)
            if args.emails:
                _emails(budgets, args, redis_url)
    finally:
        _redis(redis_url).flushdb()
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    budgets.exit()


if __name__ == "__main__":
    main()
