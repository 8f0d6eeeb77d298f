"""The notifications app's Celery tasks. They keep the names they were registered
under in reviews.tasks, so messages queued before a deploy still find them."""

from __future__ import annotations

import time

from celery import shared_task
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from notifications import digests, notify


@shared_task(bind=True, max_retries=None, name="reviews.tasks.send_delivery")
def send_delivery(self, delivery_id: int) -> str:
    """Send one email; the delivery row counts attempts, so retries end as failed, not loop."""
    outcome = notify.delivery_send(delivery_id=delivery_id, now=timezone.now())
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


CHUNK_SECONDS = 60  # a chunk hands what is left to a new task after this, far within the limit


@shared_task(name="reviews.tasks.send_deliveries")
def send_deliveries(delivery_ids: list[int]) -> int:
    """Send a chunk of deliveries one after the other (notify.enqueue); returns how many went.

    Each is claimed and sent by notify.deliveries_send as by send_delivery (what the emails
    say is read a few at a time); one that must wait for a retry gets a send_delivery task of
    its own with that countdown. Run twice (redelivered after a crash), it skips what was sent.
    """
    started = time.monotonic()
    sent = 0
    outcomes = notify.deliveries_send(delivery_ids=delivery_ids, clock=timezone.now)
    try:
        for n, (pk, outcome) in enumerate(outcomes, start=1):
            if outcome.retry_in is not None:
                send_delivery.apply_async((pk,), countdown=outcome.retry_in)
            sent += outcome.state == "sent"
            if n < len(delivery_ids) and time.monotonic() - started > CHUNK_SECONDS:
                send_deliveries.delay(delivery_ids[n:])  # slow SMTP: the rest, in a task of its own
                break
    finally:
        outcomes.close()
    return sent


@shared_task(bind=True, max_retries=None, name="notifications.tasks.send_digest")
def send_digest(self, digest_id: int) -> str:
    """Send one digest (digests.digest_send), as send_delivery sends one email."""
    outcome = digests.digest_send(digest_id=digest_id, now=timezone.now())
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task(name="notifications.tasks.send_due_digests")
def send_due_digests() -> int:
    """The beat's quarter-hourly run (digests.py): the emails waiting for the send hour go, the
    digests of the periods ended are made, and those and the stalled ones are queued; how
    many digests were queued. Safe to run twice: the second makes and sends nothing more."""
    now = timezone.now()
    digests.waiting_release(now=now)
    ids = digests.digests_create(now=now) + digests.redrive_stalled(now=now)

    def send() -> None:
        for pk in ids:
            send_digest.delay(pk)

    transaction.on_commit(send)
    return len(ids)


@receiver(notify.deliveries_written)
def deliveries_written(sender, *, ids: list[int], **kwargs) -> None:
    def send() -> None:
        for start in range(0, len(ids), notify.SEND_CHUNK):
            send_deliveries.delay(ids[start : start + notify.SEND_CHUNK])

    transaction.on_commit(send)


@receiver(digests.digests_retried)
def digests_retried(sender, *, ids: list[int], **kwargs) -> None:
    def send() -> None:
        for pk in ids:
            send_digest.delay(pk)

    transaction.on_commit(send)
