from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    Q,
)
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from strategy import (
    actuals_import,
    outcomes,
    roles,
    selectors,
    services,
    signals,
    spreadsheet,
    translations,
)
from strategy.forms import (
    ActualsImportForm,
    CommitmentForm,
    CompanySettingsForm,
    MeasureActualForm,
    ObjectiveForm,
    PositionForm,
    TranslationsForm,
    as_typed,
    exchange_rate_formset,
    measure_formset,
    position_formsets,
)
from strategy.invitations import invitation_tokens
from strategy.models import (
    Commitment,
    CompanySettings,
    Measure,
    Objective,
    RefreshDecision,
    StrategicPosition,
    Unit,
    fiscal_start_month,
)

# --- Lookups with their permission checks -------------------------------------------------


def _get_position_for_user(request: HttpRequest, fiscal_year: int) -> StrategicPosition:
    positions = StrategicPosition.objects.visible_to(request.user)
    return get_object_or_404(positions, fiscal_year=fiscal_year)


def _get_draft_for_executive(request: HttpRequest, fiscal_year: int) -> StrategicPosition:
    roles.require(request, "alignment.edit_strategy")
    position = _get_position_for_user(request, fiscal_year)
    if position.is_published:
        messages.error(request, _("A published position is read-only."))
        raise _Redirect(position.get_absolute_url())
    return position


def _get_objective_for_user(request: HttpRequest, pk: int) -> Objective:
    positions = StrategicPosition.objects.visible_to(request.user)
    objectives = Objective.objects.filter(position__in=positions).select_related("position")
    return get_object_or_404(objectives, pk=pk)


def _get_measure_for_user(request: HttpRequest, pk: int) -> Measure:
    positions = StrategicPosition.objects.visible_to(request.user)
    measures = Measure.objects.filter(objective__position__in=positions).select_related(
        "objective__position"
    )
    return get_object_or_404(measures, pk=pk)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    """The page a POST came from (its `next`), if it is one of ours; else `fallback`."""
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else fallback


def _get_unit_for_user(request: HttpRequest, code: str) -> Unit:
    return get_object_or_404(selectors.units_visible_to(request.user), code=code)


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
    context = selectors.position_page(user=request.user, fiscal_year=fiscal_year)
    return render(request, "strategy/position_detail.html", context)


