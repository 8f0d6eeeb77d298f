"""Deciding and enqueueing the reminders for 10,000 teams: `python -m bench.cadence`.

Builds, in a throwaway SQLite database, an organisation of N functional teams, each with a
head and an unsubmitted check in a quarterly review due tomorrow, then runs the reminder
dispatch twice: the first run creates a delivery and an in-app notification per head and
enqueues one send task each (on an in-memory broker, so the enqueueing is real Celery work);
the second finds nothing due. Prints the time and SQL query count of both, at two sizes: the
query count grows with the 1,000-row batches, not with the teams.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import timedelta

from bench.__main__ import _configure, cpu_check


def _build(teams: int):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from alignment.models import (
        CadenceSettings,
        Membership,
        Objective,
        StrategicPosition,
        Theme,
        Unit,
    )
    from reviews.models import Acknowledgement, AlignmentCheck, ReviewCycle

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


def _clear() -> None:
    from django.contrib.auth import get_user_model

    from alignment.models import Membership, Objective, StrategicPosition, Unit
    from reviews.models import Acknowledgement, AlignmentCheck, Delivery, Notification, ReviewCycle

    for model in (Notification, Delivery, Acknowledgement, AlignmentCheck, ReviewCycle, Membership):
        model.objects.all().delete()
    Objective.objects.all().delete()
    StrategicPosition.objects.all().delete()
    Unit.objects.all().delete()
    get_user_model().objects.all().delete()


def _measure(label: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from reviews import dispatch, tasks

    sent = []
    original = tasks.send_delivery.delay

    def counting_delay(*args, **kwargs):
        sent.append(args)
        return original(*args, **kwargs)

    tasks.send_delivery.delay = counting_delay
    try:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            created = dispatch.send_due_reminders(now=timezone.now())
            seconds = time.perf_counter() - started
    finally:
        tasks.send_delivery.delay = original
    return {
        "label": label,
        "created": created,
        "enqueued": len(sent),
        "seconds": seconds,
        "queries": len(queries.captured_queries),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cadence")
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    args = parser.parse_args(argv)
    print(f"CPU check: {cpu_check():.2f} s (0.56 s on the 2-core reference machine)")
    var_dir = tempfile.mkdtemp(prefix="alignment-bench-cadence-")
    try:
        _configure(var_dir)
        import os

        # A real Celery producer, without files or servers: the in-memory transport.
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from alignment.celery import app

        app.conf.broker_url = "memory://"
        app.conf.broker_transport_options = {}
        settings.DEBUG = False
        call_command("migrate", verbosity=0, interactive=False)
        rows = []
        for teams in (args.small, args.teams):
            _clear()
            started = time.perf_counter()
            _build(teams)
            print(f"Built {teams} teams in {time.perf_counter() - started:.1f} s.")
            rows.append({"teams": teams} | _measure("due: decide and enqueue"))
            rows.append({"teams": teams} | _measure("again: nothing due"))
        print(f"\n{'teams':>6}  {'run':<24} {'created':>8} {'enqueued':>9} {'s':>7} {'queries':>8}")
        for r in rows:
            print(
                f"{r['teams']:>6}  {r['label']:<24} {r['created']:>8} {r['enqueued']:>9} "
                f"{r['seconds']:>7.2f} {r['queries']:>8}"
            )
        small, large = rows[0], rows[2]
        per_thousand = (large["queries"] - small["queries"]) / ((args.teams - args.small) / 1000)
        print(
            f"\nQueries: {small['queries']} at {args.small} teams, {large['queries']} at "
            f"{args.teams}: {per_thousand:.0f} more per 1,000 teams, the bulk inserts of "
            "deliveries and notifications (SQLite splits each into statements of at most 999 "
            f"parameters). Nothing due: {rows[1]['queries']} and {rows[3]['queries']} queries."
        )
        ok = rows[1]["created"] == rows[3]["created"] == 0 and large["enqueued"] == args.teams
        # Batches, not teams: far fewer queries than teams, and none more when nothing is due.
        ok = ok and per_thousand <= 40 and rows[1]["queries"] == rows[3]["queries"]
        print("PASS" if ok else "FAIL")
        if not ok:
            sys.exit(1)
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
