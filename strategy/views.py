from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from strategy import actuals_import, history, roles, services, signals, spreadsheet
from strategy.forms import (
    ActualsImportForm,
    CommitmentForm,
    CompanySettingsForm,
    ObjectiveForm,
    PositionForm,
    as_typed,
    exchange_rate_formset,
    measure_formset,
    position_formsets,
)
from strategy.models import (
    Acknowledgement,
    Commitment,
    CompanySettings,
    Membership,
    Objective,
    RefreshDecision,
    StrategicPosition,
    Unit,
    fiscal_year_span,
)

# --- Lookups with their permission checks -------------------------------------------------


def _get_position_for_user(request: HttpRequest, fiscal_year: int) -> StrategicPosition:
    positions = StrategicPosition.objects.visible_to(request.user)
    return get_object_or_404(positions, fiscal_year=fiscal_year)


def _get_draft_for_executive(request: HttpRequest, fiscal_year: int) -> StrategicPosition:
    roles.require(request, "alignment.edit_strategy")
    position = _get_position_for_user(request, fiscal_year)
    if position.is_published:
        messages.error(request, "A published position is read-only.")
        raise _Redirect(position.get_absolute_url())
    return position


def _get_objective_for_user(request: HttpRequest, pk: int) -> Objective:
    positions = StrategicPosition.objects.visible_to(request.user)
    objectives = Objective.objects.filter(position__in=positions).select_related("position")
    return get_object_or_404(objectives, pk=pk)


def _get_unit_for_user(request: HttpRequest, code: str) -> Unit:
    return get_object_or_404(Unit.objects.visible_to(request.user), code=code)


class _Redirect(Exception):
    def __init__(self, url: str):
        self.url = url


