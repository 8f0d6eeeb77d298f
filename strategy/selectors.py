"""What the strategy pages read: each function gathers one page's rows, in a number of queries
that does not grow with the company, and returns what its template shows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date
from functools import cache, partial

from django.core.cache import cache as django_cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dates import MONTHS_3
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from strategy import actuals_import, history, outcomes, roles, services, translations, versions
from strategy.forms import MeasureActualForm
from strategy.models import (
    Acknowledgement,
    Commitment,
    CompanySettings,
    Competitor,
    CustomerPriority,
    Lever,
    Measure,
    MeasureActual,
    MeasurePlanPoint,
    Membership,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Unit,
)
from strategy.prepared import as_models, prepared

COMMITMENTS_PER_PAGE = 50
CACHED_SECONDS = 3600  # a page's part cached under strategy.versions' key: kept an hour at most
MATRIX_TEAMS_PER_PAGE = 25
REGION_DEPTH = 4  # how far up a team's parents the matrix looks for its region


# --- Measured outcomes -------------------------------------------------------------------------


def _with_entry_forms(*, user, found: list[outcomes.MeasureOutcome]) -> list:
    """Each outcome with whether the user may enter its measure's values (`can_enter`) and,
    if so, the form to (`form`)."""
    for outcome in found:
        measure = outcome.measure
        objective = measure.objective
        outcome.can_enter = (
            objective.position.is_published
            and not objective.is_retired
            and user.has_perm("alignment.enter_measure_actuals", measure)
        )
        outcome.form = None
        if outcome.can_enter:
            due = outcome.last_due or (outcome.year[0].period if outcome.year else None)
            outcome.form = MeasureActualForm(
                measure=measure,
                # A period with a value comes with it and its comment: a correction.
                recorded={
                    p.period.code: (str(p.actual), p.comment)
                    for p in outcome.year
                    if p.actual is not None
                },
                period=due.code if due else "",
                prefix=f"measure-{measure.pk}",
            )
    return found


# --- Writing many values ------------------------------------------------------------------------


def _url_maker(name: str):
    """pk → reverse(name, args=[pk]), reversed once: a page that links many rows of one kind."""
    marker = "2147483647"  # a key no row has, that appears nowhere else in the URL
    before, after = reverse(name, args=[marker]).split(marker)
    return lambda pk: f"{before}{pk}{after}"


def _short_date(day: date | None) -> str:
    """A date as {{ day|date:"j M Y" }} writes it, without a DateFormat per date."""
    return f"{day.day} {MONTHS_3[day.month].title()} {day.year:04d}" if day else ""


def _number_text():
    """A number as a template writes it ({{ value }}, localized), each value formatted once."""
    return cache(formats.localize)


# --- Positions ---------------------------------------------------------------------------------


def position_page(*, user, fiscal_year: int) -> dict:
    """A position with its themes, priorities, competitors, objectives and their coverage; its
    history is a page of its own (position_history_page)."""
    # The position and whether the user has read it, in one query.
    position = get_object_or_404(
        StrategicPosition.objects.visible_to(user).annotate(
            read_at=Subquery(
                Acknowledgement.objects.filter(user=user.pk, position=OuterRef("pk")).values("at")[
                    :1
                ]
            )
        ),
        fiscal_year=fiscal_year,
    )
    # The company's calendar and thresholds, read once for the dates and the measures.
    company = CompanySettings.read()
    start_month, today = outcomes.company_calendar(company)
    starts_on = date(position.fiscal_year, start_month, 1)
    ends_on = date.fromordinal(date(position.fiscal_year + 1, start_month, 1).toordinal() - 1)
    current = position if position.is_current else StrategicPosition.objects.current()
    return {
        "position": position,
        # What only a save changes (strategy.versions) and the date: read when the page's
        # template does not find it cached under `body_key` (a published position's).
        "body": cache(partial(_position_body, position=position, company=company)),
        "body_key": f"{versions.current()}-{today.isoformat()}",
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
        # Executives translate its texts: each language and how many it has.
        "translation_languages": (
            translations.languages_with_counts(position) if roles.is_executive(user) else []
        ),
    }


def _position_body(*, position: StrategicPosition, company: CompanySettings) -> dict:
    """What a position's page shows that only a save changes: its themes, priorities,
    competitors, objectives (with their measures and the teams committed) and coverage."""
    objectives = list(
        position.objectives.select_related("owner", "customer_priority")
        .prefetch_related("measures")
        .order_by("order", "pk")
    )
    # What each objective's card shows, written here rather than by a template node per value.
    # A promise is at risk when one of its objective's measures that customers feel is behind
    # plan or off track in the latest period of the year with a value; an internal measure
    # (Measure.customer_felt off) keeps its own status and does not judge the promise.
    felt = [m for objective in objectives for m in objective.measures.all() if m.customer_felt]
    at_risk = defaultdict(list)
    judged = defaultdict(int)  # the felt measures with a status: a promise kept outside
    if position.is_published:
        for found in outcomes.measures_statuses(
            felt, company=company, fiscal_year=position.fiscal_year
        ):
            if found.is_at_risk:
                at_risk[found.measure.objective_id].append(found)
            judged[found.measure.objective_id] += found.status is not None
    url_of, number = _url_maker("strategy:objective-detail"), _number_text()
    # The texts in the reader's language where an executive translated them (the cache key of
    # the page's body has the language).
    reading = translations.reading(position.pk)
    for objective in objectives:
        objective.position = position
        objective.url = url_of(objective.pk)
        owner = objective.owner
        objective.owner_name = owner.get_full_name() or owner.username
        objective.measure_lines = [
            f"{reading.of(m, 'name')}: {number(m.baseline)} → {number(m.target)} {m.unit}"
            for m in objective.measures.all()
        ]
        objective.measures_at_risk = at_risk.get(objective.pk, [])
        objective.measures_judged = judged[objective.pk]
        # A promise that no measure customers feel can judge says so, rather than nothing.
        objective.promise_unmeasured = bool(
            position.is_published
            and objective.external_promise.strip()
            and not any(m.customer_felt for m in objective.measures.all())
        )
        objective.at_risk_text = "; ".join(
            # Translators: a measure behind plan or off track, and the period: "Deliveries on
            # time behind plan in Q2".
            _("%(measure)s %(status)s in %(period)s")
            % {
                "measure": found.measure.name,
                "status": str(found.status_label).lower(),
                "period": found.latest.period.code,
            }
            for found in objective.measures_at_risk
        )
    return {
        "themes": _position_rows(PositioningTheme, position),
        "priorities": _position_rows(CustomerPriority, position),
        "competitors": _position_rows(Competitor, position),
        "objectives": objectives,
        "coverage": services.position_coverage(position, objectives),
        "reading": reading,
    }


@cache
def _position_rows_read(model: type) -> tuple:
    """The prepared read of a position's rows of `model` (its themes, priorities or
    competitors) in their order, and their fields."""
    fields = tuple(f.attname for f in model._meta.concrete_fields)

    @prepared
    def read(*, position):
        return model.objects.filter(position_id=position).values_list(*fields)

    return read, fields


def _position_rows(model: type, position: StrategicPosition) -> list:
    read, fields = _position_rows_read(model)
    return as_models(model, fields, read(position=position.pk))


def position_history_page(*, user, fiscal_year: int, page=None) -> dict:
    """A page of the changes to a position, its themes, priorities, competitors and
    objectives, newest first."""
    positions = StrategicPosition.objects.visible_to(user)
    position = get_object_or_404(positions, fiscal_year=fiscal_year)
    return {
        "subject": _("Strategic position FY%(year)s") % {"year": position.fiscal_year},
        "back_url": position.get_absolute_url(),
        **history.history_page(
            position,
            history.Records(PositioningTheme, "position_id", position.pk),
            history.Records(CustomerPriority, "position_id", position.pk),
            history.Records(Competitor, "position_id", position.pk),
            history.Records(Objective, "position_id", position.pk),
            page=page,
            known=[position],
        ),
    }


def next_fiscal_year() -> int:
    """The year a new position is for by default: the one after the latest, else this one."""
    latest = StrategicPosition.objects.order_by("-fiscal_year").first()
    return latest.fiscal_year + 1 if latest else timezone.localdate().year


def position_publish_note(*, position: StrategicPosition, asked: int) -> str:
    """What publishing a position did beyond publishing it, in words, for its message."""
    note = ""
    if not position.is_current:
        current = StrategicPosition.objects.current()
        if current is not None and current.fiscal_year < position.fiscal_year:
            starts = formats.date_format(position.starts_on, "j F Y")
            note = " " + _(
                "It becomes current on %(date)s, when FY%(year)s starts; until then "
                "FY%(current_year)s stays current."
            ) % {"date": starts, "year": position.fiscal_year, "current_year": current.fiscal_year}
        else:
            note = " " + _("It is not current: a later year is.")
    if asked:
        note += " " + ngettext(
            "%(count)s heads are asked to confirm their teams' commitments.",
            "%(count)s heads are asked to confirm their teams' commitments.",
            asked,
        ) % {"count": asked}
    return note


# --- Objectives --------------------------------------------------------------------------------


def counted_page(queryset, per_page: int, number) -> Page:
    """Paginator(queryset, per_page).get_page(number), with the count read beside the page's
    rows (a window over them all) rather than by a COUNT query of its own. A page the rows
    cannot answer (past the end, or below the first: get_page shows the last) falls back to
    the paginator's own reading. Rows of values() keep only their own keys."""
    paginator = Paginator(queryset, per_page)
    try:
        wanted = int(number or 1)
    except (TypeError, ValueError):
        wanted = 1
    if wanted < 1:
        return paginator.get_page(number)
    start = (wanted - 1) * per_page
    rows = list(queryset.annotate(_total=Window(Count("pk")))[start : start + per_page])
    if not rows and wanted > 1:
        return paginator.get_page(number)
    if not rows:  # no first page's rows: none at all, the one empty page
        paginator.count = 0
        page = paginator.get_page(1)
        page.object_list = rows
        return page
    if isinstance(rows[0], dict):
        paginator.count = rows[0]["_total"]  # a cached_property: read, not asked
        for row in rows:
            del row["_total"]
    else:
        paginator.count = rows[0]._total
    page = paginator.get_page(wanted)
    page.object_list = rows
    return page


