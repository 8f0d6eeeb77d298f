"""What the reviews pages read: one function per part of a page, each returning the context it
fills, in a bounded number of queries whatever the size of the company. The home page asks one
per role it shows; the cycle page reads the cycle with its previous review and its checks' counts
in one query, with what its cached body changes with (cycle_facts), then, only when that body
is missing from the cache, the stored scores of reviews.standings. The signals and the report
files are the sustain and reports apps' parts of the cycle page, rendered by their template
tags. A check
page shows every lever of every objective the team scores, with the lever's rubric questions and
last quarter's score beside it: its rows carry their controls ready to write, since a template
node per option and per attribute was most of that page's time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache, partial

from django.contrib.auth import get_user_model
from django.core.cache import cache as django_cache
from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery, TextField, Value
from django.forms.utils import ErrorList
from django.http import Http404, QueryDict
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.dates import MONTHS_3
from django.utils.functional import SimpleLazyObject, empty
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, gettext, gettext_lazy

from reviews import dispatch, forms, services, standings, trends
from reviews.forms import (
    CheckItemForm,
    CommitmentStatusForm,
    ExecutiveScoreForm,
    ReopenForm,
    TeamFilterForm,
    score_options,
    status_options,
)
from reviews.models import (
    LEVERS,
    NOT_APPLICABLE,
    SCORE_LEVELS,
    Action,
    AlignmentCheck,
    CadenceSettings,
    CheckItem,
    CheckReopening,
    ReviewCycle,
    RubricQuestion,
    quarter_end,
)
from strategy import history, outcomes, roles, translations, versions
from strategy import services as strategy
from strategy.models import (
    Acknowledgement,
    Commitment,
    ContentVersion,
    Lever,
    Measure,
    MeasureActual,
    MeasurePlanPoint,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Unit,
    start_month_or_default,
)
from strategy.prepared import as_models, prepared

DUE_SOON_DAYS = 45
DUE_SOON_SHOWN = 20


# --- The home page ---------------------------------------------------------------------------


def home_member(*, user, today: date) -> dict:
    """Everyone's part: the current strategy (and whether they read it), their teams, the
    teams they head and the commitments due soon; the drafts too for those who see them."""
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
    return {
        "position": position,
        # Its statement in the reader's language, read only when the card is not cached.
        "reading": cache(partial(translations.reading, position.pk if position else None)),
        "position_read": position is not None and position.is_read,
        "my_units": my_units,
        # The strategy's card and the commitments due soon change only with a save or the
        # date: the template caches them under this (strategy.versions), the units and the day.
        "content_key": f"{versions.current()}-{today.isoformat()}",
        "my_unit_ids": ",".join(str(unit.pk) for unit in my_units),
        "headed": roles.headed_unit_ids(user),
        "today": today,
        "due_soon": Commitment.objects.open()
        .filter(unit__in=my_units, due_on__lte=today + timedelta(days=DUE_SOON_DAYS))
        .select_related("unit", "objective")
        .order_by("due_on")[:DUE_SOON_SHOWN],
        "drafts": [p for p in positions if p.status == draft],
    }


@prepared
def _open_check_rows(*, units, states):
    return (
        AlignmentCheck.objects.filter(unit_id__in=units, cycle__state__in=states)
        .order_by("cycle__due_on", "pk")
        .values_list(
            *_CHECK_FIELDS,
            *(f"cycle__{name}" for name in _CYCLE_FIELDS),
            *(f"unit__{name}" for name in _UNIT_FIELDS),
        )
    )


def home_head(*, headed) -> dict:
    """A head's part: the open checks of the teams they head, the soonest due first, with
    their cycles (not their snapshots) and units, in one prepared read."""
    states = [ReviewCycle.State.OPEN.value, ReviewCycle.State.IN_REVIEW.value]
    rows = _open_check_rows(units=sorted(headed), states=states) if headed else []
    return {"open_checks": [_check_of(row) for row in rows]}


def home_reviewer() -> dict:
    """The part of those who see the cycles: the latest quarterly review (not the annual refresh,
    which has no checks, even when the refresh opened later), its index and completion, the
    change from the quarter before and the index's chart."""
    # One query for the quarters (each with its frozen index) that the card and its chart show;
    # the running cycle's index from its stored scores, the checks counted by state.
    cycles = trends.quarterly_cycles()
    cycle = max(cycles, key=lambda c: c.opens_on, default=None)
    if cycle is None:
        return {}
    index = cycle_index(cycle)
    key = (cycle.fiscal_year, cycle.quarter)
    earlier = [c for c in cycles if (c.fiscal_year, c.quarter) < key]
    before = cycle_index(earlier[-1]) if earlier else None
    return {
        "cycle": cycle,
        "results": {"index": index},
        "completion": standings.completion(cycle),
        "change": None if before is None or index is None else index - before,
        "index_trend": trends.company_chart(
            live_results={"index": index}, live_cycle=cycle, cycles=cycles
        ),
    }


def home_refresh() -> dict:
    """The part of those who see drafts: the running annual refresh and what it has left."""
    refresh = (
        ReviewCycle.objects.filter(kind=ReviewCycle.Kind.ANNUAL, state__in=dispatch.RUNNING)
        .select_related("position")
        .order_by("-fiscal_year")
        .first()
    )
    if refresh is None:
        return {}
    return {
        "refresh": refresh,
        "refresh_undecided": strategy.undecided_objectives(refresh.position).count(),
    }