def _redirecting(view):
    """Let lookup helpers end a request with a redirect (e.g. editing a published position)."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Redirect as exc:
            return redirect(exc.url)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _current_position() -> StrategicPosition | None:
    return StrategicPosition.objects.current()


# --- Home and health ------------------------------------------------------------------------


# --- Strategy -------------------------------------------------------------------------------


def strategy(request: HttpRequest) -> HttpResponse:
    position = _current_position()
    if position is not None:
        return redirect(position.get_absolute_url())
    return render(request, "strategy/no_strategy.html")


def position_list(request: HttpRequest) -> HttpResponse:
    positions = StrategicPosition.objects.visible_to(request.user).annotate(
        objective_count=Count("objectives", filter=Q(objectives__retired_at__isnull=True))
    )
    return render(request, "strategy/position_list.html", {"positions": positions})


def position_detail(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    # The position and whether the user has read it, in one query.
    position = get_object_or_404(
        StrategicPosition.objects.visible_to(request.user).annotate(
            read_at=Subquery(
                Acknowledgement.objects.filter(
                    user=request.user.pk, position=OuterRef("pk")
                ).values("at")[:1]
            )
        ),
        fiscal_year=fiscal_year,
    )
    objectives = list(
        position.objectives.select_related("owner", "customer_priority")
        .prefetch_related("measures")
        .order_by("order", "pk")
    )
    coverage = services.position_coverage(position, objectives)
    starts_on, ends_on, today = fiscal_year_span(position.fiscal_year)
    priorities = list(position.priorities.all())
    current = position if position.is_current else _current_position()
    # Rows the page has read already are not read again by the history.
    known = [position, *priorities, *objectives, *(o.owner for o in objectives if o.owner_id)]
    if current is not None:
        known.append(current)
    log_entries = history.entries(
        StrategicPosition.history.filter(id=position.pk),
        position.themes.model.history.filter(position_id=position.pk),
        position.priorities.model.history.filter(position_id=position.pk),
        position.competitors.model.history.filter(position_id=position.pk),
        Objective.history.filter(position_id=position.pk),
        known=known,
    )
    return render(
        request,
        "strategy/position_detail.html",
        {
            "position": position,
            "themes": position.themes.all(),
            "priorities": priorities,
            "competitors": position.competitors.all(),
            "objectives": objectives,
            "coverage": coverage,
            "matrix_url": reverse("strategy:matrix"),
            "problems": services.position_problems(position) if not position.is_published else [],
            # Publishing (or switching to) a later year before it starts: offer "switch now".
            "waits_for_its_year": services.position_waits_for_its_year(
                position, today=today, current=current
            ),
            "starts_on": starts_on,
            "ends_on": ends_on,
            "current_position": current,
            "has_read": {"at": position.read_at} if position.read_at else None,
            "history": log_entries,
        },
    )


def _position_form_page(request, *, position: StrategicPosition | None) -> HttpResponse:
    instance = position or StrategicPosition()
    if request.method == "POST":
        add_row = request.POST.get("add_row", "")
        form = PositionForm(request.POST, instance=instance)
        formsets = position_formsets(request.POST, instance=instance, add_row=add_row)
        if add_row in formsets:
            # "Add a row" without JavaScript: the page again with one more blank row.
            as_typed(form, *formsets.values())
            messages.info(request, "Row added. Nothing is saved until you press Save draft.")
            return render(
                request,
                "strategy/position_form.html",
                {"form": form, "formsets": formsets, "position": position},
            )
        if form.is_valid() and all(fs.is_valid() for fs in formsets.values()):
            try:
                saved = services.position_save(form=form, formsets=formsets)
            except IntegrityError:
                # Someone saved this position meanwhile (the same theme, rank or competitor
                # added twice): nothing was written; the input stays on the page.
                messages.error(
                    request,
                    "Nothing was saved: this position was changed by someone else while you "
                    "were editing it. Reload the page to see their changes, then try again.",
                )
                return render(
                    request,
                    "strategy/position_form.html",
                    {"form": form, "formsets": formsets, "position": position},
                    status=409,
                )
            messages.success(request, f"Strategic position FY{saved.fiscal_year} saved.")
            for theme in formsets["themes"].left_out():
                messages.info(request, f"{theme} had a weight of 0 and was left out.")
            return redirect(saved.get_absolute_url())
        messages.error(request, "Nothing was saved: please correct the errors below.")
    else:
        initial = {}
        if position is None:
            latest = StrategicPosition.objects.order_by("-fiscal_year").first()
            initial["fiscal_year"] = latest.fiscal_year + 1 if latest else timezone.localdate().year
        form = PositionForm(instance=instance, initial=initial)
        formsets = position_formsets(instance=instance)
    return render(
        request,
        "strategy/position_form.html",
        {"form": form, "formsets": formsets, "position": position},
    )


def position_create(request: HttpRequest) -> HttpResponse:
    roles.require(request, "alignment.edit_strategy")
    return _position_form_page(request, position=None)


@_redirecting
def position_edit(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    position = _get_draft_for_executive(request, fiscal_year)
    return _position_form_page(request, position=position)


@require_POST
def position_publish(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    roles.require(request, "alignment.edit_strategy")
    position = _get_position_for_user(request, fiscal_year)
    if position.is_published:  # publishing twice is a no-op
        messages.info(request, f"Strategic position FY{position.fiscal_year} is already published.")
        return redirect(position.get_absolute_url())
    try:
        with transaction.atomic():
            position = services.position_publish(
                position=position,
                by=request.user,
                switch_now=request.POST.get("switch_now") == "on",
            )
            # Receivers (the reviews app's) answer how many people they asked to act: publishing
            # the annual refresh's draft ends the refresh; once the position is current, heads
            # are asked to confirm their commitments for the new year.
            asked = sum(
                answer or 0
                for _, answer in signals.position_published.send(
                    sender=StrategicPosition, position=position, now=timezone.now()
                )
            )
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        note = ""
        if not position.is_current:
            current = _current_position()
            if current is not None and current.fiscal_year < position.fiscal_year:
                starts = f"{position.starts_on.day} {position.starts_on:%B %Y}"
                note = (
                    f" It becomes current on {starts}, when FY{position.fiscal_year} starts; "
                    f"until then FY{current.fiscal_year} stays current."
                )
            else:
                note = " It is not current: a later year is."
        if asked:
            note += f" {asked} heads are asked to confirm their teams' commitments."
        messages.success(request, f"Strategic position FY{position.fiscal_year} published.{note}")
    return redirect(position.get_absolute_url())


@require_POST
def position_switch(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    """Make a published position for a later year current now, before its year starts."""
    roles.require(request, "alignment.edit_strategy")
    position = _get_position_for_user(request, fiscal_year)
    with transaction.atomic():
        switched = services.position_switch_now(position=position)
        asked = (
            sum(
                answer or 0
                for _, answer in signals.position_published.send(
                    sender=StrategicPosition, position=switched, now=timezone.now()
                )
            )
            if switched
            else 0
        )
    if switched is not None:
        note = f" {asked} heads are asked to confirm their teams' commitments." if asked else ""
        messages.success(request, f"FY{position.fiscal_year} is now the current strategy.{note}")
    else:
        messages.info(request, f"FY{position.fiscal_year} cannot become the current strategy.")
    return redirect(position.get_absolute_url())


# --- Company settings -----------------------------------------------------------------------


def company_edit(request: HttpRequest) -> HttpResponse:
    """The company's name, base currency and the exchange rates per fiscal year."""
    roles.require(request, "alignment.edit_company")
    company = CompanySettings.load()
    form = CompanySettingsForm(request.POST or None, instance=company)
    base = (
        request.POST.get("base_currency", "").strip().upper()
        if request.method == "POST"
        else company.base_currency
    )
    rates = exchange_rate_formset(request.POST or None, base_currency=base)
    if request.method == "POST":
        if form.is_valid() and rates.is_valid():
            with transaction.atomic():
                form.save()
                rates.save()
            messages.success(request, "Company settings saved.")
            return redirect("strategy:company-edit")
        messages.error(request, "Nothing was saved: please correct the errors below.")
    return render(request, "strategy/company_form.html", {"form": form, "rates": rates})