def _commitment_rows(rows: list[dict]) -> list[dict]:
    """The objective page's commitments (values of Commitment with their unit's name and code)
    with their texts: the team's link, the lever, the due date and the status."""
    unit_url = _url_maker("strategy:unit-detail")
    levers, statuses = dict(Lever.choices), dict(Commitment.Status.choices)
    return [
        {
            "url": unit_url(row["unit__code"]),
            "team": row["unit__name"],
            "lever": levers.get(row["lever"], row["lever"]),
            "statement": row["statement"],
            "due": _short_date(row["due_on"]),
            "status": statuses.get(row["status"], row["status"]),
        }
        for row in rows
    ]


@prepared
def _committed_team_names(*, objective):
    """The names of the first TEAMS_NAMED teams committed to the objective, each with how
    many teams are."""
    committed = Commitment.objects.filter(objective_id=objective, unit=OuterRef("pk"))
    return (
        Unit.objects.filter(Exists(committed))
        .annotate(total=Window(Count("pk")))
        .order_by("name", "pk")
        .values_list("name", "total")[: services.TEAMS_NAMED]
    )


def objective_page(*, user, pk: int, page_number=None) -> dict:
    """An objective, its measures, the teams committed (named up to TEAMS_NAMED, counted) and a
    page of the commitments of the teams the user sees, with its history.

    What only a save changes (strategy.versions) is read when the page's template does not
    find it cached (`body`, read at most once): its texts in the reader's language and its
    history under `outcome_key`, its commitments under `body_key`, which also says which teams
    the user sees and the page of them."""
    positions = StrategicPosition.objects.visible_to(user)
    objective = get_object_or_404(
        Objective.objects.filter(position__in=positions).select_related(
            "position", "owner", "customer_priority"
        ),
        pk=pk,
    )
    measures = cache(partial(_objective_measures, objective))
    # The measures' outcomes change only with a save or the date (strategy.versions): read
    # once for everyone under the page's key, which also keys their cached cards in the
    # template; the entry forms are added for each user.
    page_key = versions.page_key()
    outcomes_key = f"objective-outcomes:{objective.pk}:{page_key}"
    found = django_cache.get(outcomes_key)
    if found is None:
        company = CompanySettings.read()
        start_month, today = outcomes.company_calendar(company)
        found = outcomes.measures_outcomes(
            measures(), company=company, today=today, start_month=start_month
        )
        django_cache.set(outcomes_key, found, CACHED_SECONDS)
    # Whose commitments the user sees: every team's, or those of the teams they belong to.
    seen = "all" if roles.sees_all_teams(user) else f"user-{user.pk}"
    return {
        "objective": objective,
        "position": objective.position,
        "outcomes": _with_entry_forms(user=user, found=found),
        "outcome_key": page_key,
        "can_import": user.has_perm("alignment.import_measure_actuals"),
        "body": cache(
            partial(
                _objective_body,
                objective=objective,
                measures=measures,
                user=user,
                page_number=page_number,
            )
        ),
        "body_key": f"{page_key}-{seen}-{_page_number(page_number)}",
    }


