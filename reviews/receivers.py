"""The reviews app's answers to the strategy app's signals (connected in ReviewsConfig)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from reviews import board, dispatch
from reviews.models import CadenceSettings, ReviewCycle, SignalSettings
from strategy.models import (
    Acknowledgement,
    Commitment,
    CompanySettings,
    ExchangeRate,
    Membership,
    Objective,
    StrategicPosition,
    Unit,
)
from strategy.signals import organisation_imported, position_published

# What the live signal board is computed from (reviews.board.board): saving or deleting any of
# these marks the stored board stale. Checks and scores count only once their cycle closes,
# which saves the cycle.
BOARD_INPUTS = (
    Commitment,
    Membership,
    Acknowledgement,
    Unit,
    Objective,
    StrategicPosition,
    CompanySettings,
    ExchangeRate,
    SignalSettings,
    ReviewCycle,
)


@receiver(position_published)
def refresh_finish(sender, *, position, now, **kwargs) -> int:
    """Publishing the annual refresh's draft ends the refresh and asks heads to confirm their
    commitments for the new year; returns how many were asked."""
    return dispatch.refresh_finish(position=position, now=now)


def company_calendar() -> tuple[int | None, str | None]:
    """The first month of fiscal years and the time zone, as the cadence settings say (strategy
    reads them; None where the settings have no row yet)."""
    row = CadenceSettings.objects.values_list("fiscal_year_start_month", "time_zone").first()
    return row or (None, None)


def board_input_changed(sender, **kwargs) -> None:
    board.board_mark_stale(now=timezone.now())


def board_user_changed(sender, *, update_fields=None, **kwargs) -> None:
    # Only who is active counts (a reader of the strategy); a login saves last_login alone.
    if update_fields is None or "is_active" in update_fields:
        board.board_mark_stale(now=timezone.now())


for _model in BOARD_INPUTS:
    post_save.connect(board_input_changed, sender=_model, dispatch_uid=f"board-{_model.__name__}")
    post_delete.connect(
        board_input_changed, sender=_model, dispatch_uid=f"board-del-{_model.__name__}"
    )
post_save.connect(board_user_changed, sender=get_user_model(), dispatch_uid="board-user")
post_delete.connect(board_input_changed, sender=get_user_model(), dispatch_uid="board-del-user")


@receiver(organisation_imported)
def board_import_done(sender, **kwargs) -> None:
    """An import writes units and memberships in bulk, without a save per row."""
    board.board_mark_stale(now=timezone.now())
