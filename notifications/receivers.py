"""The notifications app's answers to the reviews app's signals (connected in its
AppConfig.ready)."""

from __future__ import annotations

from django.dispatch import receiver

from notifications import notify
from reviews import announce


@receiver(announce.deliveries_requested)
def deliveries_requested(sender, *, cycle, kind, step, notes, now, **kwargs) -> list[int]:
    return notify.deliveries_create(cycle=cycle, kind=kind, step=step, notes=notes, now=now)


@receiver(announce.stalled_deliveries_due)
def stalled_deliveries_due(sender, *, now, **kwargs) -> int:
    return notify.redrive_stalled(now=now)