def cycle_index(cycle: ReviewCycle) -> float | None:
    """The index of one of trends.quarterly_cycles(): frozen once closed, else live."""
    if not cycle.is_closed:
        return services.live_index(cycle)
    if cycle.index is None:  # none frozen: cycle_scores() knows a cycle closed before freezing
        return services.cycle_scores(cycle, index_only=True)["index"]
    return cycle.index


# --- Planning a review -----------------------------------------------------------------------


def next_cycle_initial(position: StrategicPosition) -> dict:
    """The form's proposal for the next quarterly review: the quarter after the last one planned
    (the position's first without any), opening the day after it ends, due two weeks later."""
    last = ReviewCycle.objects.quarterly().order_by("-fiscal_year", "-quarter").first()
    if last is None:
        year, quarter = position.fiscal_year, 1
    elif last.quarter < 4:
        year, quarter = last.fiscal_year, last.quarter + 1
    else:
        year, quarter = last.fiscal_year + 1, 1
    opens_on = quarter_end(year, quarter) + timedelta(days=1)
    return {
        "fiscal_year": year,
        "quarter": quarter,
        "opens_on": opens_on,
        "due_on": opens_on + timedelta(days=14),
    }


# --- The cycle page --------------------------------------------------------------------------


# The cycle page's statements are written out: the ORM took ten times longer to build and
# compile them than the database takes to run them. Constant text, every value a parameter;
# the same SQL on PostgreSQL and SQLite.
CYCLE_AND_PREVIOUS_SQL = """
SELECT c.id, c.kind, c.fiscal_year, c.quarter, c.position_id, c.opens_on, c.due_on, c.state,
  c.opened_at, c.review_started_at, c.closed_at, c.closed_by_id, c.created_at,
  p.fiscal_year AS position_year,
  (SELECT COUNT(*) FROM reviews_alignmentcheck k
    WHERE k.cycle_id = c.id AND k.state = %(submitted)s) AS submitted,
  (SELECT COUNT(*) FROM reviews_alignmentcheck k
    WHERE k.cycle_id = c.id AND k.state = %(draft)s) AS draft,
  (SELECT COUNT(*) FROM reviews_alignmentcheck k
    WHERE k.cycle_id = c.id AND k.state = %(not_started)s) AS not_started,
  (SELECT s.fiscal_year_start_month FROM alignment_companysettings s
    ORDER BY s.id LIMIT 1) AS fiscal_start_month,
  (SELECT f.score FROM reviews_frozenscore f
    WHERE f.cycle_id = c.id AND f.objective_id IS NULL AND f.unit_id IS NULL
    LIMIT 1) AS frozen_index,
  (SELECT MAX(k.id) FROM reviews_alignmentcheck k WHERE k.cycle_id = c.id) AS newest_check,
  (SELECT COUNT(*) FROM reviews_livescore s WHERE s.cycle_id = c.id) AS live_rows,
  (SELECT MAX(s.id) FROM reviews_livescore s WHERE s.cycle_id = c.id) AS live_newest,
  (SELECT COUNT(*) FROM reviews_executivescore e WHERE e.cycle_id = c.id) AS executive_rows,
  (SELECT MAX(e.at) FROM reviews_executivescore e WHERE e.cycle_id = c.id) AS executive_latest,
  (SELECT v.number FROM alignment_contentversion v WHERE v.id = 1) AS content_version
FROM reviews_reviewcycle c JOIN alignment_strategicposition p ON p.id = c.position_id
WHERE c.id = %(pk)s OR c.id = (
  SELECT e.id FROM reviews_reviewcycle e
  JOIN reviews_reviewcycle t ON t.id = %(pk)s AND t.kind = %(quarterly)s
  WHERE e.kind = %(quarterly)s AND e.state <> %(planned)s
    AND (e.fiscal_year < t.fiscal_year OR (e.fiscal_year = t.fiscal_year AND e.quarter < t.quarter))
  ORDER BY e.fiscal_year DESC, e.quarter DESC
  LIMIT 1)
"""


def cycle_and_previous(pk: int) -> tuple[ReviewCycle, ReviewCycle | None]:
    """The cycle (its checks counted by state: `submitted`, `draft`, `not_started`) and the
    quarterly review before it (services.previous_cycle), in one query; each with its frozen
    index (`frozen_index`, None while it runs), the month fiscal years start in
    (`fiscal_start_month`, None until the company settings are saved) and its position's
    fiscal year (`position`, the rest of which is read if asked for); and what its page's
    cached body changes with (cycle_facts). Not the snapshot."""
    states = AlignmentCheck.State
    rows = list(
        ReviewCycle.objects.raw(
            CYCLE_AND_PREVIOUS_SQL,
            {
                "pk": pk,
                "submitted": states.SUBMITTED,
                "draft": states.DRAFT,
                "not_started": states.NOT_STARTED,
                "quarterly": ReviewCycle.Kind.QUARTERLY,
                "planned": ReviewCycle.State.PLANNED,
            },
        )
    )
    for row in rows:
        # The position as select_related() would give it, with only the field the page shows.
        row.position = StrategicPosition.from_db(
            row._state.db, ["id", "fiscal_year"], [row.position_id, row.position_year]
        )
    cycle = next((c for c in rows if c.pk == pk), None)
    if cycle is None:
        raise Http404("No such review.")
    return cycle, next((c for c in rows if c.pk != pk), None)


