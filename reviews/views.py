from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from reviews import dispatch, docs, events, selectors, services, standings, trends
from reviews.forms import (
    ActionForm,
    CadenceSettingsForm,
    CheckForm,
    CycleForm,
    ExecutiveScoreForm,
    ReopenForm,
    RubricFormSet,
    TeamFilterForm,
)
from reviews.models import (
    Action,
    AlignmentCheck,
    CadenceSettings,
    CheckReopening,
    ReviewCycle,
    RubricQuestion,
    quarter_end,
)
from strategy import roles
from strategy import services as strategy
from strategy.models import (
    Acknowledgement,
    Commitment,
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


def _report_files(cycle: ReviewCycle) -> dict:
    """Answered by the reports app (events.report_files): reviews imports no app above it."""
    return events.ask(events.report_files, cycle=cycle)


def _cycle_signals(cycle: ReviewCycle, current: dict) -> tuple[list[dict], int]:
    """Answered by the sustain app (events.cycle_signals): reviews imports no app above it."""
    return events.ask(events.cycle_signals, cycle=cycle, current=current)


def _get_check_for_user(request: HttpRequest, pk: int) -> AlignmentCheck:
    # A closed cycle's snapshot is big and the check pages never show it (nor its position).
    checks = (
        AlignmentCheck.objects.select_related("cycle", "unit", "updated_by")
        .defer("cycle__snapshot")
        # Whether to read the reopenings at all: most checks were never reopened.
        .annotate(
            was_reopened=Exists(CheckReopening.objects.filter(alignment_check=OuterRef("pk")))
        )
    )
    check = get_object_or_404(checks, pk=pk)
    if not request.user.has_perm("reviews.view_check", check):
        raise Http404
    return check


# --- Home ----------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on what it needs."""
    user = request.user
    today = timezone.localdate()
    # The current position, whether the user has read it, and the drafts they may see: one query.
    draft = StrategicPosition.Status.DRAFT
    shown = Q(is_current=True)
    if roles.can_see_drafts(user):
        shown |= Q(status=draft)
    positions = list(
        StrategicPosition.objects.filter(shown).annotate(
            is_read=Exists(Acknowledgement.objects.filter(user=user.pk, position=OuterRef("pk")))
        )
    )
    position = next((p for p in positions if p.is_current), None)
    my_units = roles.member_units(user)
    headed = roles.headed_unit_ids(user)
    context = {
        "position": position,
        "my_units": my_units,
        "headed": headed,
        "today": today,
        "open_checks": AlignmentCheck.objects.filter(
            unit_id__in=headed,
            cycle__state__in=[ReviewCycle.State.OPEN, ReviewCycle.State.IN_REVIEW],
        )
        .select_related("cycle", "unit")
        .defer("cycle__snapshot")
        .order_by("cycle__due_on"),
        "due_soon": Commitment.objects.open()
        .filter(unit__in=my_units, due_on__lte=today + timedelta(days=45))
        .select_related("unit", "objective")
        .order_by("due_on")[:20],
        "drafts": [p for p in positions if p.status == draft],
    }
    context |= events.ask(events.home_sustain, headed=headed, user=user)
    context["position_read"] = position is not None and position.is_read
    if user.has_perm("reviews.view_cycles"):
        # The quarterly review, not the annual refresh (which has no checks) even when the
        # refresh opened later; the refresh gets its own card.
        # One query for the quarters (each with its frozen index) that the card and its chart
        # show; the running cycle's index from its stored scores, the checks counted by state.
        cycles = trends.quarterly_cycles()
        cycle = max(cycles, key=lambda c: c.opens_on, default=None)
        if cycle is not None:
            index = _index(cycle)
            key = (cycle.fiscal_year, cycle.quarter)
            earlier = [c for c in cycles if (c.fiscal_year, c.quarter) < key]
            before = _index(earlier[-1]) if earlier else None
            context |= {
                "cycle": cycle,
                "results": {"index": index},
                "completion": standings.completion(cycle),
                "change": None if before is None or index is None else index - before,
                "index_trend": trends.company_chart(
                    live_results={"index": index}, live_cycle=cycle, cycles=cycles
                ),
            }
    if roles.can_see_drafts(user):
        refresh = (
            ReviewCycle.objects.filter(kind=ReviewCycle.Kind.ANNUAL, state__in=dispatch.RUNNING)
            .select_related("position")
            .order_by("-fiscal_year")
            .first()
        )
        if refresh is not None:
            context |= {
                "refresh": refresh,
                "refresh_undecided": strategy.undecided_objectives(refresh.position).count(),
            }
    return render(request, "reviews/home.html", context)


def _index(cycle: ReviewCycle) -> float | None:
    """The index of one of trends.quarterly_cycles(): frozen once closed, else live."""
    if not cycle.is_closed:
        return services.live_index(cycle)
    if cycle.index is None:  # none frozen: cycle_scores() knows a cycle closed before freezing
        return services.cycle_scores(cycle, index_only=True)["index"]
    return cycle.index


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
        messages.error(request, "Publish a strategic position before planning a review.")
        return redirect("reviews:cycle-list")
    if request.method == "POST":
        form = CycleForm(request.POST, instance=ReviewCycle(position=position))
        if form.is_valid():
            cycle = form.save()
            messages.success(request, f"{cycle.label} planned.")
            return redirect(cycle.get_absolute_url())
    else:
        year, quarter = _next_quarter(position)
        opens_on = quarter_end(year, quarter) + timedelta(days=1)
        form = CycleForm(
            initial={
                "fiscal_year": year,
                "quarter": quarter,
                "opens_on": opens_on,
                "due_on": opens_on + timedelta(days=14),
            }
        )
    return render(request, "reviews/cycle_form.html", {"form": form, "position": position})


def _next_quarter(position: StrategicPosition) -> tuple[int, int]:
    last = ReviewCycle.objects.quarterly().order_by("-fiscal_year", "-quarter").first()
    if last is None:
        return position.fiscal_year, 1
    return (last.fiscal_year, last.quarter + 1) if last.quarter < 4 else (last.fiscal_year + 1, 1)


def _team_table(request: HttpRequest, cycle: ReviewCycle, current: dict, done: dict) -> dict:
    """The heatmap's bounded page of teams, its filters and what they hide."""
    form = TeamFilterForm(request.GET or None, regions=standings.regions())
    teams = standings.team_page(
        cycle,
        current,
        total=done["total"],
        filters=form.filters(),
        first=roles.headed_unit_ids(request.user),
        page_number=request.GET.get("page"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "team_filters": form,
        "teams": teams,
        "heatmap": teams.rows,
        "query": query.urlencode(),
        "objective_columns": standings.formatted_objectives(current["objectives"]),
        "index_text": standings.whole(current["index"]),
    }


def cycle_heatmap(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_cycle_for_user(request, pk)
    current = standings.summary(cycle)
    done = standings.completion(cycle)
    context = {
        "cycle": cycle,
        "results": current,
        "completion": done,
        "can_export": request.user.has_perm("reviews.export_reports"),
        **_report_files(cycle),
    }
    context |= _team_table(request, cycle, current, done)
    return render(request, "reviews/cycle_heatmap.html", context)


def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_cycle_for_user(request, pk)
    can_run = request.user.has_perm("reviews.run_reviews")
    today = timezone.localdate()
    context = {
        "cycle": cycle,
        "can_run": can_run,
        "open_refusal": cycle.open_refusal(today=today, config=CadenceSettings.load())
        if cycle.state == ReviewCycle.State.PLANNED
        else "",
        # Only a running cycle asks (it reads the fiscal year's start).
        "is_future_quarter": cycle.is_running and cycle.is_future_quarter(today=today),
        "can_export": request.user.has_perm("reviews.export_reports"),
        **_report_files(cycle),
    }
    if cycle.state == ReviewCycle.State.PLANNED:  # nothing to show but how to open it
        return render(request, "reviews/cycle_detail.html", context)
    current = standings.summary(cycle)
    done = standings.completion(cycle)
    previous_cycle = services.previous_cycle(cycle)
    previous = standings.previous_figures(previous_cycle)
    agenda_items, agenda_more = standings.agenda_items(
        cycle, current, done, previous_cycle, previous
    )
    context |= _team_table(request, cycle, current, done)
    signals, more_signals = _cycle_signals(cycle, current)
    change = (
        None
        if previous is None or current["index"] is None or previous["index"] is None
        else current["index"] - previous["index"]
    )
    context |= {
        "results": current,
        "previous_cycle": previous_cycle,
        "change": change,
        "change_text": standings.whole(change),
        "completion": done,
        "agenda": agenda_items,
        "agenda_more": agenda_more,
        "cycle_signals": signals,
        "cycle_signals_more": more_signals,
        "actions": services.open_actions_for(cycle),
        "done_actions": cycle.actions.filter(completed_at__isnull=False).select_related("owner"),
        "score_form": ExecutiveScoreForm(
            cycle=cycle,
            teams=[(row["team"]["id"], row["team"]["name"]) for row in context["heatmap"]],
            objectives=[(o["id"], o["title"]) for o in current["objectives"]],
        )
        if can_run and cycle.is_running
        else None,
    }
    return render(request, "reviews/cycle_detail.html", context)


@require_POST
def cycle_open(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    cycle = get_cycle_for_user(request, pk)
    refusal = cycle.open_refusal(today=timezone.localdate(), config=CadenceSettings.load())
    if refusal:
        messages.error(request, f"{cycle.label} was not opened. {refusal}")
    else:
        dispatch.cycle_open_and_notify(cycle=cycle, now=timezone.now())
        count = cycle.checks.count()
        messages.success(
            request,
            f"{cycle.label} opened: {count} team{'s have' if count != 1 else ' has'} a check "
            "to fill in.",
        )
    return redirect(cycle.get_absolute_url())


@require_POST
def cycle_start_review(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    cycle = get_cycle_for_user(request, pk)
    if services.cycle_start_review(cycle=cycle):
        messages.success(request, f"{cycle.label} is in review.")
    else:
        messages.error(
            request,
            f"Only an open review can start its meeting; {cycle.label} is "
            f"{cycle.get_state_display().lower()}.",
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
        messages.success(request, f"{cycle.label} closed; its results are frozen.")
    elif cycle.is_closed:  # closing twice is a no-op, not an error
        messages.info(request, f"{cycle.label} is already closed.")
    else:
        messages.error(request, f"{cycle.label} is not open yet: there is nothing to close.")
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
            messages.success(request, "Your score is recorded.")
    else:
        messages.error(request, "Your score was not recorded: " + _form_errors(form))
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
        state = "closed: its decisions are frozen" if cycle.is_closed else "not open yet"
        messages.error(request, f"No action was recorded: {cycle.label} is {state}.")
        return redirect(cycle.get_absolute_url())
    if request.method == "POST":
        form = ActionForm(request.POST, cycle=cycle)
        if form.is_valid():
            services.action_create(cycle=cycle, by=request.user, form=form)
            messages.success(request, "Action recorded.")
            return redirect(cycle.get_absolute_url() + "#actions")
    else:
        initial = {
            "agenda_item": request.GET.get("item", "")[:300],
            "due_on": cycle.due_on + timedelta(days=60),
        }
        for field in ("objective", "owner"):
            if request.GET.get(field, "").isdigit():
                initial[field] = int(request.GET[field])
        form = ActionForm(cycle=cycle, initial=initial)
    return render(request, "reviews/action_form.html", {"form": form, "cycle": cycle})


@require_POST
def action_complete(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    action = get_object_or_404(
        Action.objects.select_related("cycle").defer("cycle__snapshot"), pk=pk
    )
    if action.is_done:  # completing twice keeps the first completion time
        messages.info(request, f"“{action}” was already done.")
    else:
        action.complete()
        messages.success(request, f"“{action}” is done.")
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
    context = {"check": check, "cycle": check.cycle, "history": selectors.check_history(check)}
    return render(request, "reviews/check_history.html", context)


@require_POST
def check_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save as draft or submit; htmx autosaves post here too and get a status line back."""
    check = _get_check_for_user(request, pk)
    roles.require(request, "reviews.edit_check", check)
    form = CheckForm(request.POST, check=check)
    if not form.is_valid():
        return _save_failed(request, check, "Some values are not valid; see the marked fields.")
    try:
        check = services.check_save(check=check, by=request.user, **form.save_arguments())
    except services.StaleCheck as exc:
        return _save_failed(request, check, str(exc), conflict=True)
    except ValidationError as exc:
        return _save_failed(request, check, " ".join(exc.messages))
    if request.htmx:
        return render(request, "reviews/_save_status.html", {"check": check, "saved": True})
    messages.success(
        request, "Check submitted. Thank you." if check.is_submitted else "Draft saved."
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
        messages.success(request, f"“{objective}” added to the check.")
    return redirect(check.get_absolute_url())


@require_POST
def check_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check_for_user(request, pk)
    roles.require(request, "reviews.run_reviews")
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the check is reopened.")
        return redirect(check.get_absolute_url())
    try:
        services.check_reopen(check=check, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Check reopened; the head can edit it again.")
    return redirect(check.get_absolute_url())


# --- Rubric ----------------------------------------------------------------------------------


def rubric_edit(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.run_reviews")
    formset = RubricFormSet(request.POST or None, queryset=RubricQuestion.objects.all())
    if request.method == "POST":
        if formset.is_valid():
            with transaction.atomic():
                formset.save()
            messages.success(request, "Rubric saved.")
            return redirect("reviews:rubric-edit")
        messages.error(request, "Nothing was saved: please correct the errors below.")
    return render(request, "reviews/rubric_edit.html", {"formset": formset})


# --- Trends ----------------------------------------------------------------------------------


def trend_company(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_cycles")
    q = request.GET.get("q", "").strip()[:120]
    context = trends.overview(page_number=request.GET.get("page"), q=q)
    return render(request, "reviews/trends.html", context | {"q": q})


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
            note = f" {moved} planned review{'s' if moved != 1 else ''} moved." if moved else ""
            messages.success(request, "Cadence settings saved." + note)
            return redirect("reviews:cadence-edit")
        messages.error(request, "Nothing was saved: please correct the errors below.")
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
    messages.success(request, f"Thank you: you have read the FY{position.fiscal_year} strategy.")
    return redirect(_safe_next(request, position.get_absolute_url()))