def _page_number(number) -> int:
    """A page's number as a cache key, as counted_page reads it (a number past the end or
    below 1 shows the last page, cached under its own number)."""
    try:
        return int(number or 1)
    except (TypeError, ValueError):
        return 1


def _objective_measures(objective: Objective) -> list[Measure]:
    # Last year's measures are named in the history (Measure.__str__: no objective needed);
    # their series are read by outcomes.measures_series, which needs no row of them.
    measures = list(objective.measures.select_related("reporting_team", "previous"))
    for measure in measures:
        measure.objective = objective  # read with its position
    return measures


def _objective_body(*, objective: Objective, measures, user, page_number) -> dict:
    """What the objective page caches: its translations, the teams committed, the page of
    the commitments the user sees, and its newest changes."""
    # The teams committed: the first TEAMS_NAMED by name and how many in all, in one query.
    named = _committed_team_names(objective=objective.pk)
    team_count = named[0][1] if named else 0
    # The commitments of the teams the user sees, a page at a time, as the table shows them.
    commitments = (
        objective.commitments.filter(unit__in=Unit.objects.visible_to(user))
        .order_by("unit__name", "lever", "pk")
        .values("unit__name", "unit__code", "lever", "statement", "due_on", "status")
    )
    page = counted_page(commitments, COMMITMENTS_PER_PAGE, page_number)
    page.object_list = _commitment_rows(page.object_list)
    known = [objective, objective.position, objective.owner]
    if objective.customer_priority_id:
        known.append(objective.customer_priority)
    # The measures' history names their reporting teams and last year's measures: read here.
    known += [m.reporting_team for m in measures() if m.reporting_team_id]
    known += [m.previous for m in measures() if m.previous_id]
    return {
        "reading": translations.reading(objective.position_id),
        "commitments": page.object_list,
        "page": page,
        "team_names": [name for name, _ in named],
        "team_count": team_count,
        "teams_hidden": team_count - len(named),
        # Its newest changes (PER_PAGE of them): the older are on the position's history page
        # and the measures'.
        "history": history.newest_entries(
            objective,
            history.Records(Measure, "objective_id", objective.pk),
            known=known,
        )[0],
    }