# --- Objectives -----------------------------------------------------------------------------


COMMITMENTS_PER_PAGE = 50


def objective_detail(request: HttpRequest, pk: int) -> HttpResponse:
    positions = StrategicPosition.objects.visible_to(request.user)
    objective = get_object_or_404(
        Objective.objects.filter(position__in=positions).select_related(
            "position", "owner", "customer_priority"
        ),
        pk=pk,
    )
    # The teams committed: the first TEAMS_NAMED by name and how many in all, in one query.
    committed = Commitment.objects.filter(objective=objective, unit=OuterRef("pk"))
    named = list(
        Unit.objects.filter(Exists(committed))
        .annotate(total=Window(Count("pk")))
        .order_by("name", "pk")
        .values_list("name", "total")[: services.TEAMS_NAMED]
    )
    team_count = named[0][1] if named else 0
    # The commitments of the teams the user sees, a page at a time.
    commitments = (
        objective.commitments.filter(unit__in=Unit.objects.visible_to(request.user))
        .select_related("unit")
        .order_by("unit__name", "lever", "pk")
    )
    page = Paginator(commitments, COMMITMENTS_PER_PAGE).get_page(request.GET.get("page"))
    known = [objective, objective.position, objective.owner]
    if objective.customer_priority_id:
        known.append(objective.customer_priority)
    return render(
        request,
        "strategy/objective_detail.html",
        {
            "objective": objective,
            "position": objective.position,
            "measures": objective.measures.all(),
            "commitments": page.object_list,
            "page": page,
            "team_names": [name for name, _ in named],
            "team_count": team_count,
            "teams_hidden": team_count - len(named),
            "history": history.entries(
                Objective.history.filter(id=objective.pk),
                objective.measures.model.history.filter(objective_id=objective.pk),
                known=known,
            ),
        },
    )