def _first_month(cycle: ReviewCycle) -> int:
    """The month fiscal years start in, as strategy.models.fiscal_start_month() has it, from
    the cycle's `fiscal_start_month` (read with it)."""
    return start_month_or_default(cycle.fiscal_start_month)


def team_table(cycle: ReviewCycle, current: dict, done: dict, *, user, params: QueryDict) -> dict:
    """The heatmap's bounded page of teams (the viewer's own first), its filters and what they
    hide."""
    form = TeamFilterForm(params or None, regions=standings.regions())
    teams = standings.team_page(
        cycle,
        current,
        total=done["total"],
        filters=form.filters(),
        viewer=user.pk,  # the teams they head first
        page_number=params.get("page"),
    )
    query = params.copy()
    query.pop("page", None)
    return {
        "team_filters": form,
        "teams": teams,
        "heatmap": teams.rows,
        "query": query.urlencode(),
        "objective_columns": standings.formatted_objectives(current["objectives"]),
        "index_text": standings.whole(current["index"]),
    }


# The actions of services.open_actions_for (open, of the cycles services.action_cycles
# names: this one; for a quarterly review the earlier quarters of its fiscal year and the
# review just before it, for an annual refresh the quarters of the year before that opened
# by its own opening) and those done in this cycle, with the names the page shows.
ACTIONS_SQL = """
SELECT a.id, a.cycle_id, a.kind, a.title, a.objective_id, a.owner_id, a.due_on,
  a.agenda_item, a.completed_at,
  o.title AS objective_title, u.name AS owner_name,
  c.kind AS cycle_kind, c.fiscal_year AS cycle_year, c.quarter AS cycle_quarter
FROM reviews_action a
JOIN reviews_reviewcycle c ON c.id = a.cycle_id
JOIN alignment_unit u ON u.id = a.owner_id
LEFT JOIN alignment_objective o ON o.id = a.objective_id
WHERE (a.completed_at IS NULL AND (
    a.cycle_id = %(cycle)s OR a.cycle_id = %(previous)s
    OR (c.kind = %(quarterly)s AND c.fiscal_year = %(year)s AND c.quarter < %(quarter)s)
    OR (c.kind = %(quarterly)s AND c.fiscal_year = %(year_before)s AND c.opens_on <= %(opened)s)
  ))
  OR (a.cycle_id = %(cycle)s AND a.completed_at IS NOT NULL)
ORDER BY a.due_on, a.id
"""


def cycle_actions(
    cycle: ReviewCycle, previous: ReviewCycle | None
) -> tuple[list[Action], list[Action]]:
    """The open actions a cycle's page and reports list (services.open_actions_for's, by due
    date) and those done in this cycle (in Action's order), in one query; `previous` is
    services.previous_cycle(cycle). Each with its owner's name, objective's title and cycle's
    label, as select_related() would give them."""
    quarterly = cycle.kind == ReviewCycle.Kind.QUARTERLY
    rows = list(
        Action.objects.raw(
            ACTIONS_SQL,
            {
                "cycle": cycle.pk,
                "quarterly": ReviewCycle.Kind.QUARTERLY,
                # A quarterly review's scope, or an annual refresh's (see above).
                "previous": previous.pk if quarterly and previous else None,
                "year": cycle.fiscal_year if quarterly else None,
                "quarter": cycle.quarter if quarterly else None,
                "year_before": None if quarterly else cycle.fiscal_year - 1,
                "opened": None if quarterly else cycle.opens_on,
            },
        )
    )
    for a in rows:
        db = a._state.db
        a.owner = Unit.from_db(db, ["id", "name"], [a.owner_id, a.owner_name])
        a.objective = (
            Objective.from_db(db, ["id", "title"], [a.objective_id, a.objective_title])
            if a.objective_id
            else None
        )
        a.cycle = ReviewCycle.from_db(
            db,
            ["id", "kind", "fiscal_year", "quarter"],
            [a.cycle_id, a.cycle_kind, a.cycle_year, a.cycle_quarter],
        )
    finished = sorted(
        (a for a in rows if a.completed_at is not None),
        key=lambda a: (a.completed_at, a.due_on, a.pk),  # Action's own ordering
    )
    return [a for a in rows if a.completed_at is None], finished


def cycle_facts(cycle: ReviewCycle, previous: ReviewCycle | None) -> str:
    """What the cycle page's cached body shows changes with, as cycle_and_previous() read it
    with the two cycles: their state and closing (a closed cycle's scores and snapshot never
    change after), their checks' counts by state and newest id, their LiveScore rows' count
    and newest id (rows that are deleted and inserted again, never updated), their executive
    scores' count and latest time (one updated moves its time), and strategy.versions' number
    (the objectives, their titles and weights, the teams, their names, regions and heads, the
    company's calendar)."""
    facts: list = [cycle.content_version or 0]
    for c in (cycle, previous):
        if c is None:
            facts.append("-")
            continue
        facts += [
            c.pk,
            c.kind,
            c.fiscal_year,
            c.quarter,
            c.state,
            c.opens_on,
            c.due_on,
            c.closed_at.timestamp() if c.closed_at else "",
            c.submitted,
            c.draft,
            c.not_started,
            c.newest_check or 0,
            c.live_rows,
            c.live_newest or 0,
            c.executive_rows,
            c.executive_latest or "",
        ]
    return ":".join(str(f) for f in facts)


