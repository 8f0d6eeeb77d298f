"""Celery tasks: thin adapters that read the clock and call reviews.dispatch.

Beat only triggers these every few minutes (UTC); each run decides from the database what is
due, so a run missed while workers or beat were down is caught up by the next one.
"""

from celery import shared_task
from django.utils import timezone

from reviews import dispatch


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
