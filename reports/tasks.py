"""The reports app's Celery tasks. They keep the names they were registered
under in reviews.tasks, so messages queued before a deploy still find them."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.dispatch import receiver

from reports import services


@shared_task(name="reviews.tasks.build_report")
def build_report(report_id: int) -> str:
    return services.report_build(report_id=report_id)


@receiver(services.report_requested)
def report_requested(sender, *, report_id: int, **kwargs) -> None:
    transaction.on_commit(lambda: build_report.delay(report_id))