def commitable_objectives() -> QuerySet[Objective]:
    """The objectives a team may commit to: the current position's active ones."""
    position = StrategicPosition.objects.current()
    if position is None:
        return Objective.objects.none()
    return position.objectives.active().select_related("position")


# --- Units and commitments ---------------------------------------------------------------------


def units_visible_to(user) -> QuerySet[Unit]:
    """The units the user may open, each with its parents up to REGION_DEPTH levels (for the
    breadcrumb) read with it."""
    parents = "__".join(["parent"] * REGION_DEPTH)
    return Unit.objects.visible_to(user).select_related(parents)


def unit_tree(*, user) -> list[tuple[str, list[Unit]]]:
    """Every unit by level, each under its parent (`depth`), with its head and member counts
    and whether the user may open it (`is_visible`)."""
    units = list(
        Unit.objects.annotate(
            head_count=Count("memberships", filter=Q(memberships__role=Membership.Role.HEAD)),
            member_count=Count("memberships", filter=Q(memberships__role=Membership.Role.MEMBER)),
        ).order_by("name")
    )
    visible = set(Unit.objects.visible_to(user).values_list("pk", flat=True))
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
    return [
        (Unit.Level.BUSINESS.label, tree[Unit.Level.BUSINESS]),
        (Unit.Level.FUNCTIONAL.label, tree[Unit.Level.FUNCTIONAL]),
    ]