# What cycle_page() gives its template for the cached body (templates/reviews/cycle_detail.html),
# each read from _cycle_body() when the template asks for it, which it does only on a miss.
CYCLE_BODY_PARTS = (
    "results",
    "change",
    "change_text",
    "agenda",
    "agenda_more",
    "team_filters",
    "teams",
    "heatmap",
    "query",
    "objective_columns",
    "index_text",
    "score_form",
)


def cycle_page(*, pk: int, user, params: QueryDict, today: date) -> dict:
    """Everything the cycle page shows but the signals and the report files.

    The figures, the heatmap, the agenda and the executive score's choices change only with
    cycle_facts(), the user's permissions and the teams they head (listed first), and the
    page's filters: the template caches them under `body_key` (with the language, the signals'
    and the report files' own parts), and reads CYCLE_BODY_PARTS, computed at most once and
    only if it does not find them. The actions, with the forms that complete them, are read
    on every request (one query)."""
    cycle, previous_cycle = cycle_and_previous(pk)
    can_run = user.has_perm("reviews.run_reviews")
    can_export = user.has_perm("reviews.export_reports")
    planned = cycle.state == ReviewCycle.State.PLANNED
    context = {
        "cycle": cycle,
        "can_run": can_run,
        "open_refusal": cycle.open_refusal(today=today, config=CadenceSettings.load())
        if planned
        else "",
        "is_future_quarter": cycle.is_running
        and cycle.is_future_quarter(today=today, first_month=_first_month(cycle)),
        "can_export": can_export,
    }
    if planned:  # nothing to show but how to open it
        return context
    done = standings.completion_of(cycle.submitted, cycle.draft, cycle.not_started)
    actions, done_actions = cycle_actions(cycle, previous_cycle)
    headed = ",".join(str(unit) for unit in sorted(roles.headed_unit_ids(user)))
    body = cache(
        partial(
            _cycle_body,
            cycle=cycle,
            previous_cycle=previous_cycle,
            done=done,
            user=user,
            params=params,
            score_form=can_run and cycle.is_running,
        )
    )
    context |= {
        "body_key": f"{cycle_facts(cycle, previous_cycle)}|{can_run:d}{can_export:d}|{headed}"
        f"|{params.urlencode()}",
        "previous_cycle": previous_cycle,
        "completion": done,
        "actions": actions,
        "done_actions": done_actions,
        "shows_score_form": can_run and cycle.is_running,
    }
    context |= {name: BodyPart(partial(_body_part, body, name)) for name in CYCLE_BODY_PARTS}
    return context


def _body_part(body, name: str):
    return body()[name]


class BodyPart(SimpleLazyObject):
    """A part of a page's cached body, computed the first time it is used: a template calls
    it and reads what it returns (a value that may be None or false, as computed); Python
    code may also use it as that value."""

    def __call__(self):
        if self._wrapped is empty:
            self._setup()
        return self._wrapped


def _cycle_body(
    *, cycle: ReviewCycle, previous_cycle, done: dict, user, params: QueryDict, score_form: bool
) -> dict:
    """The parts of the cycle page cached under its `body_key` (see cycle_page)."""
    current = standings.summary(cycle, previous=previous_cycle)
    previous = standings.previous_figures(previous_cycle, current=current)
    agenda, agenda_more = standings.agenda_items(cycle, current, done, previous_cycle, previous)
    body = team_table(cycle, current, done, user=user, params=params)
    change = (
        None
        if previous is None or current["index"] is None or previous["index"] is None
        else current["index"] - previous["index"]
    )
    return body | {
        "results": current,
        "change": change,
        "change_text": standings.whole(change),
        "agenda": agenda,
        "agenda_more": agenda_more,
        "score_form": ExecutiveScoreForm(
            cycle=cycle,
            teams=[(row["team"]["id"], row["team"]["name"]) for row in body["heatmap"]],
            objectives=[(o["id"], o["title"]) for o in current["objectives"]],
        )
        if score_form
        else None,
    }


# --- The check page --------------------------------------------------------------------------

THEME_SHARE_FOR_QUESTIONS = 20  # a theme with at least this weight picks rubric questions
# A check's history: the heads' scores and text, not the rows' bookkeeping.
CHECK_HISTORY_FIELDS = {f"score_{lever}": label for lever, label in Lever.choices} | {
    "evidence": gettext_lazy("Evidence"),
    "blockers": gettext_lazy("Blockers"),
}
CHECK_HISTORY_VALUES = dict.fromkeys(
    [f"score_{lever}" for lever in LEVERS], {NOT_APPLICABLE: gettext_lazy("not applicable")}
)
LEVER_LABELS = dict(Lever.choices)
# The check page shows its newest changes, and links to the whole history past them: each
# autosave adds a record per changed item, and a check is saved all quarter long.
CHECK_HISTORY_SHOWN = 10


