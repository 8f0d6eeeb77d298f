"""Celery tasks: thin adapters that read the clock and call reviews.dispatch or reviews.notify.

Beat only triggers these every few minutes (UTC); each run decides from the database what is
due, so a run missed while workers or beat were down is caught up by the next one.
"""

from celery import shared_task
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from reviews import dispatch, notify, reports


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


@shared_task
def build_report(report_id: int) -> str:
    return reports.report_build(report_id=report_id)


@receiver(notify.deliveries_written)
def deliveries_written(sender, *, ids: list[int], **kwargs) -> None:
    def send() -> None:
        for pk in ids:
            send_delivery.delay(pk)

    transaction.on_commit(send)


@receiver(reports.report_requested)
def report_requested(sender, *, report_id: int, **kwargs) -> None:
    transaction.on_commit(lambda: build_report.delay(report_id))