@_redirecting
def objective_create(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    position = _get_draft_for_executive(request, fiscal_year)
    if request.method == "POST":
        form = ObjectiveForm(request.POST, position=position)
        measures = measure_formset(request.POST, instance=Objective())
        if form.is_valid() and measures.is_valid():
            objective = services.objective_create(form=form, measures=measures, position=position)
            messages.success(request, f"Objective “{objective}” added.")
            return redirect(position.get_absolute_url())
        messages.error(request, "Nothing was saved: please correct the errors below.")
    else:
        form = ObjectiveForm(position=position, initial={"owner": request.user.pk})
        measures = measure_formset(instance=Objective())
    return render(
        request,
        "strategy/objective_form.html",
        {"form": form, "measures": measures, "position": position, "objective": None},
    )


@_redirecting
def objective_edit(request: HttpRequest, pk: int) -> HttpResponse:
    objective = _get_objective_for_user(request, pk)
    position = _get_draft_for_executive(request, objective.position.fiscal_year)
    if request.method == "POST":
        form = ObjectiveForm(request.POST, instance=objective, position=position)
        measures = measure_formset(request.POST, instance=objective)
        if form.is_valid() and measures.is_valid():
            services.objective_update(form=form, measures=measures)
            messages.success(request, f"Objective “{objective}” saved.")
            return redirect(objective.get_absolute_url())
        messages.error(request, "Nothing was saved: please correct the errors below.")
    else:
        form = ObjectiveForm(instance=objective, position=position)
        measures = measure_formset(instance=objective)
    return render(
        request,
        "strategy/objective_form.html",
        {"form": form, "measures": measures, "position": position, "objective": objective},
    )


@require_POST
def objective_remove(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "alignment.edit_strategy")
    objective = _get_objective_for_user(request, pk)
    position = objective.position
    if objective.is_retired:
        return redirect(position.get_absolute_url())
    outcome = services.objective_remove(objective=objective)
    if outcome == "retired":
        messages.success(
            request,
            f"Objective “{objective}” retired; it stays in the history with its commitments.",
        )
    else:
        messages.success(request, f"Objective “{objective}” deleted.")
    return redirect(position.get_absolute_url())


@_redirecting
@require_POST
def objective_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """The annual refresh's decision on an objective carried over: kept or retired (editing it
    marks it revised)."""
    if decision not in (RefreshDecision.KEPT, RefreshDecision.RETIRED):
        raise Http404
    objective = _get_objective_for_user(request, pk)
    position = _get_draft_for_executive(request, objective.position.fiscal_year)
    try:
        services.objective_decide(objective=objective, decision=decision)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"“{objective}” marked {RefreshDecision(decision).label.lower()}."
        )
    return redirect(position.get_absolute_url() + "#objectives")


@_redirecting
@require_POST
def objective_move(request: HttpRequest, pk: int, direction: str) -> HttpResponse:
    if direction not in ("up", "down"):
        raise Http404
    objective = _get_objective_for_user(request, pk)
    _get_draft_for_executive(request, objective.position.fiscal_year)
    services.objective_move(objective=objective, up=direction == "up")
    return redirect(objective.position.get_absolute_url() + "#objectives")


# --- Organisation and commitments -----------------------------------------------------------


def unit_list(request: HttpRequest) -> HttpResponse:
    units = list(
        Unit.objects.annotate(
            head_count=Count("memberships", filter=Q(memberships__role=Membership.Role.HEAD)),
            member_count=Count("memberships", filter=Q(memberships__role=Membership.Role.MEMBER)),
        ).order_by("name")
    )
    visible = set(Unit.objects.visible_to(request.user).values_list("pk", flat=True))
    children = defaultdict(list)
    for unit in units:
        unit.is_visible = unit.pk in visible
        children[unit.parent_id].append(unit)

    def walk(parent_id, depth, seen):
        for unit in children.get(parent_id, []):
            if unit.pk in seen:
                continue
            seen.add(unit.pk)
            unit.depth = depth
            yield unit
            yield from walk(unit.pk, depth + 1, seen)

    tree = {
        level: [u for u in walk(None, 0, set()) if u.level == level]
        for level in (Unit.Level.BUSINESS, Unit.Level.FUNCTIONAL)
    }
    levels = [
        ("Business level", tree[Unit.Level.BUSINESS]),
        ("Functional level", tree[Unit.Level.FUNCTIONAL]),
    ]
    return render(request, "strategy/unit_list.html", {"levels": levels})