@dataclass
class LeverControl:
    """One lever's select, with its rubric questions and last quarter's score."""

    name: str  # the field's name in the form, e.g. item-7-score_people
    label: str
    lever: str  # its code, e.g. people
    value: object  # as shown: the item's score, or what was posted
    errors: ErrorList = field(default_factory=ErrorList)
    questions: str = ""  # the rubric questions' <li>s
    has_last: bool = False
    last: int | None = None

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    @property
    def options(self) -> str:
        return score_options(str(self.value))

    @property
    def is_unscored(self) -> bool:
        return self.value == "" or self.value is None

    @property
    def described_by(self) -> str:
        """The ids of the hints beside the select: last quarter's score, then the questions."""
        hints = [f"{self.id}-last"] if self.has_last else []
        return " ".join(hints + ([f"{self.id}-questions"] if self.questions else []))


@dataclass
class TextControl:
    """Evidence or blockers: a textarea, as crispy's Bootstrap 5 field writes it."""

    name: str
    label: str
    value: str | None
    errors: ErrorList = field(default_factory=ErrorList)

    @property
    def id(self) -> str:
        return f"id_{self.name}"


@dataclass
class StatusControl:
    """The status select of one of the team's commitments on the row's objective."""

    commitment: Commitment
    name: str
    label: str
    value: object
    errors: ErrorList = field(default_factory=ErrorList)

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    @property
    def options(self) -> str:
        return status_options(str(self.value))

    @property
    def due(self) -> str:
        """As the date filter writes "j M Y"."""
        day = self.commitment.due_on
        return f"{day.day} {MONTHS_3[day.month].title()} {day.year:04d}"


@dataclass
class CheckRow:
    item: CheckItem
    title: str  # the objective's
    levers: list[LeverControl]
    texts: list[TextControl]  # evidence, blockers
    commitments: list[StatusControl]
    non_field_errors: ErrorList = field(default_factory=ErrorList)


@prepared
def _check_objectives(*, position, objectives):
    """The objectives of the strategy under review, and those of the check's items (the same
    ones, unless data was moved by hand): the items' titles and those the head may add."""
    return (
        Objective.objects.filter(Q(position_id=position) | Q(pk__in=objectives))
        .order_by("order", "pk")
        .values_list(*_OBJECTIVE_FIELDS)
    )


_OBJECTIVE_FIELDS = ["id", "title", "order", "retired_at", "previous_id"]
_COMMITMENT_FIELDS = ["id", "objective_id", "lever", "statement", "due_on", "status"]


@prepared
def _check_commitments(*, unit, objectives, dropped):
    return (
        Commitment.objects.filter(unit_id=unit, objective_id__in=objectives)
        .exclude(status=dropped)
        .order_by("lever", "pk")
        .values_list(*_COMMITMENT_FIELDS)
    )


@dataclass
class Reopening:
    at: object
    reason: str
    by: str  # the executive's name


@prepared
def _reopenings(*, check):
    return (
        CheckReopening.objects.filter(alignment_check_id=check)
        .order_by("-at")
        .values_list("at", "reason", "by__first_name", "by__last_name", "by__username")
    )


_CHECK_FIELDS = ["id", "cycle_id", "unit_id", "state", "version", "updated_at", "updated_by_id"]
_CHECK_FIELDS += ["submitted_at", "submitted_by_id"]
# A closed cycle's snapshot is big and the check pages never show it (nor its position).
_CYCLE_FIELDS = ["id", "kind", "fiscal_year", "quarter", "position_id", "opens_on", "due_on"]
_CYCLE_FIELDS += ["state", "opened_at", "review_started_at", "closed_at", "closed_by_id"]
_CYCLE_FIELDS += ["created_at"]
_UNIT_FIELDS = ["id", "code", "name", "level", "kind", "parent_id", "is_active"]
_WRITER_FIELDS = ["id", "first_name", "last_name", "username"]  # who saved it last, named


@prepared
def _check_row(*, pk):
    return (
        AlignmentCheck.objects.filter(pk=pk)
        # Whether to read the reopenings at all: most checks were never reopened.
        .annotate(
            was_reopened=Exists(CheckReopening.objects.filter(alignment_check=OuterRef("pk"))),
            # The strategy's content version, which the page's cached measures are keyed on,
            # read with the check rather than by a query of its own.
            content_version=Subquery(ContentVersion.objects.filter(pk=1).values("number")[:1]),
        )
        .values_list(
            *_CHECK_FIELDS,
            *(f"cycle__{name}" for name in _CYCLE_FIELDS),
            *(f"unit__{name}" for name in _UNIT_FIELDS),
            *(f"updated_by__{name}" for name in _WRITER_FIELDS),
            "was_reopened",
            "content_version",
        )
    )


def _check_of(row) -> AlignmentCheck:
    """A check with its cycle and unit from a row that starts with _CHECK_FIELDS, then the
    cycle's _CYCLE_FIELDS and the unit's _UNIT_FIELDS (what _check_row and _open_check_rows
    read)."""
    parts, start = [], 0
    for fields in (_CHECK_FIELDS, _CYCLE_FIELDS, _UNIT_FIELDS):
        parts.append(row[start : start + len(fields)])
        start += len(fields)
    check_values, cycle_values, unit_values = parts
    (check,) = as_models(AlignmentCheck, _CHECK_FIELDS, [check_values])
    (check.cycle,) = as_models(ReviewCycle, _CYCLE_FIELDS, [cycle_values])
    (check.unit,) = as_models(Unit, _UNIT_FIELDS, [unit_values])
    return check


