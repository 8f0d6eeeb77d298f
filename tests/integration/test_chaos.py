"""Kills mid-run: a pool child, the whole worker, the Redis server. Nothing goes missing, and
an email goes out twice only for a delivery that was being sent at the moment of the kill.

The worker kills land at the worst moment: the SMTP sink has just received a message and the
sender waits for the "250" to mark its delivery sent. That delivery must go out again (the
sink counts it twice: the "effectively once" window), every other one exactly once.
"""

import os
import signal
import time

import pytest

from notifications.models import Delivery

pytestmark = [
    pytest.mark.integration,
    pytest.mark.needs_postgres,
    pytest.mark.needs_redis,
    # Committed, so that the worker sees it; migration data (groups, rubric) restored first.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REMINDERS = 300


def test_kill_9_of_a_pool_child_mid_send_requeues_its_task_and_misses_nothing(rig, due_reminders):
    due_reminders(REMINDERS)
    worker = rig.start_worker()
    killed = {}

    def kill_the_sender(key: str, client_port: int) -> None:
        pid = worker.child_connected_from(client_port)
        killed.update(key=key, pid=pid)
        if pid:
            os.kill(pid, signal.SIGKILL)

    done = rig.sink.on_message(50, kill_the_sender)
    rig.tick()
    assert done.wait(timeout=30), "the 50th email never arrived"
    assert killed["pid"], "no pool child was sending the 50th email"
    in_flight = rig.in_flight() | {killed["key"]}

    # No tick after the kill: the killed child's task must come back from the broker by itself
    # (acks_late + task_reject_on_worker_lost), not from the dispatcher's re-drive.
    states = rig.wait_until_settled(REMINDERS, timeout=60)
    assert states == {Delivery.State.SENT: REMINDERS}
    duplicates = rig.check_each_sent_once(allowed_duplicates={killed["key"]})
    assert duplicates == {killed["key"]: 1}, "the killed child's email goes out again, once"
    assert "signal 9" in worker.log.read_text(), "the worker did not see its child killed"
    rig.report(
        "kill -9 pool child",
        f"killed pid {killed['pid']} sending {killed['key']}; in flight: {sorted(in_flight)}; "
        f"duplicates: {dict(duplicates)}",
    )


def test_kill_9_of_the_whole_worker_mid_send_then_a_restart_misses_nothing(rig, due_reminders):
    due_reminders(REMINDERS)
    worker = rig.start_worker()
    killed = {}

    def kill_the_worker(key: str, client_port: int) -> None:
        killed.update(key=key)
        os.killpg(worker.proc.pid, signal.SIGKILL)

    done = rig.sink.on_message(100, kill_the_worker)
    rig.tick()
    assert done.wait(timeout=30), "the 100th email never arrived"
    worker.kill()  # reaps it
    in_flight = rig.in_flight()
    assert killed["key"] in in_flight
    assert len(in_flight) <= rig.concurrency
    sent_at_kill = len(rig.sink.accepted)

    rig.start_worker()
    # A tick after the stall grace re-drives what the dead worker held; the rest of the queue is
    # still in Redis (and unacknowledged messages come back after the visibility timeout).
    time.sleep(rig.stall_seconds)
    rig.tick()
    states = rig.wait_until_settled(REMINDERS, timeout=60)
    assert states == {Delivery.State.SENT: REMINDERS}
    duplicates = rig.check_each_sent_once(allowed_duplicates=in_flight)
    assert duplicates[killed["key"]] == 1
    assert duplicates.total() <= rig.concurrency
    rig.report(
        "kill -9 whole worker + restart",
        f"{sent_at_kill} emails before the kill; in flight: {sorted(in_flight)}; "
        f"duplicates: {dict(duplicates)}",
    )


def test_redis_killed_and_restarted_mid_run_misses_nothing_after_the_next_tick(rig, due_reminders):
    due_reminders(REMINDERS)
    worker = rig.start_worker()
    # Production restarts a worker that exits (docker-compose.yml: restart: unless-stopped), and
    # kombu 5.7 sometimes makes it exit on the lost connection (see rig.crashes below).
    rig.supervised = True
    rig.tick()
    rig.wait_for_emails(100)

    # Without persistence every queued task is lost with the server.
    before = rig.in_flight()
    rig.redis.kill()
    in_flight = before | rig.in_flight()
    sent_at_kill = len(rig.sink.accepted)
    time.sleep(1)
    rig.redis.start()
    restarted = time.monotonic()

    time.sleep(rig.stall_seconds)
    rig.tick()
    # celery#8990: a worker that reconnects but no longer consumes would never run this tick.
    rig.wait_for_emails(
        sent_at_kill + len(in_flight) + 1,
        timeout=60,
        what="the worker to consume again after Redis came back (celery#8990)",
    )
    consuming_after = time.monotonic() - restarted
    states = rig.wait_until_settled(REMINDERS, timeout=90)
    assert states == {Delivery.State.SENT: REMINDERS}
    duplicates = rig.check_each_sent_once(allowed_duplicates=in_flight)
    assert duplicates.total() <= len(in_flight)
    if not rig.crashes:
        reconnects = worker.log.read_text().count("Connected to redis://")
        assert reconnects >= 2, "the worker never logged its reconnection"
    rig.report(
        "redis kill -9 + restart",
        f"{sent_at_kill} emails before the kill; consuming again {consuming_after:.1f}s and "
        f"all sent {time.monotonic() - restarted:.1f}s after the restart; "
        f"in flight: {sorted(in_flight)}; duplicates: {dict(duplicates) or 0}; "
        f"worker crashes (restarted as in production): {rig.crashes or 0}",
    )
