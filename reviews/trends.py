"""Score trends over the quarters, drawn as server-side SVG (works in pages and PDF reports)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property, partial

from django.db.models import Count, FloatField, Max, OuterRef, Subquery
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from reviews import scoring, services
from reviews.models import FrozenScore, LiveScore, ReviewCycle
from reviews.standings import url_pattern, whole
from reviews.templatetags.review_tags import heat_class
from strategy import versions
from strategy.models import Objective, StrategicPosition, Unit
from strategy.prepared import prepared
from strategy.selectors import counted_page

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40, 48, 16, 36
TEAMS_PER_PAGE = 50


@dataclass
class Point:
    label: str
    value: float | None
    x: float = 0
    y: float | None = None
    is_open: bool = False


@dataclass
class Chart:
    title: str
    points: list[Point]
    segments: list[str] = field(default_factory=list)  # polyline "x,y x,y" runs between gaps
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def has_data(self) -> bool:
        return any(p.value is not None for p in self.points)

    @property
    def gridlines(self) -> list[dict]:
        return [{"value": v, "y": _y(v)} for v in (0, 25, 50, 75, 100)]

    @property
    def plot_left(self) -> int:
        return PAD_LEFT

    @property
    def plot_right(self) -> int:
        return WIDTH - PAD_RIGHT

    @property
    def label_y(self) -> int:
        return HEIGHT - PAD_BOTTOM + 20

    @cached_property  # shown twice per chart (its <desc> and its caption)
    def description(self) -> str:
        # floatformat rounds half up, as the numbers on the pages do (62.5 → 63).
        shown = [
            f"{p.label}: {floatformat(p.value, 0)}" for p in self.points if p.value is not None
        ]
        if not shown:
            return _("No scores yet.")
        # Translators: scores are "Q1 FY2026: 62", joined by "; ".
        return _("Score out of 100 by quarter. %(scores)s.") % {"scores": "; ".join(shown)}


def _y(value: float) -> float:
    return round(PAD_TOP + (100 - value) / 100 * (HEIGHT - PAD_TOP - PAD_BOTTOM), 1)


def build_chart(title: str, points: list[Point]) -> Chart:
    span = WIDTH - PAD_LEFT - PAD_RIGHT
    step = span / max(len(points) - 1, 1)
    segments, run = [], []
    for i, point in enumerate(points):
        point.x = round(PAD_LEFT + (i * step if len(points) > 1 else span / 2), 1)
        if point.value is None:
            if run:
                segments.append(" ".join(run))
            run = []
            continue
        point.y = _y(max(0.0, min(100.0, point.value)))
        run.append(f"{point.x},{point.y}")
    if run:
        segments.append(" ".join(run))
    return Chart(title=title, points=points, segments=segments)


def quarterly_cycles() -> list[ReviewCycle]:
    """The quarterly cycles past planning in time order, without their snapshots (labels only),
    each with its frozen `index` (None while it runs, or when it froze none): one query."""
    frozen_index = FrozenScore.objects.company().filter(cycle=OuterRef("pk")).values("score")[:1]
    return list(
        ReviewCycle.objects.quarterly()
        .exclude(state=ReviewCycle.State.PLANNED)
        .defer("snapshot")
        .annotate(index=Subquery(frozen_index, output_field=FloatField()))
        .order_by("fiscal_year", "quarter")
    )


def _cycles(
    cycles: list[ReviewCycle] | None = None,
) -> tuple[list[ReviewCycle], ReviewCycle | None]:
    """Closed quarterly cycles in order, and the newest one still running (if any)."""
    if cycles is None:
        cycles = list(
            ReviewCycle.objects.quarterly()
            .exclude(state=ReviewCycle.State.PLANNED)
            .defer("snapshot")  # labels only: the frozen scores come from FrozenScore
            .order_by("fiscal_year", "quarter")
        )
    closed = [c for c in cycles if c.is_closed]
    running = [c for c in cycles if not c.is_closed]
    return closed, (running[-1] if running else None)


def _timeline(closed, running) -> list[tuple[int, str, bool]]:
    """The quarters in time order as (cycle pk, label, is open): a quarter still open sits
    where it falls, even before a later one that has closed. Each label named once (a page
    draws a series per objective and per team over the same quarters)."""
    when = [((c.fiscal_year, c.quarter), (c.pk, c.label, False)) for c in closed]
    if running is not None:
        label = _("%(cycle)s (open)") % {"cycle": running.label}
        when.append(((running.fiscal_year, running.quarter), (running.pk, label, True)))
    return [quarter for _when, quarter in sorted(when, key=lambda pair: pair[0])]


def _points(timeline, frozen: dict[int, float], live_value) -> list[Point]:
    return [
        Point(label, live_value, is_open=True) if is_open else Point(label, frozen.get(pk))
        for pk, label, is_open in timeline
    ]


def _series(frozen: dict[int, float], closed, running, live_value) -> list[Point]:
    """The points in time order (see _timeline)."""
    return _points(_timeline(closed, running), frozen, live_value)


def company_chart(
    *,
    live_results: dict | None = None,
    live_cycle=None,
    cycles: list[ReviewCycle] | None = None,
) -> Chart:
    """The index by quarter; pass the running cycle's results when the caller has them, and
    quarterly_cycles() when it has read them."""
    closed, running = _cycles(cycles)
    if cycles is None:
        frozen = dict(FrozenScore.objects.company().values_list("cycle_id", "score"))
    else:
        frozen = {c.pk: c.index for c in closed if c.index is not None}
    live = None
    if running is not None:
        if live_results is not None and live_cycle is not None and live_cycle.pk == running.pk:
            live = live_results["index"]
        else:
            live = services.live_index(running)
    return build_chart(_("Alignment index"), _series(frozen, closed, running, live))


def _live(running, **lookup) -> float | None:
    """One stored score of the running cycle (see LiveScore), or None."""
    if running is None:
        return None
    return LiveScore.objects.filter(cycle=running, **lookup).values_list("score", flat=True).first()


def objective_chart(objective: Objective) -> Chart:
    closed, running = _cycles()
    frozen = dict(FrozenScore.objects.for_objective(objective.pk).values_list("cycle_id", "score"))
    live = _live(running, objective_id=objective.pk, unit__isnull=True)
    return build_chart(objective.title, _series(frozen, closed, running, live))


def team_chart(unit: Unit) -> Chart:
    closed, running = _cycles()
    frozen = dict(FrozenScore.objects.for_team(unit.pk).values_list("cycle_id", "score"))
    live = _live(running, unit_id=unit.pk, objective__isnull=True)
    return build_chart(unit.name, _series(frozen, closed, running, live))


@prepared
def _quarters(*, kind, planned):
    live = LiveScore.objects.filter(cycle=OuterRef("pk")).order_by().values("cycle")
    return (
        ReviewCycle.objects.filter(kind=kind)
        .exclude(state=planned)
        .annotate(
            live_rows=Subquery(live.annotate(n=Count("pk")).values("n")),
            live_newest=Subquery(live.annotate(newest=Max("pk")).values("newest")),
        )
        .order_by("fiscal_year", "quarter")
        .values_list(
            "pk", "state", "closed_at", "fiscal_year", "quarter", "live_rows", "live_newest"
        )
    )


def overview_key() -> tuple[str, list[ReviewCycle]]:
    """The key of what overview() shows, and the quarters past planning (labels only), read
    with it in one query besides the version's.

    What the page shows moves only when a quarter opens or closes (its FrozenScore rows are
    written as it closes, never after), when a team's check is submitted or reopened (the
    running quarter's LiveScore rows, which are replaced, never updated: their count or newest
    id moves), or with what strategy.versions counts (the objectives and their weights, the
    teams and their names)."""
    rows = _quarters(kind=str(ReviewCycle.Kind.QUARTERLY), planned=str(ReviewCycle.State.PLANNED))
    cycles = [
        ReviewCycle(
            pk=pk,
            kind=ReviewCycle.Kind.QUARTERLY,
            state=state,
            closed_at=closed_at,
            fiscal_year=year,
            quarter=quarter,
        )
        for pk, state, closed_at, year, quarter, _rows, _newest in rows
    ]
    quarters = ";".join(
        f"{pk},{state},{closed_at.timestamp() if closed_at else ''},{year},{quarter},"
        f"{live_rows or 0},{newest or 0}"
        for pk, state, closed_at, year, quarter, live_rows, newest in rows
    )
    return f"{versions.current()}:{quarters}", cycles


def overview(
    *,
    page_number=None,
    q: str = "",
    per_page: int | None = None,
    cycles: list[ReviewCycle] | None = None,
) -> dict:
    """The company's trend, one per objective of the current strategy, and a page of the teams'
    (those whose name contains `q`), from stored rows only; `cycles`: the quarters of
    overview_key() when they have been read."""
    closed, running = _cycles(cycles)
    timeline = _timeline(closed, running)
    position = StrategicPosition.objects.current()
    objectives = list(position.objectives.active()) if position else []
    by_objective: dict[int, dict[int, float]] = defaultdict(dict)
    company: dict[int, float] = {}
    for cycle_id, objective_id, score in FrozenScore.objects.filter(unit__isnull=True).values_list(
        "cycle_id", "objective_id", "score"
    ):
        if objective_id is None:
            company[cycle_id] = score
        else:
            by_objective[objective_id][cycle_id] = score
    live_objectives, live_index = {}, None
    if running is not None:
        rows = LiveScore.objects.filter(cycle=running, unit__isnull=True).values_list(
            "objective_id", "score", "objective__priority_weight"
        )
        weights = {}
        for objective_id, score, weight in rows:
            live_objectives[objective_id], weights[objective_id] = score, weight
        live_index = scoring.weighted_index(live_objectives, weights)
    teams = Unit.objects.active().functional().order_by("name", "pk").only("name", "code")
    if q:
        teams = teams.filter(name__icontains=q)
    page = counted_page(teams, per_page or TEAMS_PER_PAGE, page_number)
    shown = list(page.object_list)
    by_team: dict[int, dict[int, float]] = defaultdict(dict)
    for cycle_id, unit_id, score in FrozenScore.objects.filter(
        objective__isnull=True, unit__in=shown
    ).values_list("cycle_id", "unit_id", "score"):
        by_team[unit_id][cycle_id] = score
    live_teams = (
        dict(
            LiveScore.objects.filter(
                cycle=running, objective__isnull=True, unit__in=shown
            ).values_list("unit_id", "score")
        )
        if running is not None
        else {}
    )
    team_url = url_pattern("reviews:trend-team")
    return {
        "company": build_chart(_("Alignment index"), _points(timeline, company, live_index)),
        "objectives": [
            build_chart(o.title, _points(timeline, by_objective[o.pk], live_objectives.get(o.pk)))
            for o in objectives
        ],
        "labels": [label for _pk, label, _is_open in timeline],
        "page": page,
        "teams": [
            {
                "unit": t,
                "url": team_url.format(t.code),
                "values": [
                    {"value": p.value, "text": whole(p.value), "heat": heat_class(p.value)}
                    for p in _points(timeline, by_team[t.pk], live_teams.get(t.pk))
                ],
            }
            for t in shown
        ],
    }


def when_read(**arguments) -> Callable[[], dict]:
    """overview(**arguments), computed the first time it is called and only then: a template
    calls it where its cached body is missing."""
    return cache(partial(overview, **arguments))
