"""The sustained-alignment signals shown on strategy pages (team and objective).

The strategy app imports no higher app, so its templates load these tags instead. They read
the stored board: one row, and the signals of one team or objective by an indexed query.
"""

from django import template
from django.utils import timezone

from sustain import board

register = template.Library()


def _box(**about) -> dict:
    stored = board.stored_board(now=timezone.now())
    return {"signals": list(board.stored_signals().filter(**about)), "board": stored}


@register.simple_tag(takes_context=True)
def team_signals(context, unit):
    """The signals about one team and the board they come from, or None where the user may
    not see them."""
    if not context["request"].user.has_perm("reviews.view_team_signals", unit):
        return None
    return _box(team=unit.pk)


@register.simple_tag(takes_context=True)
def objective_signals(context, objective):
    """The signals about one objective and the board they come from, or None where the user
    may not see them."""
    if not context["request"].user.has_perm("reviews.view_signals"):
        return None
    return _box(objective=objective.pk)
