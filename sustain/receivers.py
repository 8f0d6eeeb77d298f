"""The sustain app's answers to the reviews app's signals (connected in its
AppConfig.ready)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from reviews import events
from reviews.models import ReviewCycle
from strategy.models import (
    Acknowledgement,
    Commitment,
    CompanySettings,
    ExchangeRate,
    Measure,
    MeasureActual,
    MeasurePlanPoint,
    Membership,
    Objective,
    StrategicPosition,
    Unit,
)
from strategy.signals import bulk_written, organisation_imported
from sustain import board
from sustain.models import SignalSettings


@receiver(events.home_sustain)
def home_sustain(sender, *, headed, user, **kwargs) -> dict:
    """The home page's part from the sustain app."""
    context: dict = {}
    if user.has_perm("reviews.view_signals") or headed:
        # The stored board: a row, and a head's own teams' signals by an indexed query.
        stored = board.stored_board(now=timezone.now())
        context["signal_board"] = stored
        if user.has_perm("reviews.view_signals"):
            context["streaks"] = stored.top_streaks
            context["signal_count"] = stored.signal_count
        if headed:
            context["team_signals"] = board.stored_team_signals(sorted(headed))
    return context


@receiver(events.cycle_closing)
def freeze_signals(sender, *, cycle, **kwargs) -> dict:
    """The signals as they stand at closing, kept in the closed cycle's snapshot."""
    return board.frozen_summary(board.board(now=cycle.closed_at, as_of=cycle))


# What the live signal board is computed from (sustain.board.board): saving or deleting any of
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
    Measure,
    MeasurePlanPoint,
    MeasureActual,
    SignalSettings,
    ReviewCycle,
)


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


@receiver(bulk_written)
def board_input_written_in_bulk(sender, **kwargs) -> None:
    """Rows of a board input written without a save signal per row (the import of measure
    values)."""
    if sender in BOARD_INPUTS:
        board.board_mark_stale(now=timezone.now())
