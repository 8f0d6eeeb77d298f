"""Celery tasks: thin adapters that read the clock and call reviews.dispatch or reviews.notify.

Beat only triggers these every few minutes (UTC); each run decides from the database what is
due, so a run missed while workers or beat were down is caught up by the next one.
"""

import time

from celery import shared_task
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from reviews import board, dispatch, notify, reports


@shared_task
def open_due_cycles() -> int:
    return dispatch.open_due_cycles(now=timezone.now())


@shared_task
def send_due_reminders() -> int:
    return dispatch.send_due_reminders(now=timezone.now())


@shared_task
def escalate_overdue() -> int:
    return dispatch.escalate_overdue(now=timezone.now())


@shared_task
def start_annual_refresh() -> int:
    return dispatch.start_annual_refresh(now=timezone.now())


@shared_task
def take_over_positions() -> int:
    return dispatch.take_over_positions(now=timezone.now())


@shared_task(bind=True, max_retries=None)
def send_delivery(self, delivery_id: int) -> str:
    """Send one email; the delivery row counts attempts, so retries end as failed, not loop."""
    outcome = notify.delivery_send(delivery_id=delivery_id, now=timezone.now())
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


CHUNK_SECONDS = 60  # a chunk hands what is left to a new task after this, far within the limit


@shared_task
def send_deliveries(delivery_ids: list[int]) -> int:
    """Send a chunk of deliveries one after the other (notify.enqueue); returns how many went.

    Each is claimed and sent by delivery_send as by send_delivery; one that must wait for a
    retry gets a send_delivery task of its own with that countdown. Run twice (redelivered
    after a crash), it skips what was sent.
    """
    started = time.monotonic()
    sent = 0
    for n, pk in enumerate(delivery_ids):
        if n and time.monotonic() - started > CHUNK_SECONDS:
            send_deliveries.delay(delivery_ids[n:])  # slow SMTP: the rest, in a task of its own
            break
        outcome = notify.delivery_send(delivery_id=pk, now=timezone.now())
        if outcome.retry_in is not None:
            send_delivery.apply_async((pk,), countdown=outcome.retry_in)
        sent += outcome.state == "sent"
    return sent


@shared_task
def build_report(report_id: int) -> str:
    return reports.report_build(report_id=report_id)


@shared_task
def refresh_stale_board() -> int | None:
    """After a commit to the signal board's inputs; a no-op when another run already did it."""
    return board.board_refresh(now=timezone.now(), if_stale=True)


@shared_task
def refresh_board() -> int | None:
    """Daily: the stale-commitment signal depends on today, not only on what was saved."""
    return board.board_refresh(now=timezone.now())


@receiver(board.board_stale)
def board_stale(sender, **kwargs) -> None:
    transaction.on_commit(lambda: refresh_stale_board.delay())


@receiver(notify.deliveries_written)
def deliveries_written(sender, *, ids: list[int], **kwargs) -> None:
    def send() -> None:
        for start in range(0, len(ids), notify.SEND_CHUNK):
            send_deliveries.delay(ids[start : start + notify.SEND_CHUNK])

    transaction.on_commit(send)


@receiver(reports.report_requested)
def report_requested(sender, *, report_id: int, **kwargs) -> None:
    transaction.on_commit(lambda: build_report.delay(report_id))
