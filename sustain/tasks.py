"""The sustain app's Celery tasks. They keep the names they were registered
under in reviews.tasks, so messages queued before a deploy still find them."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from sustain import board


@shared_task(name="reviews.tasks.refresh_stale_board")
def refresh_stale_board() -> int | None:
    """After a commit to the signal board's inputs; a no-op when another run already did it."""
    return board.board_refresh(now=timezone.now(), if_stale=True)


@shared_task(name="reviews.tasks.refresh_board")
def refresh_board() -> int | None:
    """Daily: the stale-commitment signal depends on today, not only on what was saved."""
    return board.board_refresh(now=timezone.now())


@receiver(board.board_stale)
def board_stale(sender, **kwargs) -> None:
    transaction.on_commit(lambda: refresh_stale_board.delay())
