"""Dispatch run more than once, through a real broker and worker: each reminder is sent once."""

import threading

import pytest

from notifications.models import Delivery, Notification

pytestmark = [
    pytest.mark.integration,
    pytest.mark.needs_postgres,
    pytest.mark.needs_redis,
    # Committed, so that the worker sees it; migration data (groups, rubric) restored first.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REMINDERS = 300
# Every email here comes from the dispatch runs themselves, none from a re-drive.
NO_REDRIVE = 600


def test_dispatch_run_twice_sends_each_of_300_reminders_once(rig, due_reminders):
    due_reminders(REMINDERS)
    rig.start_worker(DELIVERY_STALL_SECONDS=NO_REDRIVE)

    rig.tick(times=2)  # both runs land on the two pool children at once

    states = rig.wait_until_settled(REMINDERS, timeout=90)
    assert states == {Delivery.State.SENT: REMINDERS}
    assert not rig.check_each_sent_once()
    assert Notification.objects.count() == REMINDERS
    rig.report("dispatch twice", f"{len(rig.sink.accepted)} emails, 0 duplicates")


def test_two_beats_for_three_ticks_send_each_of_300_reminders_once(rig, due_reminders):
    due_reminders(REMINDERS)
    rig.start_worker(DELIVERY_STALL_SECONDS=NO_REDRIVE)
    start = threading.Barrier(2)
    errors = []

    def beat() -> None:
        try:
            start.wait(timeout=10)
            for _ in range(3):
                rig.tick()
                threading.Event().wait(0.5)
        except Exception as exc:  # noqa: BLE001 (reported below, in the test's thread)
            errors.append(exc)

    beats = [threading.Thread(target=beat) for _ in range(2)]
    for thread in beats:
        thread.start()
    for thread in beats:
        thread.join(timeout=30)
    assert not errors

    states = rig.wait_until_settled(REMINDERS, timeout=90)
    assert states == {Delivery.State.SENT: REMINDERS}
    assert not rig.check_each_sent_once()
    assert Notification.objects.count() == REMINDERS
    rig.report("two beats x 3 ticks", f"{len(rig.sink.accepted)} emails, 0 duplicates")
