from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from reviews import dispatch, docs, events, forms, selectors, services, standings, trends
from reviews.forms import (
    ActionForm,
    CadenceSettingsForm,
    CheckForm,
    CheckMeasuresForm,
    CycleDatesForm,
    CycleForm,
    ExecutiveScoreForm,
    ReopenForm,
    RubricFormSet,
)
from reviews.models import (
    Action,
    AlignmentCheck,
    CadenceSettings,
    ReviewCycle,
    RubricQuestion,
)
from strategy import roles
from strategy.models import (
    Acknowledgement,
    Objective,
    StrategicPosition,
    Unit,
)

CYCLES_PER_PAGE = 20


def _safe_next(request: HttpRequest, fallback: str) -> str:
    """The posted `next` page when it is on this site, else `fallback`."""
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else fallback


def get_cycle_for_user(
    request: HttpRequest, pk: int, *, with_snapshot: bool = False
) -> ReviewCycle:
    """The cycle; its snapshot too with `with_snapshot`, for the pages showing it in full."""
    roles.require(request, "reviews.view_cycles")
    cycles = ReviewCycle.objects.select_related("position")
    if with_snapshot:
        cycles = cycles.with_snapshot()
    return get_object_or_404(cycles, pk=pk)


def _get_check_for_user(request: HttpRequest, pk: int) -> AlignmentCheck:
    check = selectors.check_with_cycle(pk)
    if check is None or not request.user.has_perm("reviews.view_check", check):
        raise Http404
    return check


# --- Home ----------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on what it needs."""
    user = request.user
    context = selectors.home_member(user=user, today=timezone.localdate())
    context |= selectors.home_head(headed=context["headed"])
    context |= events.ask(events.home_sustain, headed=context["headed"], user=user)
    if user.has_perm("reviews.view_cycles"):
        context |= selectors.home_reviewer()
    if roles.can_see_drafts(user):
        context |= selectors.home_refresh()
    return render(request, "reviews/home.html", context)


# --- Cycles ----------------------------------------------------------------------------------