def check_with_cycle(pk: int) -> AlignmentCheck | None:
    """The check, with its cycle (not its snapshot), unit and last writer, whether it was ever
    reopened (`was_reopened`) and the strategy's content version (`content_version`,
    strategy.versions): what every check view reads first, in one prepared read."""
    found = _check_row(pk=pk)
    if not found:
        return None
    (row,) = found
    check = _check_of(row)
    start = len(_CHECK_FIELDS) + len(_CYCLE_FIELDS) + len(_UNIT_FIELDS)
    writer_values = row[start : start + len(_WRITER_FIELDS)]
    check.updated_by = (
        as_models(get_user_model(), _WRITER_FIELDS, [writer_values])[0]
        if check.updated_by_id is not None
        else None
    )
    check.was_reopened, version = row[-2:]
    check.content_version = version or 0
    return check


def check_page(
    *, check: AlignmentCheck, user, data=None, measure_data=None, measure_errors=None
) -> dict:
    """The check page's context; `data` is what was posted, shown again after a refused save,
    `measure_data` and `measure_errors` the same for the values of the team's measures.

    The check comes from the views' lookup, with its cycle, unit and last writer.
    """
    items = services.check_items(check)
    ids = [i.objective_id for i in items]
    objectives = as_models(
        Objective,
        _OBJECTIVE_FIELDS,
        _check_objectives(position=check.cycle.position_id, objectives=ids),
    )
    by_pk = {o.pk: o for o in objectives}
    by_item = set(ids)
    for item in items:
        item.objective = by_pk[item.objective_id]
    order = {o.pk: n for n, o in enumerate(objectives)}  # by order, then pk
    items.sort(key=lambda i: order[i.objective_id])
    commitments = as_models(
        Commitment,
        _COMMITMENT_FIELDS,
        _check_commitments(
            unit=check.unit_id, objectives=ids, dropped=Commitment.Status.DROPPED.value
        ),
    )
    last_cycle, last_scores = services.check_last_quarter(check=check, items=items)
    rows = check_rows(
        items,
        commitments=commitments,
        questions=_questions(check),
        last_scores=last_scores,
        data=data,
    )
    can_edit = user.has_perm("reviews.edit_check", check)
    return {
        "check": check,
        "cycle": check.cycle,
        "rows": rows,
        "levers": Lever.choices,
        "levels": SCORE_LEVELS,
        "last_cycle": last_cycle,
        "can_edit": can_edit and not check.is_submitted and check.cycle.accepts_checks,
        # The permission last: it reads the user's permissions, which a draft never needs.
        "can_reopen": check.is_submitted
        and not check.cycle.is_closed
        and user.has_perm("reviews.run_reviews"),
        "reopen_form": ReopenForm(),
        "reopenings": [
            Reopening(at, reason, f"{first} {last}".strip() or username)
            for at, reason, first, last, username in _reopenings(check=check.pk)
        ]
        if check.was_reopened
        else [],
        # The newest changes, which only a save of the check writes (each moves its version
        # on; an objective added adds an item), named in the strategy's words and people's
        # names (the content version): the template caches them under `history_key`, with
        # the language, and reads `recent` only when they are not cached.
        "recent": cache(partial(_recent_history, check, known=objectives)),
        "history_key": f"{check.pk}-{check.version}-{len(items)}-{_content_version(check)}",
        **check_measures_section(check=check, user=user, data=measure_data, errors=measure_errors),
        "other_objectives": [o for o in objectives if o.retired_at is None and o.pk not in by_item]
        if can_edit
        else [],
        # After a refused save, the page keeps the version its input was based on, so that
        # saving again is refused again until the head reloads and sees the other's work.
        "version": data.get("version", check.version) if data is not None else check.version,
    }


def check_history_page(check: AlignmentCheck, *, page=None) -> dict:
    """A page of the check's score history, newest first: who changed which score or text
    (history.history_page: `history` and `history_page`)."""
    return history.history_page(
        history.Records(CheckItem, "alignment_check_id", check.pk),
        page=page,
        fields=CHECK_HISTORY_FIELDS,
        values=CHECK_HISTORY_VALUES,
    )


def _content_version(check: AlignmentCheck) -> int:
    """The strategy's content version, read with the check by the views' lookup."""
    version = getattr(check, "content_version", None)
    return versions.current() if version is None else version


def _recent_history(check: AlignmentCheck, *, known) -> dict:
    """The newest CHECK_HISTORY_SHOWN entries, and a link to the whole history if it has more."""
    entries, more = history.newest_entries_of(
        CheckItem,
        key="alignment_check_id",
        value=check.pk,
        limit=CHECK_HISTORY_SHOWN,
        fields=CHECK_HISTORY_FIELDS,
        values=CHECK_HISTORY_VALUES,
        known=known,
    )
    return {
        "history": entries,
        "history_more": reverse("reviews:check-history", args=[check.pk]) if more else "",
    }


@prepared
def _rubric_questions(*, position):
    # In one query: the themes are a subquery, not a list read first.
    themes = PositioningTheme.objects.filter(
        position_id=position, weight__gte=THEME_SHARE_FOR_QUESTIONS
    )
    return RubricQuestion.objects.for_themes(themes.values("theme")).values_list("lever", "text")