def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = _get_unit_for_user(request, code)
    position = _current_position()
    commitments = unit.commitments.select_related("objective", "objective__position").order_by(
        "-objective__position__fiscal_year", "objective__order", "lever", "due_on"
    )
    by_objective = defaultdict(list)
    for commitment in commitments:
        by_objective[commitment.objective].append(commitment)
    uncommitted = []
    if position is not None:
        uncommitted = [o for o in position.objectives.active() if o not in by_objective]
    to_confirm = services.commitments_to_confirm(unit=unit, position=position) if position else []
    memberships = unit.memberships.select_related("user").order_by("role", "user__last_name")
    return render(
        request,
        "strategy/unit_detail.html",
        {
            "unit": unit,
            "position": position,
            "by_objective": dict(by_objective),
            "uncommitted": uncommitted,
            "to_confirm": to_confirm,
            "heads": [m.user for m in memberships if m.role == Membership.Role.HEAD],
            "members": [m.user for m in memberships if m.role == Membership.Role.MEMBER],
            "can_edit": request.user.has_perm("alignment.edit_commitments", unit),
            "today": timezone.localdate(),
            "history": history.entries(
                Unit.history.filter(id=unit.pk),
                Membership.history.filter(unit_id=unit.pk),
                Commitment.history.filter(unit_id=unit.pk),
            ),
        },
    )


