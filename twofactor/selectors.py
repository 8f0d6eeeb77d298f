from __future__ import annotations

from twofactor import services
from twofactor.models import FactorEvent


def profile_section(*, user) -> dict:
    """What the profile page shows of a person's second factor: whether it is on, the recovery
    codes left, whether their role needs it, and its newest history."""
    enrolled = services.is_enrolled(user)
    return {
        "enrolled": enrolled,
        "codes_left": services.recovery_codes_left(user) if enrolled else 0,
        "required": services.is_required(user),
        "events": list(FactorEvent.objects.filter(user=user).newest(limit=5)),
    }
