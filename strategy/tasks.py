"""Celery tasks of the strategy and organisation app: thin adapters over strategy.services."""

from celery import shared_task
from django.dispatch import receiver

from strategy import services, signals

INVITATION_ATTEMPTS = 5


@shared_task
def send_invitations(user_ids: list[int], attempt: int = 1) -> int:
    """Send these people their invitation; those whose email failed are tried again later.

    Running twice is harmless: whoever has chosen a password meanwhile gets nothing."""
    sent, failed = services.invitations_send(user_ids=user_ids)
    if failed and attempt < INVITATION_ATTEMPTS:
        send_invitations.apply_async((failed, attempt + 1), countdown=60 * 2**attempt)
    return sent


@receiver(signals.invitations_requested)
def invitations_requested(sender, *, user_ids: list[int], **kwargs) -> None:
    send_invitations.delay(user_ids)
