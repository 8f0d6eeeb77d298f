"""The sustained-alignment signals shown on strategy pages (team and objective).

The strategy app imports no higher app, so its templates load these tags instead.
"""

from django import template
from django.utils import timezone

from reviews import board

register = template.Library()


@register.simple_tag(takes_context=True)
def team_signals(context, unit):
    """The signals about one team, or None where the user may not see them."""
    if not context["request"].user.has_perm("reviews.view_team_signals", unit):
        return None
    return board.for_team(board.board(now=timezone.now()), unit.pk)


@register.simple_tag(takes_context=True)
def objective_signals(context, objective):
    """The signals about one objective, or None where the user may not see them."""
    if not context["request"].user.has_perm("reviews.view_signals"):
        return None
    return board.for_objective(board.board(now=timezone.now()), objective.pk)
