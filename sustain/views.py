"""The pages of the sustain app."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from strategy import roles
from sustain import selectors
from sustain.forms import SignalSettingsForm
from sustain.models import SignalSettings


def signals(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_signals")
    context = selectors.signals_page(user=request.user, params=request.GET, now=timezone.now())
    return render(request, "sustain/signals.html", context)


def signal_settings_edit(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.edit_signal_settings")
    form = SignalSettingsForm(request.POST or None, instance=SignalSettings.load())
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Signal thresholds saved."))
            return redirect("sustain:signals")
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(request, "sustain/signal_settings_form.html", {"form": form})
