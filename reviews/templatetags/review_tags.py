from django import template

from reviews.models import AlignmentCheck
from strategy.models import Commitment, Lever

register = template.Library()

STATE_LABELS = dict(AlignmentCheck.State.choices)


@register.filter
def heat_class(score: float | None) -> str:
    """A CSS class for a 0-100 score: heat-0 (worst) to heat-4 (best), heat-none if unscored."""
    if score is None:
        return "heat-none"
    return f"heat-{min(4, max(0, int(score // 20)))}"


@register.filter
def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


LEVER_LABELS = dict(Lever.choices)
STATUS_LABELS = dict(Commitment.Status.choices)


@register.filter
def lever_label(lever: str) -> str:
    return LEVER_LABELS.get(lever, lever)


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)