def unit_page(*, user, unit: Unit) -> dict:
    """A unit's people, its commitments by objective, the current objectives it does not
    commit to and last year's commitments it has to confirm; its history is a page of its own
    (unit_history_page)."""
    position = StrategicPosition.objects.current()
    active = list(position.objectives.active()) if position is not None else []
    page_key, today = versions.page_key(), timezone.localdate()
    # The outcomes of the measures it reports change only with a save or the date: read once
    # for everyone, the entry forms added for each user.
    outcomes_key = f"unit-outcomes:{unit.pk}:{position.pk if position else 0}:{page_key}"
    found = django_cache.get(outcomes_key)
    if found is None:
        found = _unit_outcomes(unit=unit, position=position)
        django_cache.set(outcomes_key, found, CACHED_SECONDS)
    return {
        "unit": unit,
        "position": position,
        "outcomes": _with_entry_forms(user=user, found=found),
        "can_import": user.has_perm("alignment.import_measure_actuals"),
        # Its people and commitments, which only a save changes (strategy.versions): read when
        # the page's template does not find them cached under `body_key`.
        "body": cache(partial(_unit_body, unit=unit, active=active)),
        # The commitments' overdue dates are the server's today, the outcomes the company's.
        "body_key": f"{page_key}-{today.isoformat()}",
        "to_confirm": services.commitments_to_confirm(
            unit=unit, position=position, objectives=active
        )
        if position
        else [],
        "can_edit": user.has_perm("alignment.edit_commitments", unit),
        "today": today,
    }


def _unit_outcomes(*, unit: Unit, position: StrategicPosition | None) -> list:
    """The outcomes of the measures the team reports: the current strategy's, of its active
    objectives."""
    if position is None:
        return []
    reported = list(
        Measure.objects.filter(
            reporting_team=unit, objective__position=position, objective__retired_at=None
        )
        .select_related("objective__position")
        .order_by("objective__order", "objective_id", "pk")
    )
    for measure in reported:
        measure.reporting_team = unit
    company = CompanySettings.read()
    start_month, today = outcomes.company_calendar(company)
    return outcomes.measures_outcomes(
        reported, company=company, today=today, start_month=start_month
    )