def cycle_list(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_cycles")
    page = Paginator(standings.cycle_rows(), CYCLES_PER_PAGE).get_page(request.GET.get("page"))
    cycles = list(page.object_list)
    standings.add_live_index(cycles)
    return render(request, "reviews/cycle_list.html", {"page": page, "cycles": cycles})


def cycle_create(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    position = StrategicPosition.objects.current()
    if position is None:
        messages.error(request, _("Publish a strategic position before planning a review."))
        return redirect("reviews:cycle-list")
    if request.method == "POST":
        form = CycleForm(request.POST, instance=ReviewCycle(position=position))
        if form.is_valid():
            cycle = form.save()
            messages.success(request, _("%(cycle)s planned.") % {"cycle": cycle.label})
            return redirect(cycle.get_absolute_url())
    else:
        form = CycleForm(initial=selectors.next_cycle_initial(position))
    return render(request, "reviews/cycle_form.html", {"form": form, "position": position})


def cycle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A planned review's dates, changed before it opens (a typo that keeps it from opening)."""
    roles.require(request, "reviews.run_reviews")
    with transaction.atomic():
        cycle = get_object_or_404(
            ReviewCycle.objects.quarterly().defer("snapshot").select_for_update(), pk=pk
        )
        if cycle.state != ReviewCycle.State.PLANNED:
            messages.error(
                request,
                _("%(cycle)s has opened: its dates can no longer change.") % {"cycle": cycle.label},
            )
            return redirect(cycle.get_absolute_url())
        form = CycleDatesForm(request.POST or None, instance=cycle)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(
                request, _("The dates of %(cycle)s are saved.") % {"cycle": cycle.label}
            )
            return redirect(cycle.get_absolute_url())
    return render(request, "reviews/cycle_dates_form.html", {"form": form, "cycle": cycle})


def cycle_heatmap(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_cycle_for_user(request, pk)
    current = standings.summary(cycle)
    done = standings.completion(cycle)
    context = {
        "cycle": cycle,
        "results": current,
        "completion": done,
        "can_export": request.user.has_perm("reviews.export_reports"),
    }
    context |= selectors.team_table(cycle, current, done, user=request.user, params=request.GET)
    return render(request, "reviews/cycle_heatmap.html", context)


def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.view_cycles")
    context = selectors.cycle_page(
        pk=pk, user=request.user, params=request.GET, today=timezone.localdate()
    )
    return render(request, "reviews/cycle_detail.html", context)


@require_POST
def cycle_open(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    cycle = get_cycle_for_user(request, pk)
    refusal = cycle.open_refusal(today=timezone.localdate(), config=CadenceSettings.load())
    if refusal:
        messages.error(
            request,
            _("%(cycle)s was not opened. %(refusal)s") % {"cycle": cycle.label, "refusal": refusal},
        )
    else:
        dispatch.cycle_open_and_notify(cycle=cycle, now=timezone.now())
        count = cycle.checks.count()
        messages.success(
            request,
            ngettext(
                "%(cycle)s opened: %(count)s team has a check to fill in.",
                "%(cycle)s opened: %(count)s teams have a check to fill in.",
                count,
            )
            % {"cycle": cycle.label, "count": count},
        )
    return redirect(cycle.get_absolute_url())


@require_POST
def cycle_start_review(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    cycle = get_cycle_for_user(request, pk)
    if services.cycle_start_review(cycle=cycle):
        messages.success(request, _("%(cycle)s is in review.") % {"cycle": cycle.label})
    else:
        messages.error(
            request,
            # Translators: state is the cycle's state, lower case ("planned", "closed").
            _("Only an open review can start its meeting; %(cycle)s is %(state)s.")
            % {"cycle": cycle.label, "state": cycle.get_state_display().lower()},
        )
    return redirect(cycle.get_absolute_url())


@require_POST
def cycle_close(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    cycle = get_cycle_for_user(request, pk)
    try:
        with transaction.atomic():
            closed = services.cycle_close(cycle=cycle, by=request.user)
            if closed:
                dispatch.notify_cycle_closed(cycle=cycle, now=timezone.now())
                cycle.refresh_from_db()
                events.cycle_closed.send(sender=ReviewCycle, cycle=cycle)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(cycle.get_absolute_url())
    cycle.refresh_from_db()
    if closed:
        messages.success(
            request, _("%(cycle)s closed; its results are frozen.") % {"cycle": cycle.label}
        )
    elif cycle.is_closed:  # closing twice is a no-op, not an error
        messages.info(request, _("%(cycle)s is already closed.") % {"cycle": cycle.label})
    else:
        messages.error(
            request,
            _("%(cycle)s is not open yet: there is nothing to close.") % {"cycle": cycle.label},
        )
    return redirect(cycle.get_absolute_url())


@require_POST
def executive_score(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    cycle = get_cycle_for_user(request, pk)
    form = ExecutiveScoreForm(request.POST, cycle=cycle)
    if form.is_valid():
        try:
            services.executive_score_set(
                cycle=cycle,
                unit=form.cleaned_data["unit"],
                objective=form.cleaned_data["objective"],
                score=form.cleaned_data["score"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your score is recorded."))
    else:
        messages.error(
            request, _("Your score was not recorded: %(errors)s") % {"errors": _form_errors(form)}
        )
    return redirect(cycle.get_absolute_url() + "#executive-score")


def _form_errors(form) -> str:
    return "; ".join(
        f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}".lstrip(": ")
        for f, e in form.errors.items()
    )


# --- Actions ---------------------------------------------------------------------------------


def action_create(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    cycle = get_cycle_for_user(request, pk)
    if not cycle.is_running:
        if cycle.is_closed:
            refusal = _("No action was recorded: %(cycle)s is closed: its decisions are frozen.")
        else:
            refusal = _("No action was recorded: %(cycle)s is not open yet.")
        messages.error(request, refusal % {"cycle": cycle.label})
        return redirect(cycle.get_absolute_url())
    if request.method == "POST":
        form = ActionForm(request.POST, cycle=cycle)
        if form.is_valid():
            services.action_create(cycle=cycle, by=request.user, form=form)
            messages.success(request, _("Action recorded."))
            return redirect(cycle.get_absolute_url() + "#actions")
    else:
        form = ActionForm(cycle=cycle, initial=ActionForm.initial_from(request.GET, cycle=cycle))
    return render(request, "reviews/action_form.html", {"form": form, "cycle": cycle})


@require_POST
def action_complete(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    action = get_object_or_404(
        Action.objects.select_related("cycle").defer("cycle__snapshot"), pk=pk
    )
    if action.is_done:  # completing twice keeps the first completion time
        messages.info(request, _("“%(action)s” was already done.") % {"action": action})
    else:
        action.complete()
        messages.success(request, _("“%(action)s” is done.") % {"action": action})
    return redirect(_safe_next(request, action.cycle.get_absolute_url()))


# --- Checks ----------------------------------------------------------------------------------


def _check_page(request, check: AlignmentCheck, *, data=None, conflict: str = "", status=200):
    context = selectors.check_page(check=check, user=request.user, data=data)
    context["conflict"] = conflict
    return render(request, "reviews/check_edit.html", context, status=status)


def check_edit(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check_for_user(request, pk)
    return _check_page(request, check)


@require_GET
def check_history(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check_for_user(request, pk)
    context = {
        "check": check,
        "cycle": check.cycle,
        **selectors.check_history_page(check, page=request.GET.get("page")),
    }
    return render(request, "reviews/check_history.html", context)


@require_POST
def check_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save as draft or submit; htmx autosaves post here too and get a status line back."""
    check = _get_check_for_user(request, pk)
    roles.require(request, "reviews.edit_check", check)
    form = CheckForm(request.POST, check=check)
    if not form.is_valid():
        return _save_failed(request, check, _("Some values are not valid; see the marked fields."))
    try:
        check = services.check_save(check=check, by=request.user, **form.save_arguments())
    except services.StaleCheck as exc:
        return _save_failed(request, check, str(exc), conflict=True)
    except ValidationError as exc:
        return _save_failed(request, check, " ".join(exc.messages))
    if request.htmx:
        return render(request, "reviews/_save_status.html", {"check": check, "saved": True})
    messages.success(
        request, _("Check submitted. Thank you.") if check.is_submitted else _("Draft saved.")
    )
    return redirect(check.get_absolute_url())


def _save_failed(request, check, message: str, conflict: bool = False):
    if request.htmx:
        return render(
            request,
            "reviews/_save_status.html",
            {"check": check, "error": message, "conflict": conflict},
        )
    messages.error(request, message)
    # Re-render with what was posted, so nothing typed is lost.
    return _check_page(
        request,
        check,
        data=request.POST,
        conflict=message if conflict else "",
        status=409 if conflict else 400,
    )


@require_POST
def check_measures_save(request: HttpRequest, pk: int) -> HttpResponse:
    """The values of the measures the team reports, saved apart from the check (its own rows,
    its own autosave): htmx posts here on every change and gets a status line back."""
    check = _get_check_for_user(request, pk)
    measures = list(services.check_measures(check))
    form = CheckMeasuresForm(request.POST, check=check, measures=measures)
    if form.unknown:
        return _measures_failed(
            request, check, form, _("These are not values your team reports for this review.")
        )
    if check.cycle.is_closed:
        return _measures_failed(
            request, check, form, _("This review is closed: its measure values are read-only.")
        )
    # Every value posted is one the user may enter; a post of none is refused to whoever may
    # enter no value (reports_measure of None is false).
    for measure in form.posted_measures or [None]:
        roles.require(request, "alignment.enter_measure_actuals", measure)
    if not form.is_valid():
        return _measures_failed(request, check, form, _("Not saved: see the marked values."))
    try:
        recorded = services.check_measures_save(check=check, values=form.changes, by=request.user)
    except services.StaleMeasureValue as exc:
        return _measures_failed(request, check, form, str(exc), conflict=True)
    except IntegrityError:  # the first value of a period, entered by two people at once
        message = _("Not saved: someone entered this value at the same moment.")
        return _measures_failed(request, check, form, message, conflict=True)
    except ValidationError as exc:
        return _measures_failed(request, check, form, " ".join(exc.messages))
    if request.htmx:
        saved = {forms.measure_field_name(c.measure, c.period) for c in form.changes}
        changed = {c.measure.pk for c in form.changes}
        rows = selectors.measure_rows(
            check=check, measures=[m for m in measures if m.pk in changed]
        )
        cells = [c for row in rows for c in row.cells if c.name in saved]
        return render(request, "reviews/_measures_status.html", {"cells": cells, "saved": True})
    messages.success(request, _("Measure values saved.") if recorded else _("No value changed."))
    return redirect(check.get_absolute_url())


def _measures_failed(request, check, form, message: str, conflict: bool = False):
    """Nothing was saved: say why beside the values, and keep every value as typed."""
    status = 409 if conflict else 400
    if request.htmx:
        page = selectors.check_measures(
            check=check, user=request.user, data=request.POST, errors=form.errors
        )
        posted = {name for _measure, _period, name in form.posted}
        cells = [c for row in page["measures"] for c in row.cells if c.name in posted]
        context = {"cells": cells, "error": message, "check": check, "conflict": conflict}
        # 200, so that htmx swaps the answer in: the status line says it was refused.
        return render(request, "reviews/_measures_status.html", context)
    messages.error(request, message)
    context = selectors.check_page(
        check=check, user=request.user, measure_data=request.POST, measure_errors=form.errors
    )
    context["conflict"] = message if conflict else ""
    return render(request, "reviews/check_edit.html", context, status=status)


@require_POST
def check_add_objective(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check_for_user(request, pk)
    roles.require(request, "reviews.edit_check", check)
    objective = get_object_or_404(Objective.objects.active(), pk=request.POST.get("objective") or 0)
    try:
        with transaction.atomic():
            services.check_add_objective(check=check, objective=objective)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("“%(objective)s” added to the check.") % {"objective": objective}
        )
    return redirect(check.get_absolute_url())


@require_POST
def check_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check_for_user(request, pk)
    roles.require(request, "reviews.run_reviews")
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the check is reopened."))
        return redirect(check.get_absolute_url())
    try:
        services.check_reopen(check=check, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Check reopened; the head can edit it again."))
    return redirect(check.get_absolute_url())


# --- Rubric ----------------------------------------------------------------------------------


def rubric_edit(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    formset = RubricFormSet(request.POST or None, queryset=RubricQuestion.objects.all())
    if request.method == "POST":
        if formset.is_valid():
            with transaction.atomic():
                formset.save()
            messages.success(request, _("Rubric saved."))
            return redirect("reviews:rubric-edit")
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(request, "reviews/rubric_edit.html", {"formset": formset})


# --- Trends ----------------------------------------------------------------------------------


def trend_company(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_cycles")
    q = request.GET.get("q", "").strip()[:120]
    number = request.GET.get("page", "")[:12]
    body_key, cycles = trends.overview_key()
    # The body changes only with what body_key counts: the template caches it under that
    # key (and the page, the search and the language); the trends are read only to fill it.
    trend = trends.when_read(page_number=number or None, q=q, cycles=cycles)
    return render(
        request,
        "reviews/trends.html",
        {"q": q, "number": number, "body_key": body_key, "trend": trend},
    )


def trend_objective(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.view_cycles")
    objective = get_object_or_404(Objective, pk=pk)
    return render(
        request,
        "reviews/trend_detail.html",
        {"subject": objective.title, "chart": trends.objective_chart(objective)},
    )


def trend_team(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_object_or_404(Unit, code=code)
    roles.require(request, "reviews.view_team_trend", unit)
    return render(
        request,
        "reviews/trend_detail.html",
        {"subject": unit.name, "chart": trends.team_chart(unit)},
    )


# --- Cadence, operations, notifications ------------------------------------------------------


def cadence_edit(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.edit_cadence")
    config = CadenceSettings.load()
    form = CadenceSettingsForm(request.POST or None, instance=config)
    if request.method == "POST":
        if form.is_valid():
            previous = CadenceSettings.load()
            with transaction.atomic():
                config = form.save()
                moved = 0
                if set(form.changed_data) & dispatch.DATE_SETTINGS:
                    moved = dispatch.replan_cycles(config=config, previous=previous)
            if moved:
                saved = ngettext(
                    "Cadence settings saved. %(count)s planned review moved.",
                    "Cadence settings saved. %(count)s planned reviews moved.",
                    moved,
                ) % {"count": moved}
            else:
                saved = _("Cadence settings saved.")
            messages.success(request, saved)
            return redirect("reviews:cadence-edit")
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(request, "reviews/cadence_form.html", {"form": form})


# --- Reports ---------------------------------------------------------------------------------


# --- Sustained alignment ---------------------------------------------------------------------


@require_GET
def doc_detail(request: HttpRequest, name: str) -> HttpResponse:
    """A page of the product's documentation: how the signals and the scores are computed."""
    try:
        page = docs.doc(name)
    except KeyError:
        raise Http404 from None
    return render(request, "reviews/doc_detail.html", {"doc": page})


@require_POST
def acknowledge(request: HttpRequest) -> HttpResponse:
    """A person confirms they have read the current strategy and their team's commitments."""
    position = StrategicPosition.objects.current()
    if position is None:
        raise Http404
    Acknowledgement.objects.get_or_create(user=request.user, position=position)
    messages.success(
        request,
        _("Thank you: you have read the FY%(year)s strategy.") % {"year": position.fiscal_year},
    )
    return redirect(_safe_next(request, position.get_absolute_url()))
