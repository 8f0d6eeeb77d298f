"""What the sustain app's pages (and the review pages it answers for) read."""

from __future__ import annotations

from datetime import datetime
from functools import cache, partial

from django.db.models import Count
from django.http import QueryDict
from django.utils.http import urlencode

from reviews.forms import SignalFilterForm
from strategy import versions
from strategy.models import Unit
from strategy.selectors import counted_page
from sustain import board

SIGNALS_PER_PAGE = 25
STREAKS_SHOWN = 10
READING_SHOWN = 25


def signals_page(*, user, params: QueryDict, now: datetime) -> dict:
    """The stored board's time and state, and what the page's template caches under
    `body_key` and reads from `body` only when it does not find it there.

    The body shows the stored board (its generation and time), the regions' names (which
    strategy.versions counts), what the user may change (the thresholds, the company's
    rates) and the page's parameters: a new board, a renamed region or another filter is
    another key, so every change shows at once."""
    stored = board.stored_board(now=now)
    may = "".join(
        "1" if user.has_perm(perm) else "0"
        for perm in ("reviews.edit_signal_settings", "alignment.edit_company")
    )
    shown = urlencode(sorted(params.lists()), doseq=True)
    return {
        "stored": stored,
        "body": cache(partial(_signals_body, params=params, now=now)),
        "body_key": (
            f"{stored.stored_generation}-{stored.computed_at.isoformat()}-{int(stored.is_stale)}"
            f"-{versions.current()}-{may}-{shown}"
        ),
    }


def _signals_body(*, params: QueryDict, now: datetime) -> dict:
    """The stored board's summary and a page of its signals, filtered by kind and region (the
    choices counting the signals of each) and by objective, with the streaks and the reading
    of the strategy."""
    stored = board.stored_board(now=now, summary=True)
    summary = stored.summary
    everything = board.stored_signals()
    kind_counts = dict(everything.order_by().values_list("kind").annotate(n=Count("pk")))
    region_counts = dict(
        everything.exclude(region=None).order_by().values_list("region").annotate(n=Count("pk"))
    )
    # A subquery, not the ids: the same single query whether or not any signal has a region.
    region_names = dict(
        Unit.objects.filter(pk__in=everything.values("region")).values_list("pk", "name")
    )
    filters = SignalFilterForm(
        params or None,
        kinds=[(k, f"{label} ({kind_counts[k]})") for k, label in board.KINDS if k in kind_counts],
        regions=sorted(
            ((pk, f"{name} ({region_counts.get(pk, 0)})") for pk, name in region_names.items()),
            key=lambda choice: choice[1],
        ),
    )
    listed, kind, region = everything, None, None
    if filters.is_valid():
        kind, region = filters.cleaned_data["kind"] or None, filters.cleaned_data["region"]
        if kind:
            listed = listed.filter(kind=kind)
        if region is not None:
            listed = listed.filter(region=region)
        if filters.cleaned_data["objective"]:  # from an objective's page: its signals
            listed = listed.filter(objective=filters.cleaned_data["objective"])
    page = counted_page(listed, SIGNALS_PER_PAGE, params.get("page"))
    total = stored.signal_count
    streaks = summary.get("streaks", [])
    reading = [a for a in summary.get("acknowledgement", []) if region in (None, a["region"])]
    query = params.copy()
    query.pop("page", None)
    return {
        "board": summary,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "total": total,
        "hidden": total - page.paginator.count,
        "streaks": streaks[:STREAKS_SHOWN],
        "more_streaks": max(0, len(streaks) - STREAKS_SHOWN),
        "reading": reading[:READING_SHOWN],
        "more_reading": max(0, len(reading) - READING_SHOWN),
        "region_name": region_names.get(region),
    }