def _unit_body(*, unit: Unit, active: list[Objective]) -> dict:
    """A unit's heads and members, its commitments by objective and the current objectives
    (`active`) it does not commit to."""
    commitments = unit.commitments.select_related("objective", "objective__position").order_by(
        "-objective__position__fiscal_year", "objective__order", "lever", "due_on"
    )
    by_objective = defaultdict(list)
    for commitment in commitments:
        by_objective[commitment.objective].append(commitment)
    memberships = unit.memberships.select_related("user").order_by("role", "user__last_name")
    return {
        "by_objective": dict(by_objective),
        "uncommitted": [o for o in active if o not in by_objective],
        "heads": [m.user for m in memberships if m.role == Membership.Role.HEAD],
        "members": [m.user for m in memberships if m.role == Membership.Role.MEMBER],
    }


def unit_history_page(*, unit: Unit, page=None) -> dict:
    """A page of the changes to a unit, its memberships and its commitments, newest first."""
    return {
        "subject": unit.name,
        "back_url": unit.get_absolute_url(),
        **history.history_page(
            unit,
            history.Records(Membership, "unit_id", unit.pk),
            history.Records(Commitment, "unit_id", unit.pk),
            page=page,
            known=[unit],
        ),
    }


def commitment_to_confirm(*, user, pk: int) -> tuple[Commitment, Objective | None]:
    """A commitment of a team the user sees, and the objective it would carry over to (None
    when it was already carried over or dropped, or there is no current strategy)."""
    commitment = get_object_or_404(
        Commitment.objects.filter(unit__in=Unit.objects.visible_to(user)).select_related("unit"),
        pk=pk,
    )
    position = StrategicPosition.objects.current()
    pairs = (
        dict(services.commitments_to_confirm(unit=commitment.unit, position=position))
        if position
        else {}
    )
    return commitment, pairs.get(commitment)


def commitment_form_page(*, user, pk: int) -> tuple[Commitment, QuerySet[Objective]]:
    """A commitment of a team the user sees, and the objectives it may move to: the current
    ones, and its own even after it is retired or a new year starts."""
    commitment = get_object_or_404(
        Commitment.objects.filter(unit__in=Unit.objects.visible_to(user)).select_related(
            "unit", "objective"
        ),
        pk=pk,
    )
    objectives = commitable_objectives() | Objective.objects.filter(pk=commitment.objective_id)
    return commitment, objectives


def commitment_history(commitment: Commitment) -> list[history.Entry]:
    """The commitment's newest changes (PER_PAGE of them; its unit's history page has all)."""
    return history.newest_entries(commitment)[0]


# --- The coverage matrix -----------------------------------------------------------------------


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


def _teams_by_region() -> QuerySet[Unit]:
    return (
        Unit.objects.active()
        .functional()
        .annotate(region_name=_region_of_team())
        .order_by(Case(When(region_name="", then=1), default=0), "region_name", "name")
    )


def _matrix_teams(params: Mapping[str, str]):
    """The active teams the matrix's filters keep, by region then name, and the filters (an
    unknown region is none: _unknown_region says so)."""
    teams = _teams_by_region()
    regions = list(Unit.objects.filter(kind=Unit.Kind.REGION).only("code", "name").order_by("name"))
    region_code = params.get("region", "")
    region = next((r for r in regions if r.code == region_code), None)
    if region is not None:
        teams = teams.filter(_in_region(region))
    search = params.get("q", "").strip()
    if search:
        teams = teams.filter(name__icontains=search)
    filters = {"region": region.code if region else "", "q": search}
    return teams, regions, filters


def _active_objectives(position: StrategicPosition) -> list[Objective]:
    return list(
        position.objectives.active().only("position", "title", "order").order_by("order", "pk")
    )


def _unknown_region(params: Mapping[str, str]) -> list[str]:
    """The message saying the region asked for does not exist, if it does not."""
    code = params.get("region", "")
    if not code or Unit.objects.filter(kind=Unit.Kind.REGION, code=code).exists():
        return []
    return [_("There is no region “%(region)s”: the region filter was ignored.") % {"region": code}]