def _questions(check: AlignmentCheck) -> dict[str, str]:
    """The rubric questions by lever, for the themes the check's strategy competes on, as the
    <li>s of their list."""
    questions: dict[str, list[str]] = {}
    for lever, text in _rubric_questions(position=check.cycle.position_id):
        questions.setdefault(lever, []).append(text)
    # Every objective shows a lever's questions: their list items are written once.
    return {
        lever: format_html_join("", "<li>{}</li>", ((text,) for text in asked))
        for lever, asked in questions.items()
    }


def check_rows(
    items: list[CheckItem],
    *,
    commitments: list[Commitment],
    questions: dict[str, str],
    last_scores: dict[int, dict],
    data=None,
) -> list[CheckRow]:
    """A row per item: its values, or those posted in `data` with their errors."""
    by_objective: dict[int, list[Commitment]] = {}
    for commitment in commitments:
        by_objective.setdefault(commitment.objective_id, []).append(commitment)
    evidence, blockers = gettext("Evidence"), gettext("Blockers")  # once, not once per row
    rows = []
    for item in items:
        last = last_scores.get(item.objective_id)
        posted = _Posted(CheckItemForm(data, item=item) if data is not None else None, item)
        rows.append(
            CheckRow(
                item=item,
                title=item.objective.title,
                levers=[
                    LeverControl(
                        **posted.value_of(f"score_{lever}"),
                        label=LEVER_LABELS[lever],
                        lever=lever,
                        questions=questions.get(lever, ""),
                        has_last=last is not None,
                        last=last.get(lever) if last is not None else None,
                    )
                    for lever in LEVERS
                ],
                texts=[
                    TextControl(**posted.value_of("evidence"), label=evidence),
                    TextControl(**posted.value_of("blockers"), label=blockers),
                ],
                commitments=[
                    _status_control(c, data) for c in by_objective.get(item.objective_id, [])
                ],
                non_field_errors=posted.form.non_field_errors() if posted.form else ErrorList(),
            )
        )
    return rows


class _Posted:
    """A field's name and value as the page shows it: posted (with its errors), or stored."""

    def __init__(self, form: CheckItemForm | None, item: CheckItem):
        self.form, self.item = form, item

    def value_of(self, name: str) -> dict:
        html_name = f"item-{self.item.pk}-{name}"
        if self.form is None:
            return {"name": html_name, "value": getattr(self.item, name)}
        return {
            "name": html_name,
            "value": self.form.value(name),
            "errors": self.form.errors.get(name, ErrorList()),
        }


def _status_control(commitment: Commitment, data) -> StatusControl:
    label = CommitmentStatusForm.label_for(commitment)
    name = f"commitment-{commitment.pk}-status"
    if data is None:
        return StatusControl(commitment, name, label, commitment.status)
    posted = CommitmentStatusForm(data, commitment=commitment)
    errors = posted.errors.get("status", ErrorList())
    return StatusControl(commitment, name, label, posted.value("status"), errors)


# --- The measures a check's team reports -----------------------------------------------------


@dataclass
class MeasureCell:
    """One period's value of a measure on the check page: its field, the value stored, the
    plan, last period's value and the status."""

    period: outcomes.Period
    name: str  # the field's name, e.g. measure-12-Q3
    label: str  # Q3 FY2026, or Oct 2026
    value: object  # as the field shows it: the stored value, or what was posted
    stored: Decimal | None
    planned: Decimal | None
    last: Decimal | None
    last_label: str
    status: str | None
    errors: list[str] = field(default_factory=list)
    comment: str = ""  # as its field shows it: the stored comment, or what was posted
    stored_comment: str = ""

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    @property
    def shown(self) -> str:
        return "" if self.stored is None else str(self.stored)

    @property
    def comment_name(self) -> str:
        return f"{self.name}-comment"

    @property
    def comment_id(self) -> str:
        return f"id_{self.comment_name}"

    comment_max_length = outcomes.COMMENT_MAX_LENGTH

    @property
    def status_label(self) -> str:
        return outcomes.OutcomeStatus(self.status).label if self.status else ""


@dataclass
class MeasureRow:
    measure: object
    cells: list[MeasureCell]


def check_measures(
    *, check: AlignmentCheck, user, data=None, errors=None, may_enter: bool | None = None
) -> dict:
    """The measures the check's team reports, each with its value in the review's periods:
    the quarter, or its three months. `data` and `errors` are a refused save's, shown again;
    `may_enter`, the permission to enter their values when the caller has it already."""
    measures = list(services.check_measures(check))
    if not measures:
        elsewhere = services.check_measures_elsewhere(check)
        return {
            "measures": [],
            "can_enter_measures": False,
            "measures_elsewhere": elsewhere[: services.MEASURES_NAMED],
            "more_measures_elsewhere": len(elsewhere) > services.MEASURES_NAMED,
        }
    return {
        "measures": measure_rows(check=check, measures=measures, data=data, errors=errors),
        # The measures share their reporting team, so whoever may enter one (its head, an
        # executive) enters them all.
        "can_enter_measures": not check.cycle.is_closed
        and user.has_perm("alignment.enter_measure_actuals", measures[0])
        if may_enter is None
        else may_enter,
    }


# Where a request's CSRF token goes in a cached part: a comment, which no escaped text can be.
CSRF_MARK = format_html("<!--{}-->", "csrf")
MEASURES_CACHED_SECONDS = 24 * 60 * 60


