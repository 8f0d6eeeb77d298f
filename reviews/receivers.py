"""The reviews app's answers to the strategy app's signals (connected in ReviewsConfig)."""

from __future__ import annotations

from django.dispatch import receiver

from reviews import dispatch
from strategy.signals import position_published


@receiver(position_published)
def refresh_finish(sender, *, position, now, **kwargs) -> int:
    """Publishing the annual refresh's draft ends the refresh and asks heads to confirm their
    commitments for the new year; returns how many were asked."""
    return dispatch.refresh_finish(position=position, now=now)