def matrix_page(*, user, position: StrategicPosition, params: Mapping[str, str]) -> dict:
    """What the matrix page's template caches under `body_key` and reads from `body` only when
    it does not find it there (matrix_body); `ignored` names the filters that were not valid.

    The body shows what strategy.versions counts (the objectives, the teams and their
    regions, the commitments), which teams the user may open and the filters and page asked
    for: each is in the key, so every change shows at once."""
    # Whose team pages the user may open: every team's, or those of the teams they belong to.
    seen = "all" if roles.sees_all_teams(user) else f"user-{user.pk}"
    asked = urlencode(
        {
            "region": params.get("region", ""),
            "q": params.get("q", "").strip(),
            "page": _page_number(params.get("page")),
        }
    )
    return {
        "position": position,
        "body": cache(partial(matrix_body, user=user, position=position, params=params)),
        "body_key": f"{versions.current()}-{position.pk}-{seen}-{asked}",
        "ignored": _unknown_region(params),
    }


def matrix_body(*, user, position: StrategicPosition, params: Mapping[str, str]) -> dict:
    """A page of teams (filtered by region or name, grouped by region) by the position's active
    objectives, with the commitments in each cell; the objectives' totals count every team."""
    objectives = _active_objectives(position)
    teams, regions, filters = _matrix_teams(params)
    page = counted_page(
        teams.only("code", "name", "parent_id"), MATRIX_TEAMS_PER_PAGE, params.get("page")
    )
    shown = list(page.object_list)
    # A team's name links to its page only for those who may open it (the page's own rule).
    openable = (
        {t.pk for t in shown}
        if roles.sees_all_teams(user)
        else set(
            Unit.objects.visible_to(user)
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
    return {
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
    }


def matrix_rows(position: StrategicPosition) -> tuple[list[str], Iterator[list]]:
    """The whole coverage matrix, every active team by every active objective: the header and
    the rows (read as they are written)."""
    objectives = _active_objectives(position)
    teams = _teams_by_region().values_list("pk", "region_name", "code", "name")
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
    return header, rows()


def measure_history_page(*, user, pk: int, page=None) -> dict:
    """A page of the changes to a measure, its plan per period and its values (corrections
    included), newest first."""
    positions = StrategicPosition.objects.visible_to(user)
    measure = get_object_or_404(
        Measure.objects.filter(objective__position__in=positions).select_related(
            "objective__position"
        ),
        pk=pk,
    )
    return {
        "subject": f"{measure.name} ({measure.objective.title})",
        "back_url": measure.objective.get_absolute_url(),
        **history.history_page(
            measure,
            history.Records(MeasurePlanPoint, "measure_id", measure.pk),
            history.Records(MeasureActual, "measure_id", measure.pk),
            page=page,
            known=[measure, measure.objective],
        ),
    }


def measure_actuals_template_rows(*, user) -> tuple[list[str], list[list]]:
    """The current strategy's measures the user enters, one line per period due (ended) that
    has no value yet, with empty value and comment: the import's columns, ready to fill in."""
    position = StrategicPosition.objects.current()
    if position is None:
        return list(actuals_import.COLUMNS), []
    measures = list(
        Measure.objects.filter(objective__position=position, objective__retired_at=None)
        .select_related("objective__position")
        .order_by("objective__order", "objective_id", "pk")
    )
    measures = [m for m in measures if user.has_perm("alignment.enter_measure_actuals", m)]
    company = CompanySettings.read()
    start_month, today = outcomes.company_calendar(company)
    rows = []
    for outcome in outcomes.measures_outcomes(
        measures, company=company, today=today, start_month=start_month
    ):
        measure = outcome.measure
        for point in outcome.year:
            if outcome.last_due is None or point.period > outcome.last_due:
                break
            if point.actual is None:
                rows.append(
                    [position.fiscal_year, measure.objective.title, measure.name,
                     point.period.code, "", ""]
                )  # fmt: skip
    return list(actuals_import.COLUMNS), rows
