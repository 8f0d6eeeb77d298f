"""The notifications app's answers to the reviews app's signals (connected in its
AppConfig.ready)."""

from __future__ import annotations

from django.dispatch import receiver

from notifications import notify, webhooks
from reviews import announce, events


@receiver(announce.deliveries_requested)
def deliveries_requested(
    sender, *, cycle, kind, step, notes, now, teams=None, executives=None, **kwargs
) -> list[int]:
    return notify.deliveries_create(
        cycle=cycle,
        kind=kind,
        step=step,
        notes=notes,
        now=now,
        teams=teams,
        executives=executives,
    )


@receiver(announce.stalled_deliveries_due)
def stalled_deliveries_due(sender, *, now, **kwargs) -> int:
    return notify.redrive_stalled(now=now)


@receiver(events.happened)
def review_event(sender, *, event, cycle, check, now, **kwargs) -> list[int]:
    """The webhooks of a cycle opened or closed and of a check submitted or reopened. A check's
    key is its version, which every save moves: submitted again after a reopening, it is a new
    event."""
    if check is None:
        step = f"cycle-{cycle.pk}"

        def data() -> dict:
            return {"cycle": webhooks.cycle_data(cycle)}
    else:
        step = f"check-{check.pk}-v{check.version}"

        def data() -> dict:
            return {
                "check": webhooks.check_data(check, team_name=check.unit.name),
                "cycle": webhooks.cycle_data(cycle),
            }

    return notify.webhooks_emit(event=event, step=step, data=data, now=now, cycle=cycle)