def check_measures_section(*, check: AlignmentCheck, user, data=None, errors=None) -> dict:
    """The check page's measures as a format_html pattern whose one field, `csrf`, is the
    request's CSRF token (`measures_section`, written by check_tags.check_measures_section),
    and whether the user may enter their values (`can_enter_measures`).

    Written once per what it shows, in Django's cache: the strategy's content version
    (strategy.versions: the measures, their values, plans, objectives and company settings,
    the team's name), the check (its team and review), whether the review is closed, the
    language and the permission to enter values; the measures and their values are then not
    read at all. A refused save's values and errors (`data`, `errors`) are written anew."""
    # The measures share their reporting team, the check's, so whoever may enter one (its
    # head, an executive) enters them all: the permission needs no measure read.
    may_enter = not check.cycle.is_closed and user.has_perm(
        "alignment.enter_measure_actuals", Measure(reporting_team_id=check.unit_id)
    )
    cycle = check.cycle
    version = _content_version(check)
    key = (
        f"check-measures:{version}:{check.pk}:{cycle.kind}:{cycle.fiscal_year}:"
        f"{cycle.quarter}:{cycle.position_id}:{cycle.is_closed}:{get_language()}:"
        f"{get_script_prefix()}:{may_enter}"
    )
    found = django_cache.get(key) if data is None and errors is None else None
    if found is None:
        part = check_measures(check=check, user=user, data=data, errors=errors, may_enter=may_enter)
        html = render_to_string(
            "reviews/_check_measures.html",
            {"check": check, "cycle": cycle, "csrf_input": CSRF_MARK, **part},
        )
        pattern = html.strip().replace("{", "{{").replace("}", "}}").replace(CSRF_MARK, "{csrf}")
        found = (bool(part["measures"]), pattern)
        if data is None and errors is None:
            django_cache.set(key, found, MEASURES_CACHED_SECONDS)
    has_measures, pattern = found
    return {"measures_section": pattern, "can_enter_measures": has_measures and may_enter}


@prepared
def _measure_values_and_plans(*, ids, year, earlier, last_year):
    actuals = MeasureActual.objects.filter(
        Q(measure_id__in=ids, fiscal_year=year) | Q(measure_id__in=earlier, fiscal_year=last_year)
    ).values_list("measure_id", "fiscal_year", "period", "value", "comment")
    plan = (
        MeasurePlanPoint.objects.filter(measure_id__in=ids)
        .annotate(
            year=Value(0, output_field=IntegerField()),
            no_comment=Value(None, output_field=TextField()),
        )
        .values_list("measure_id", "year", "period", "value", "no_comment")
    )
    return actuals.order_by().union(plan.order_by(), all=True)


def _measure_values(measures, *, fiscal_year: int) -> tuple[dict, dict, dict]:
    """The values of the measures in `fiscal_year` and of last year's measures the year before,
    as (measure id, fiscal year, period) → value, their comments alike, and their plan points,
    as measure id → {period: value}: in one query, the plan points being the rows of fiscal
    year 0."""
    ids = [m.pk for m in measures]
    rows = _measure_values_and_plans(
        ids=ids,
        year=fiscal_year,
        earlier=[m.previous_id for m in measures if m.previous_id],
        last_year=fiscal_year - 1,
    )
    values, comments, points = {}, {}, {pk: [] for pk in ids}
    for measure_id, year, period, value, comment in rows:
        if year == 0:
            points[measure_id].append(MeasurePlanPoint(period=period, value=value))
        else:
            values[measure_id, year, period] = value
            comments[measure_id, year, period] = comment
    return values, comments, points


def measure_rows(*, check, measures, data=None, errors=None) -> list[MeasureRow]:
    """A row per measure of `services.check_measures`, a cell per period of the review."""
    errors = errors or {}
    values, comments, points = _measure_values(measures, fiscal_year=check.cycle.fiscal_year)
    company = services.measures_company(measures)
    start = company.start_month
    rows = []
    for measure in measures:
        plan = outcomes.measure_plan(measure, points=points[measure.pk])
        cells = []
        for period in services.check_periods(cycle=check.cycle, measure=measure):
            stored = values.get((measure.pk, period.fiscal_year, period.number))
            comment = comments.get((measure.pk, period.fiscal_year, period.number), "")
            before = period.previous()
            if period.number > 1:
                last = values.get((measure.pk, before.fiscal_year, before.number))
            elif measure.previous and measure.previous.frequency == measure.frequency:
                last = values.get((measure.previous_id, before.fiscal_year, before.number))
            else:
                last = None
            name = forms.measure_field_name(measure, period)
            cells.append(
                MeasureCell(
                    period=period,
                    name=name,
                    label=services.period_label(period, start),
                    value=data.get(name, "") if data is not None else (stored or ""),
                    stored=stored,
                    planned=plan.get(period.number),
                    last=last,
                    last_label=services.period_label(before, start),
                    status=outcomes.status_for(
                        stored,
                        plan.get(period.number),
                        baseline=measure.baseline,
                        target=measure.target,
                        higher_is_better=measure.higher_is_better,
                        tolerance_percent=company.plan_tolerance_percent,
                        off_track_percent=company.off_track_percent,
                    ),
                    errors=errors.get(name, []),
                    comment=data.get(f"{name}-comment", comment) if data is not None else comment,
                    stored_comment=comment,
                )
            )
        rows.append(MeasureRow(measure, cells))
    return rows
