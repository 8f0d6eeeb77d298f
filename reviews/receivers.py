"""The reviews app's answers to the strategy app's signals (connected in ReviewsConfig)."""

from __future__ import annotations

from django.dispatch import receiver

from reviews import dispatch
from strategy.signals import calendar_changed, position_published


@receiver(position_published)
def refresh_finish(sender, *, position, now, **kwargs) -> int:
    """Publishing the annual refresh's draft ends the refresh and asks heads to confirm their
    commitments for the new year; returns how many were asked."""
    return dispatch.refresh_finish(position=position, now=now)


@receiver(calendar_changed)
def replan_for_calendar(sender, *, previous_month, month, **kwargs) -> int:
    """A new fiscal calendar moves the planned quarterly reviews with it; returns how many."""
    return dispatch.replan_for_calendar(previous_month=previous_month, month=month)
