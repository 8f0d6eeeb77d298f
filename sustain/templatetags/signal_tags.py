"""The sustained-alignment signals shown on lower apps' pages: strategy's team and objective
pages, the reviews' cycle page.

Those apps import no higher app, so their templates load these tags instead. They read the
stored board: one row, and the signals of one team or objective by an indexed query; a closed
cycle's signals as its snapshot froze them.
"""

from decimal import Decimal
from functools import cache, partial

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews.models import ReviewCycle
from sustain import board

register = template.Library()


@register.simple_tag(takes_context=True)
def team_signals(context, unit):
    """The signals about one team and the board they come from, or None where the user may
    not see them."""
    if not context["request"].user.has_perm("reviews.view_team_signals", unit):
        return None
    stored = board.stored_board(now=timezone.now())
    return {"signals": board.stored_team_signals([unit.pk]), "board": stored}


@register.simple_tag(takes_context=True)
def objective_signals(context, objective):
    """The board the signals about one objective come from and, read when called, the first
    of them (`list`), how many more there are (`more`, listed on the Signals page,
    `more_url`); None where the user may not see them. An objective has a signal per team of
    some kinds: its page lists a few."""
    if not context["request"].user.has_perm("reviews.view_signals"):
        return None
    stored = board.stored_board(now=timezone.now())
    # The stored signals change only when a refresh stores a board: its generation keys the
    # cached list (`key`), the signals read only when the template does not find it.
    return {
        "signals": cache(partial(_objective_signal_list, objective.pk)),
        "board": stored,
        "key": f"{stored.stored_generation}-{stored.computed_at.isoformat()}",
    }


def _objective_signal_list(objective: int) -> dict:
    signals, total = board.stored_objective_signals(objective)
    more = total - len(signals)
    return {
        "list": signals,
        "more": more,
        "more_url": f"{reverse('sustain:signals')}?objective={objective}" if more else "",
    }


def _cycle_board(context, cycle, results) -> dict:
    """board.cycle_board, read once for the page's agenda and its signal section."""
    key = ("cycle_board", cycle.pk)
    if key not in context.render_context:
        context.render_context[key] = board.cycle_board(cycle, results)
    return context.render_context[key]


@register.simple_tag
def cycle_signals_key(cycle) -> str:
    """What a review page's signals and measured outcomes change with, for the cache key of the
    part that shows them: a running cycle's are the stored board's, which changes only when a
    refresh stores a new generation (one query); a closed one's are its snapshot's, frozen."""
    if cycle.is_closed:
        # A cycle closed before its signals were frozen shows the stored board: as cached with
        # the rest of its page, for as long as that is kept.
        return "frozen"
    stored = board.stored_board(now=timezone.now())
    return f"{stored.stored_generation}-{stored.computed_at.isoformat()}"


@register.inclusion_tag("sustain/_cycle_signals.html", takes_context=True)
def cycle_signals(context, cycle, results=None):
    """A review page's signal section: the first signals as they stood when it closed (from
    `results`, the figures its page read from the snapshot), or as the stored board has them
    while it runs, and how many more there are."""
    found = _cycle_board(context, cycle, results)
    return {
        "signal_list": found["signals"],
        "more": found["more"],
        "link_subjects": True,
        "empty_text": _("No signal."),
    }


@register.simple_tag(takes_context=True)
def cycle_outcome_agenda(context, cycle, results=None) -> list[dict]:
    """The measured outcomes on a review page's agenda: the say-do gaps, promises at risk,
    roller-coaster outcomes and measures not measured, the first few of each kind with how
    many more, as they stood when it closed or as the stored board has them while it runs."""
    return _cycle_board(context, cycle, results)["outcomes"]


@register.simple_tag(takes_context=True)
def position_promises(context, position):
    """Whether each objective's external promise is backed inside (signal 5), by objective
    id, as the stored board judged the current strategy's: None where the user may not see
    the signals or the position is not the one the board judged. One query."""
    if not context["request"].user.has_perm("reviews.view_signals") or not position.is_current:
        return None
    promises = board.stored_promises(now=timezone.now(), fiscal_year=position.fiscal_year)
    if promises is None:
        return None
    return {p["objective"]: p for p in promises}


@register.filter
def promise_of(promises: dict | None, objective):
    """The objective's entry of position_promises, or None."""
    return promises.get(objective.pk) if promises else None


@register.filter
def signal_label(signal: dict) -> str:
    """A signal's label in the reader's language (from its kind; a frozen one's as stored)."""
    return board.signal_label(signal)


@register.filter
def signal_reason(signal: dict) -> str:
    """A signal's reason in the reader's language (from its phrase; as stored when it has
    none), a stored one's or a frozen snapshot's."""
    return board.signal_reason(signal)


@register.filter
def unconverted_reason(missing: dict, fiscal_year) -> str:
    """The Signals page's line about amounts in a currency without a rate (a stored summary's
    `funding_currency.unconverted` entry), in the reader's language; as stored when the
    summary predates its numbers."""
    if "count" not in missing or fiscal_year is None:
        return missing.get("reason", "")
    return board.unconverted_reason(
        count=missing["count"],
        currency=missing["currency"],
        total=Decimal(missing["total"]),
        fiscal_year=missing.get("fiscal_year", fiscal_year),
    )


@register.filter
def review_label(row: dict) -> str:
    """A stored summary's review (its cadence row) named in the reader's language; as stored
    when the summary predates its kind and quarter."""
    if "fiscal_year" not in row:
        return row.get("label", "")
    return ReviewCycle(
        kind=row["kind"], fiscal_year=row["fiscal_year"], quarter=row["quarter"]
    ).label