def position_history(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    context = selectors.position_history_page(
        user=request.user, fiscal_year=fiscal_year, page=request.GET.get("page")
    )
    return render(request, "strategy/history.html", context)


def position_translations(request: HttpRequest, fiscal_year: int, language: str) -> HttpResponse:
    """An executive's translations of a position's texts into one language (a published
    position's too: a translation changes no part of the strategy)."""
    roles.require(request, "alignment.edit_strategy")
    position = _get_position_for_user(request, fiscal_year)
    if not translations.is_language(language):
        raise Http404("No such language.")
    texts = translations.texts_of(position)
    found = translations.translations_of(position.pk, language)
    form = TranslationsForm(
        request.POST if request.method == "POST" else None, texts=texts, found=found
    )
    if request.method == "POST":
        if form.is_valid():
            written, removed = translations.translations_save(
                position=position, language=language, entered=form.entered(), by=request.user
            )
            messages.success(
                request,
                translations.saved_message(written=written, removed=removed, language=language),
            )
            return redirect(request.path)
        messages.error(request, "Nothing was saved: please correct the errors below.")
    context = {
        "position": position,
        "form": form,
        "language": language,
        "language_name": translations.language_name(language),
        "tabs": translations.languages_with_counts(position, texts=len(texts)),
    }
    status = (
        409
        if form.errors
        and any(TranslationsForm.CHANGED_MEANWHILE in errors for errors in form.errors.values())
        else 200
    )
    return render(request, "strategy/position_translations.html", context, status=status)


def _position_form_page(request, *, position: StrategicPosition | None) -> HttpResponse:
    instance = position or StrategicPosition()
    if request.method != "POST":
        form = PositionForm(instance=instance, initial={} if position else _new_position_initial())
        return _position_form(request, form, position_formsets(instance=instance), position)
    add_row = request.POST.get("add_row", "")
    form = PositionForm(request.POST, instance=instance)
    formsets = position_formsets(request.POST, instance=instance, add_row=add_row)
    if add_row in formsets:
        # "Add a row" without JavaScript: the page again with one more blank row.
        as_typed(form, *formsets.values())
        messages.info(request, _("Row added. Nothing is saved until you press Save draft."))
        return _position_form(request, form, formsets, position)
    if not (form.is_valid() and all(fs.is_valid() for fs in formsets.values())):
        messages.error(request, _("Nothing was saved: please correct the errors below."))
        return _position_form(request, form, formsets, position)
    try:
        saved = services.position_save(form=form, formsets=formsets)
    except IntegrityError:
        # Someone saved this position meanwhile (the same theme, rank or competitor added
        # twice): nothing was written; the input stays on the page.
        messages.error(request, POSITION_CHANGED_MEANWHILE)
        return _position_form(request, form, formsets, position, status=409)
    messages.success(
        request, _("Strategic position FY%(year)s saved.") % {"year": saved.fiscal_year}
    )
    for theme in formsets["themes"].left_out():
        messages.info(
            request, _("%(theme)s had a weight of 0 and was left out.") % {"theme": theme}
        )
    return redirect(saved.get_absolute_url())


POSITION_CHANGED_MEANWHILE = gettext_lazy(
    "Nothing was saved: this position was changed by someone else while you were editing it. "
    "Reload the page to see their changes, then try again."
)


def _new_position_initial() -> dict:
    return {"fiscal_year": selectors.next_fiscal_year()}


def _position_form(request, form, formsets, position, status: int = 200) -> HttpResponse:
    context = {"form": form, "formsets": formsets, "position": position}
    return render(request, "strategy/position_form.html", context, status=status)


def position_create(request: HttpRequest) -> HttpResponse:
    roles.require(request, "alignment.edit_strategy")
    return _position_form_page(request, position=None)


@_redirecting
def position_edit(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    position = _get_draft_for_executive(request, fiscal_year)
    return _position_form_page(request, position=position)


@require_POST
@require_POST
def position_publish(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    roles.require(request, "alignment.edit_strategy")
    position = _get_position_for_user(request, fiscal_year)
    if position.is_published:  # publishing twice is a no-op
        messages.info(
            request,
            _("Strategic position FY%(year)s is already published.")
            % {"year": position.fiscal_year},
        )
        return redirect(position.get_absolute_url())
    switch_now = request.POST.get("switch_now") == "on"
    try:
        with transaction.atomic():
            position = services.position_publish(
                position=position, by=request.user, switch_now=switch_now
            )
            asked = _announce_published(position)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        note = selectors.position_publish_note(position=position, asked=asked)
        # Translators: note is a further sentence, or nothing.
        messages.success(
            request,
            _("Strategic position FY%(year)s published.%(note)s")
            % {"year": position.fiscal_year, "note": note},
        )
    return redirect(position.get_absolute_url())


def _announce_published(position: StrategicPosition) -> int:
    """Tell the apps above that a position was published or became current. Receivers (the
    reviews app's) answer how many people they asked to act: publishing the annual refresh's
    draft ends the refresh; once the position is current, heads are asked to confirm their
    commitments for the new year."""
    answers = signals.position_published.send(
        sender=StrategicPosition, position=position, now=timezone.now()
    )
    return sum(answer or 0 for _receiver, answer in answers)


@require_POST
@require_POST
def position_switch(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    """Make a published position for a later year current now, before its year starts."""
    roles.require(request, "alignment.edit_strategy")
    position = _get_position_for_user(request, fiscal_year)
    with transaction.atomic():
        switched = services.position_switch_now(position=position)
        asked = _announce_published(switched) if switched else 0
    if switched is not None:
        note = (
            " "
            + ngettext(
                "%(count)s heads are asked to confirm their teams' commitments.",
                "%(count)s heads are asked to confirm their teams' commitments.",
                asked,
            )
            % {"count": asked}
            if asked
            else ""
        )
        # Translators: note is a further sentence, or nothing.
        messages.success(
            request,
            _("FY%(year)s is now the current strategy.%(note)s")
            % {"year": position.fiscal_year, "note": note},
        )
    else:
        messages.info(
            request,
            _("FY%(year)s cannot become the current strategy.") % {"year": position.fiscal_year},
        )
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
        previous_month = fiscal_start_month()
        if form.is_valid() and rates.is_valid():
            with transaction.atomic():
                form.save()
                rates.save()
                moved = _calendar_moved(previous_month, company.fiscal_year_start_month)
            # Translators: moved is a further sentence, or nothing.
            messages.success(request, _("Company settings saved.%(moved)s") % {"moved": moved})
            return redirect("strategy:company-edit")
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(request, "strategy/company_form.html", {"form": form, "rates": rates})


def _calendar_moved(previous_month: int, month: int) -> str:
    """Tell the apps above that the fiscal calendar changed; what the page adds about it."""
    if previous_month == month:
        return ""
    answers = signals.calendar_changed.send(
        sender=CompanySettings, previous_month=previous_month, month=month
    )
    moved = sum(answer or 0 for _receiver, answer in answers)
    if not moved:
        return ""
    return " " + ngettext(
        "%(count)d planned review moved to the new fiscal quarters.",
        "%(count)d planned reviews moved to the new fiscal quarters.",
        moved,
    ) % {"count": moved}


# --- Objectives -----------------------------------------------------------------------------


def objective_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = request.GET.get("page")
    context = selectors.objective_page(user=request.user, pk=pk, page_number=page)
    return render(request, "strategy/objective_detail.html", context)


@_redirecting
def objective_create(request: HttpRequest, fiscal_year: int) -> HttpResponse:
    position = _get_draft_for_executive(request, fiscal_year)
    if request.method == "POST":
        form = ObjectiveForm(request.POST, position=position)
        measures = measure_formset(request.POST, instance=Objective())
        if form.is_valid() and measures.is_valid():
            objective = services.objective_create(
                form=form, measures=measures, position=position, by=request.user
            )
            messages.success(request, _("Objective “%(title)s” added.") % {"title": objective})
            return redirect(position.get_absolute_url())
        messages.error(request, _("Nothing was saved: please correct the errors below."))
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
            services.objective_update(form=form, measures=measures, by=request.user)
            messages.success(request, _("Objective “%(title)s” saved.") % {"title": objective})
            return redirect(objective.get_absolute_url())
        messages.error(request, _("Nothing was saved: please correct the errors below."))
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
            _("Objective “%(title)s” retired; it stays in the history with its commitments.")
            % {"title": objective},
        )
    else:
        messages.success(request, _("Objective “%(title)s” deleted.") % {"title": objective})
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
            request,
            # Translators: decision is "kept" or "retired" (the annual refresh's decision).
            _("“%(title)s” marked %(decision)s.")
            % {"title": objective, "decision": str(RefreshDecision(decision).label).lower()},
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
    levels = selectors.unit_tree(user=request.user)
    return render(request, "strategy/unit_list.html", {"levels": levels})


def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = _get_unit_for_user(request, code)
    context = selectors.unit_page(user=request.user, unit=unit)
    return render(request, "strategy/unit_detail.html", context)


def unit_history(request: HttpRequest, code: str) -> HttpResponse:
    unit = _get_unit_for_user(request, code)
    context = selectors.unit_history_page(unit=unit, page=request.GET.get("page"))
    return render(request, "strategy/history.html", context)


@require_POST
@require_POST
def commitment_confirm(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Carry last year's commitment over to the refreshed objective, or drop it."""
    if decision not in ("carry", "drop"):
        raise Http404
    commitment, successor = selectors.commitment_to_confirm(user=request.user, pk=pk)
    roles.require(request, "alignment.edit_commitments", commitment.unit)
    if successor is None:
        messages.info(request, _("This commitment was already confirmed or dropped."))
    elif decision == "carry":
        services.commitment_carry_over(commitment=commitment, objective=successor)
        messages.success(
            request,
            _("Carried over to FY%(year)s; check its target and date.")
            % {"year": successor.position.fiscal_year},
        )
    else:
        commitment.drop()
        messages.success(request, _("Commitment dropped."))
    return redirect(commitment.unit.get_absolute_url())


def commitment_create(request: HttpRequest, code: str) -> HttpResponse:
    unit = _get_unit_for_user(request, code)
    roles.require(request, "alignment.edit_commitments", unit)
    objectives = selectors.commitable_objectives()
    initial = {}
    if request.GET.get("objective", "").isdigit():
        initial["objective"] = int(request.GET["objective"])
    if request.method == "POST":
        form = CommitmentForm(request.POST, objectives=objectives, instance=Commitment(unit=unit))
        if form.is_valid():
            form.save()
            messages.success(request, _("Commitment added."))
            return redirect(unit.get_absolute_url())
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    else:
        form = CommitmentForm(objectives=objectives, initial=initial)
    return render(
        request,
        "strategy/commitment_form.html",
        {"form": form, "unit": unit, "commitment": None, "no_objectives": not objectives.exists()},
    )


def commitment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    commitment, objectives = selectors.commitment_form_page(user=request.user, pk=pk)
    unit = commitment.unit
    roles.require(request, "alignment.edit_commitments", unit)
    data = request.POST if request.method == "POST" else None
    form = CommitmentForm(data, objectives=objectives, instance=commitment)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Commitment saved."))
            return redirect(unit.get_absolute_url())
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    history = selectors.commitment_history(commitment)
    context = {"form": form, "unit": unit, "commitment": commitment, "history": history}
    return render(request, "strategy/commitment_form.html", context)


def matrix(request: HttpRequest) -> HttpResponse:
    """Objectives by teams: where objectives have no commitment and teams commit to nothing.

    A page of teams at a time, grouped by region and filtered by region or name; the objective
    totals count every team, and the whole matrix is one click away as CSV."""
    position = _current_position()
    if position is None:
        return render(request, "strategy/no_strategy.html")
    context = selectors.matrix_page(user=request.user, position=position, params=request.GET)
    for problem in context["ignored"]:
        messages.warning(request, problem)
    return render(request, "strategy/matrix.html", context)


def matrix_csv(request: HttpRequest) -> StreamingHttpResponse | HttpResponse:
    """The whole coverage matrix, every active team by every objective, as CSV."""
    position = _current_position()
    if position is None:
        return render(request, "strategy/no_strategy.html")
    header, rows = selectors.matrix_rows(position)
    response = StreamingHttpResponse(
        spreadsheet.csv_stream(header, rows), content_type="text/csv; charset=utf-8"
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
            problems = [_("Nothing was imported: values changed meanwhile. Upload the file again.")]
        else:
            new, changed = done.count(actuals_import.NEW), done.count(actuals_import.CHANGED)
            messages.success(
                request,
                ngettext(
                    "Imported: %(new)s new value, %(changed)s corrected, %(unchanged)s already "
                    "recorded.",
                    "Imported: %(new)s new values, %(changed)s corrected, %(unchanged)s already "
                    "recorded.",
                    new,
                )
                % {
                    "new": new,
                    "changed": changed,
                    "unchanged": done.count(actuals_import.UNCHANGED),
                },
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


@require_POST
def measure_actual_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter or correct one period's value of a measure; a correction keeps the old value in
    the measure's history."""
    measure = _get_measure_for_user(request, pk)
    roles.require(request, "alignment.enter_measure_actuals", measure)
    objective = measure.objective
    back = _safe_next(request, objective.get_absolute_url())
    refusal = outcomes.measure_entry_refusal(measure)
    if refusal:
        messages.error(request, refusal)
        return redirect(back)
    form = MeasureActualForm(request.POST, measure=measure, prefix=f"measure-{measure.pk}")
    if not form.is_valid():
        problems = [e for errors in form.errors.values() for e in errors]
        messages.error(
            request,
            _("Nothing was recorded for “%(measure)s”: %(problems)s")
            % {"measure": measure.name, "problems": " ".join(problems)},
        )
        return redirect(back)
    period = form.cleaned_data["period"]
    try:
        outcomes.measure_actual_record(
            measure=measure,
            period=period,
            value=form.cleaned_data["value"],
            by=request.user,
            comment=form.comment_to_record(),
        )
    except ValidationError as exc:
        messages.error(
            request, _("Nothing was recorded: %(problems)s") % {"problems": " ".join(exc.messages)}
        )
    else:
        # Translators: a measure's name and the period of the value recorded, e.g. 2026-Q2.
        messages.success(
            request,
            _("%(measure)s: %(period)s recorded.") % {"measure": measure.name, "period": period},
        )
    return redirect(back)


def measure_history(request: HttpRequest, pk: int) -> HttpResponse:
    context = selectors.measure_history_page(user=request.user, pk=pk, page=request.GET.get("page"))
    return render(request, "strategy/history.html", context)


def measure_actuals_template(request: HttpRequest) -> StreamingHttpResponse:
    """A CSV of the current strategy's measures the user enters, one line per period due
    without a value: fill in the values and import it as it is."""
    roles.require(request, "alignment.import_measure_actuals")
    header, rows = selectors.measure_actuals_template_rows(user=request.user)
    response = StreamingHttpResponse(
        spreadsheet.csv_stream(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="measure-values.csv"'
    return response


class InvitationConfirmView(PasswordResetConfirmView):
    """The invitation's link: the person chooses their password, once, within INVITATION_DAYS
    (strategy/invitations.py), then logs in."""

    token_generator = invitation_tokens
    template_name = "registration/invitation_confirm.html"
    success_url = reverse_lazy("password_reset_complete")