@require_POST
def commitment_confirm(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Carry last year's commitment over to the refreshed objective, or drop it."""
    if decision not in ("carry", "drop"):
        raise Http404
    commitment = get_object_or_404(
        Commitment.objects.filter(unit__in=Unit.objects.visible_to(request.user)).select_related(
            "unit"
        ),
        pk=pk,
    )
    roles.require(request, "alignment.edit_commitments", commitment.unit)
    position = _current_position()
    pairs = (
        dict(services.commitments_to_confirm(unit=commitment.unit, position=position))
        if position
        else {}
    )
    if commitment not in pairs:
        messages.info(request, "This commitment was already confirmed or dropped.")
    elif decision == "carry":
        services.commitment_carry_over(commitment=commitment, objective=pairs[commitment])
        messages.success(
            request, f"Carried over to FY{position.fiscal_year}; check its target and date."
        )
    else:
        commitment.drop()
        messages.success(request, "Commitment dropped.")
    return redirect(commitment.unit.get_absolute_url())


def _commitable_objectives():
    position = _current_position()
    if position is None:
        return Objective.objects.none()
    return position.objectives.active().select_related("position")


def commitment_create(request: HttpRequest, code: str) -> HttpResponse:
    unit = _get_unit_for_user(request, code)
    roles.require(request, "alignment.edit_commitments", unit)
    objectives = _commitable_objectives()
    initial = {}
    if request.GET.get("objective", "").isdigit():
        initial["objective"] = int(request.GET["objective"])
    if request.method == "POST":
        form = CommitmentForm(request.POST, objectives=objectives, instance=Commitment(unit=unit))
        if form.is_valid():
            form.save()
            messages.success(request, "Commitment added.")
            return redirect(unit.get_absolute_url())
        messages.error(request, "Nothing was saved: please correct the errors below.")
    else:
        form = CommitmentForm(objectives=objectives, initial=initial)
    return render(
        request,
        "strategy/commitment_form.html",
        {"form": form, "unit": unit, "commitment": None, "no_objectives": not objectives.exists()},
    )


def commitment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    commitment = get_object_or_404(
        Commitment.objects.filter(unit__in=Unit.objects.visible_to(request.user)).select_related(
            "unit", "objective"
        ),
        pk=pk,
    )
    unit = commitment.unit
    roles.require(request, "alignment.edit_commitments", unit)
    # A commitment keeps its objective even after that objective is retired or a new year starts.
    objectives = _commitable_objectives() | Objective.objects.filter(pk=commitment.objective_id)
    if request.method == "POST":
        form = CommitmentForm(request.POST, objectives=objectives, instance=commitment)
        if form.is_valid():
            form.save()
            messages.success(request, "Commitment saved.")
            return redirect(unit.get_absolute_url())
        messages.error(request, "Nothing was saved: please correct the errors below.")
    else:
        form = CommitmentForm(objectives=objectives, instance=commitment)
    return render(
        request,
        "strategy/commitment_form.html",
        {
            "form": form,
            "unit": unit,
            "commitment": commitment,
            "history": history.entries(Commitment.history.filter(id=commitment.pk)),
        },
    )


MATRIX_TEAMS_PER_PAGE = 25
REGION_DEPTH = 4  # how far up a team's parents the matrix looks for its region


def _region_of_team():
    """The name of the nearest region above a team (up to REGION_DEPTH parents), else ""."""
    whens = []
    for depth in range(1, REGION_DEPTH + 1):
        path = "__".join(["parent"] * depth)
        whens.append(When(**{f"{path}__kind": Unit.Kind.REGION}, then=F(f"{path}__name")))
    return Case(*whens, default=Value(""), output_field=CharField())


def _in_region(region: Unit) -> Q:
    q = Q()
    for depth in range(1, REGION_DEPTH + 1):
        q |= Q(**{"__".join(["parent"] * depth): region})
    return q


def _matrix_teams(request: HttpRequest, messages_out: list[str]):
    """The active teams the matrix's filters keep, by region then name, and the filters."""
    teams = (
        Unit.objects.active()
        .functional()
        .annotate(region_name=_region_of_team())
        .order_by(Case(When(region_name="", then=1), default=0), "region_name", "name")
    )
    regions = list(Unit.objects.filter(kind=Unit.Kind.REGION).only("code", "name").order_by("name"))
    region_code = request.GET.get("region", "")
    region = next((r for r in regions if r.code == region_code), None)
    if region_code and region is None:
        messages_out.append(f"There is no region “{region_code}”: the region filter was ignored.")
    if region is not None:
        teams = teams.filter(_in_region(region))
    search = request.GET.get("q", "").strip()
    if search:
        teams = teams.filter(name__icontains=search)
    filters = {"region": region.code if region else "", "q": search}
    return teams, regions, filters


def matrix(request: HttpRequest) -> HttpResponse:
    """Objectives by teams: where objectives have no commitment and teams commit to nothing.

    A page of teams at a time, grouped by region and filtered by region or name; the objective
    totals count every team, and the whole matrix is one click away as CSV."""
    position = _current_position()
    if position is None:
        return render(request, "strategy/no_strategy.html")
    objectives = list(
        position.objectives.active().only("position", "title", "order").order_by("order", "pk")
    )
    ignored: list[str] = []
    teams, regions, filters = _matrix_teams(request, ignored)
    for problem in ignored:
        messages.warning(request, problem)
    page = Paginator(teams.only("code", "name", "parent_id"), MATRIX_TEAMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    shown = list(page.object_list)
    # A team's name links to its page only for those who may open it (the page's own rule).
    openable = (
        {t.pk for t in shown}
        if roles.sees_all_teams(request.user)
        else set(
            Unit.objects.visible_to(request.user)
            .filter(pk__in=[t.pk for t in shown])
            .values_list("pk", flat=True)
        )
    )
    unit_url = reverse("strategy:unit-detail", args=["CODE"])
    for t in shown:
        t.can_open = t.pk in openable
        t.url = unit_url.replace("CODE", t.code)
    live = Commitment.objects.filter(objective__in=objectives).exclude(
        status=Commitment.Status.DROPPED
    )
    counts = defaultdict(int)
    rows = (
        live.filter(unit__in=[t.pk for t in shown])
        .values_list("objective_id", "unit_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for objective_id, unit_id, n in rows:
        counts[(objective_id, unit_id)] = n
    # The objectives' totals count every team, shown or not: "no commitment" means none at all.
    totals = dict(live.values_list("objective_id").annotate(n=Count("pk")).order_by())
    groups = []
    for t in shown:
        if groups and groups[-1]["region"] == t.region_name:
            groups[-1]["span"] += 1
        else:
            groups.append({"region": t.region_name, "span": 1})
    table = [
        {
            "objective": o,
            "cells": [counts[(o.pk, t.pk)] for t in shown],
            "total": totals.get(o.pk, 0),
        }
        for o in objectives
    ]
    all_teams = Unit.objects.active().functional().count()
    query = {k: v for k, v in filters.items() if v}
    return render(
        request,
        "strategy/matrix.html",
        {
            "position": position,
            "teams": shown,
            "groups": groups if any(g["region"] for g in groups) else [],
            "table": table,
            "team_totals": [sum(counts[(o.pk, t.pk)] for o in objectives) for t in shown],
            "page": page,
            "regions": regions,
            "filters": filters,
            "query": urlencode(query),
            "matching": page.paginator.count,
            "all_teams": all_teams,
            "hidden": all_teams - len(shown),
            "filtered_out": all_teams - page.paginator.count,
        },
    )


def matrix_csv(request: HttpRequest) -> StreamingHttpResponse | HttpResponse:
    """The whole coverage matrix, every active team by every objective, as CSV."""
    position = _current_position()
    if position is None:
        return render(request, "strategy/no_strategy.html")
    objectives = list(
        position.objectives.active().only("position", "title", "order").order_by("order", "pk")
    )
    teams = (
        Unit.objects.active()
        .functional()
        .annotate(region_name=_region_of_team())
        .order_by(Case(When(region_name="", then=1), default=0), "region_name", "name")
        .values_list("pk", "region_name", "code", "name")
    )
    counts = defaultdict(int)
    live = (
        Commitment.objects.filter(objective__in=objectives)
        .exclude(status=Commitment.Status.DROPPED)
        .values_list("objective_id", "unit_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for objective_id, unit_id, n in live:
        counts[(objective_id, unit_id)] = n

    def rows():
        for pk, region, code, name in teams.iterator(chunk_size=2000):
            cells = [counts[(o.pk, pk)] for o in objectives]
            yield [region, code, name, *cells, sum(cells)]

    header = ["region", "team_code", "team", *(o.title for o in objectives), "commitments"]
    response = StreamingHttpResponse(
        spreadsheet.csv_stream(header, rows()), content_type="text/csv; charset=utf-8"
    )
    name = f"coverage-matrix-fy{position.fiscal_year}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Measured outcomes -----------------------------------------------------------------------


def measure_actuals_import(request: HttpRequest) -> HttpResponse:
    """Upload a file of measures' values, see what it records, confirm: all lines or none."""
    roles.require(request, "alignment.import_measure_actuals")
    form = ActualsImportForm(user=request.user)
    problems = []
    if request.method == "POST" and "token" in request.POST:
        try:
            done = actuals_import.actuals_import_apply(token=request.POST["token"], by=request.user)
        except ValidationError as exc:
            problems = exc.messages
        except IntegrityError:
            # Someone recorded one of these values between the check and the write.
            problems = ["Nothing was imported: values changed meanwhile. Upload the file again."]
        else:
            new, changed = done.count(actuals_import.NEW), done.count(actuals_import.CHANGED)
            messages.success(
                request,
                f"Imported: {new} new value{'s' if new != 1 else ''}, {changed} corrected, "
                f"{done.count(actuals_import.UNCHANGED)} already recorded.",
            )
            return redirect("strategy:measure-actuals-import")
    elif request.method == "POST":
        form = ActualsImportForm(request.POST, request.FILES, user=request.user)
        form.is_valid()
    return render(
        request,
        "strategy/measure_actuals_import.html",
        {
            "form": form,
            "preview": form.preview,
            "problems": problems,
            "columns": actuals_import.COLUMNS,
        },
    )
