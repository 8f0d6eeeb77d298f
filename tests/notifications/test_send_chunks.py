"""Deliveries are enqueued in chunks, one send task each, and every delivery of a chunk is still
claimed, sent and retried on its own."""

import smtplib

import pytest
from django.core.mail import EmailMultiAlternatives

from notifications import notify
from notifications import tasks as notification_tasks
from notifications.models import Delivery
from reviews import dispatch
from tests.reviews.cadence.support import BEFORE_7

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminders(opened):
    """The 7-days-before reminders of Q1 FY2026 (Hugo's and Fay's), waiting to be sent."""
    dispatch.send_due_reminders(now=BEFORE_7)
    return list(Delivery.objects.pending().order_by("pk").values_list("pk", flat=True))


def test_many_deliveries_go_to_the_broker_in_chunks_each_id_once(
    send_tasks, django_capture_on_commit_callbacks
):
    ids = list(range(1, 2 * notify.SEND_CHUNK + 21))

    with django_capture_on_commit_callbacks(execute=True):
        notify.enqueue(ids)

    assert [len(chunk) for chunk in send_tasks.chunks] == [notify.SEND_CHUNK] * 2 + [20]
    assert send_tasks.ids == ids


def test_a_chunk_sends_each_of_its_deliveries_and_running_it_again_sends_none_twice(
    reminders, mailoutbox
):
    assert notification_tasks.send_deliveries.run(reminders) == 2
    assert notification_tasks.send_deliveries.run(reminders) == 0

    assert len(mailoutbox) == 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}


def test_a_delivery_refused_for_now_is_retried_on_its_own_and_the_chunk_goes_on(
    reminders, mailoutbox, monkeypatch
):
    send = EmailMultiAlternatives.send
    refusals = [smtplib.SMTPResponseException(421, b"busy")]

    def flaky(message, **kwargs):
        if refusals:
            raise refusals.pop()
        return send(message, **kwargs)

    retries = []
    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky)
    monkeypatch.setattr(
        notification_tasks.send_delivery,
        "apply_async",
        lambda args, countdown: retries.append((args, countdown)),
    )

    assert notification_tasks.send_deliveries.run(reminders) == 1

    first, second = reminders
    assert [args for args, _ in retries] == [(first,)]
    assert retries[0][1] >= 60  # DELIVERY_RETRY_BASE_SECONDS × 2⁰, plus jitter
    assert Delivery.objects.get(pk=first).state == Delivery.State.PENDING
    assert Delivery.objects.get(pk=second).state == Delivery.State.SENT
    assert len(mailoutbox) == 1


def test_a_slow_chunk_hands_the_rest_to_a_new_task(reminders, mailoutbox, monkeypatch):
    readings = []

    def clock() -> float:  # the first reading starts the chunk; every later one is too late
        readings.append(1)
        return 0 if len(readings) == 1 else notification_tasks.CHUNK_SECONDS + 1

    monkeypatch.setattr(notification_tasks.time, "monotonic", clock)
    handed = []
    monkeypatch.setattr(notification_tasks.send_deliveries, "delay", handed.append)

    assert notification_tasks.send_deliveries.run(reminders) == 1

    assert handed == [reminders[1:]]
    assert len(mailoutbox) == 1
