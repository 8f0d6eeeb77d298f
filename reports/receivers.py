"""The reports app's answers to the reviews app's signals (connected in its
AppConfig.ready)."""

from __future__ import annotations

from django.dispatch import receiver

from reports import services
from reviews import events


@receiver(events.cycle_closed)
def build_reports(sender, *, cycle, **kwargs) -> None:
    services.reports_for_closed_cycle(cycle=cycle)
