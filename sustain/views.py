"""The pages of the sustain app."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from reviews.forms import SignalFilterForm
from strategy import roles
from strategy.models import Unit
from sustain import board
from sustain.forms import SignalSettingsForm
from sustain.models import SignalSettings

SIGNALS_PER_PAGE = 25


STREAKS_SHOWN = 10


READING_SHOWN = 25


def signals(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_signals")
    stored = board.stored_board(now=timezone.now(), summary=True)
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
        request.GET or None,
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
    page = Paginator(listed, SIGNALS_PER_PAGE).get_page(request.GET.get("page"))
    total = stored.signal_count
    reading = [a for a in summary.get("acknowledgement", []) if region in (None, a["region"])]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "sustain/signals.html",
        {
            "stored": stored,
            "board": summary,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "total": total,
            "hidden": total - page.paginator.count,
            "streaks": summary.get("streaks", [])[:STREAKS_SHOWN],
            "more_streaks": max(0, len(summary.get("streaks", [])) - STREAKS_SHOWN),
            "reading": reading[:READING_SHOWN],
            "more_reading": max(0, len(reading) - READING_SHOWN),
            "region_name": region_names.get(region),
        },
    )


def signal_settings_edit(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.edit_signal_settings")
    form = SignalSettingsForm(request.POST or None, instance=SignalSettings.load())
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Signal thresholds saved.")
            return redirect("sustain:signals")
        messages.error(request, "Nothing was saved: please correct the errors below.")
    return render(request, "sustain/signal_settings_form.html", {"form": form})
