"""What a cycle's pages show, read from stored scores: LiveScore rows while it runs (written
when checks are submitted or reopened), FrozenScore rows and a few keys of its snapshot once it
is closed. Each page reads a bounded page of teams; nothing here scans every check item.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Count,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Abs
from django.urls import reverse
from django.utils.translation import gettext

from reviews import agenda, scoring
from reviews.models import (
    AlignmentCheck,
    ExecutiveScore,
    FrozenScore,
    LiveScore,
    ReviewCycle,
)
from reviews.templatetags.review_tags import heat_class
from strategy.models import Membership, Unit

TEAMS_PER_PAGE = 50
AGENDA_LIMIT = 10  # agenda items of one kind shown; a count and a link stand for the rest
FROZEN_SIGNALS_SHOWN = 20  # a closed cycle's frozen signals read for its page; the rest counted
UNSUBMITTED = "unsubmitted"  # the state filter's "not submitted yet": drafts and not started
SORTS = ("name", "score", "-score", "state")  # the orders of the team lists (TEAMS_SQL)


# The keys of a closed cycle's snapshot that its pages show, not the whole snapshot (its items
# and commitments are big): the index, the objectives, the teams as they were named when it
# closed, the disagreements, the measured outcomes' first signals of each kind for the agenda;
# and of the signals frozen at closing, which the sustain app's tag
# shows, the first ones and how many there are, never the whole list. The database reads the
# column once and sends only those (the JSON functions are each database's own). Written as
# the ORM writes a read of the snapshot, which tests/reviews/test_snapshot_reads.py looks for.
FROZEN_SUMMARY_SQL = {
    "postgresql": """
SELECT "reviews_reviewcycle"."snapshot" -> 'index',
  "reviews_reviewcycle"."snapshot" -> 'objectives',
  "reviews_reviewcycle"."snapshot" -> 'teams',
  "reviews_reviewcycle"."snapshot" -> 'disagreements',
  "reviews_reviewcycle"."snapshot" -> 'outcome_agenda',
  JSONB_PATH_QUERY_ARRAY("reviews_reviewcycle"."snapshot", CAST(%(head)s AS jsonpath)),
  (JSONB_PATH_QUERY_FIRST(
    "reviews_reviewcycle"."snapshot", 'strict $.signals.size()', '{}', true))::integer
FROM "reviews_reviewcycle" WHERE "reviews_reviewcycle"."id" = %(cycle)s LIMIT 1
""",
    "sqlite": """
SELECT JSON_EXTRACT("reviews_reviewcycle"."snapshot", '$.index'),
  JSON_EXTRACT("reviews_reviewcycle"."snapshot", '$.objectives'),
  JSON_EXTRACT("reviews_reviewcycle"."snapshot", '$.teams'),
  JSON_EXTRACT("reviews_reviewcycle"."snapshot", '$.disagreements'),
  JSON_EXTRACT("reviews_reviewcycle"."snapshot", '$.outcome_agenda'),
  (SELECT JSON_GROUP_ARRAY(JSON(value))
    FROM JSON_EACH("reviews_reviewcycle"."snapshot", '$.signals') WHERE key < %(shown)s),
  CASE WHEN JSON_TYPE("reviews_reviewcycle"."snapshot", '$.signals') = 'array'
    THEN JSON_ARRAY_LENGTH("reviews_reviewcycle"."snapshot", '$.signals') END
FROM "reviews_reviewcycle" WHERE "reviews_reviewcycle"."id" = %(cycle)s LIMIT 1
""",
}


def whole(value: float | None, empty: str = "") -> str:
    """A score rounded to a whole number half up, as the `floatformat:0` filter shows it."""
    if value is None:
        return empty
    rounded = math.floor(abs(value) + 0.5)
    return str(rounded if value >= 0 or rounded == 0 else -rounded)


def url_pattern(name: str) -> str:
    """A URL with "{}" where its one argument goes: one `reverse` for a whole table."""
    marker = 987654321
    return reverse(name, args=[marker]).replace(str(marker), "{}")


def scores(cycle: ReviewCycle | None):
    """The cycle's stored score rows: frozen once closed, live while it runs (none for no
    cycle, still asked: a page's queries do not depend on how many quarters have run)."""
    if cycle is None:
        return FrozenScore.objects.filter(cycle_id=None)
    model = FrozenScore if cycle.is_closed else LiveScore
    return model.objects.filter(cycle_id=cycle.pk)


# --- The figures of the whole cycle ----------------------------------------------------------


def cycle_rows():
    """The cycle list: the columns it shows, the frozen index and the checks' counts, and
    never a snapshot."""
    frozen_index = FrozenScore.objects.filter(
        cycle=OuterRef("pk"), objective__isnull=True, unit__isnull=True
    ).values("score")[:1]
    return (
        ReviewCycle.objects.only(
            "kind", "fiscal_year", "quarter", "state", "opens_on", "due_on", "closed_at"
        )
        .annotate(
            index=Subquery(frozen_index, output_field=FloatField()),
            checks_total=Count("checks"),
            checks_submitted=Count(
                "checks", filter=Q(checks__state=AlignmentCheck.State.SUBMITTED)
            ),
        )
        .order_by("-fiscal_year", "-quarter", "-opens_on")
    )


def add_live_index(cycles: list[ReviewCycle]) -> None:
    """Set the index of the running cycles among `cycles`, from their stored scores."""
    running = {c.pk: c for c in cycles if c.is_running}
    if not running:
        return
    scores_of: dict[int, dict] = {pk: {} for pk in running}
    weights: dict[int, int] = {}
    for cycle_id, objective_id, score, weight in LiveScore.objects.filter(
        cycle__in=list(running), objective__isnull=False, unit__isnull=True
    ).values_list("cycle_id", "objective_id", "score", "objective__priority_weight"):
        scores_of[cycle_id][objective_id], weights[objective_id] = score, weight
    for pk, cycle in running.items():
        cycle.index = scoring.weighted_index(scores_of[pk], weights)


def summary(cycle: ReviewCycle, *, previous: ReviewCycle | None = None) -> dict:
    """The index and the objectives (id, title, weight, external_promise, score, teams).

    For a running cycle and a closed `previous` one, also the objectives' scores in that one
    (`previous_scores`, by id), read with them: see previous_figures()."""
    if cycle.is_closed:
        # The keys the page shows, not the whole snapshot (its items and commitments are big);
        # the teams as they were named when it closed.
        with connection.cursor() as cursor:
            cursor.execute(
                FROZEN_SUMMARY_SQL[connection.vendor],
                {
                    "cycle": cycle.pk,
                    "shown": FROZEN_SIGNALS_SHOWN,
                    "head": f"$.signals[0 to {FROZEN_SIGNALS_SHOWN - 1}]",
                },
            )
            values = cursor.fetchone()
        # JSON as text (the database's own numbers as they are), None where there is no key.
        keys = ["index", "objectives", "teams", "disagreements", "outcome_agenda"]
        keys += ["signals", "signals_total"]
        frozen = {
            key: json.loads(value) if isinstance(value, str) else value
            for key, value in zip(keys, values, strict=True)
        }
        if frozen["objectives"] is not None:
            return frozen
    compared = previous is not None and previous.is_closed
    with connection.cursor() as cursor:
        cursor.execute(
            OBJECTIVES_SQL,
            stored_ids(cycle)
            | {
                "cycle": cycle.pk,
                "position": cycle.position_id,
                "previous": previous.pk if compared else None,
            },
        )
        rows = cursor.fetchall()
    objectives = [
        {
            "id": pk,
            "title": title,
            "weight": weight,
            "external_promise": promise,
            "score": score,
            "teams": teams,
        }
        for pk, title, weight, promise, score, teams, _ in rows
    ]
    index = scoring.weighted_index(
        {o["id"]: o["score"] for o in objectives}, {o["id"]: o["weight"] for o in objectives}
    )
    result = {"index": index, "objectives": objectives}
    if compared:
        result["previous_scores"] = {row[0]: row[6] for row in rows if row[6] is not None}
    return result


def stored_ids(cycle: ReviewCycle | None) -> dict:
    """The parameters `live` and `frozen` of the statements that read a cycle's stored score
    rows as scores() does: the cycle's id as the one of the table it reads (None as the
    other, and as both without a cycle)."""
    if cycle is None:
        return {"live": None, "frozen": None}
    if cycle.is_closed:
        return {"live": None, "frozen": cycle.pk}
    return {"live": cycle.pk, "frozen": None}


# The objectives a cycle scores (the position's active ones, and any of its checks' items),
# each with its stored score (see stored_ids), how many teams committed to it (its items that
# are not extras) and its frozen score in a `previous` cycle.
OBJECTIVES_SQL = """
SELECT o.id, o.title, o.priority_weight, o.external_promise,
  COALESCE(
    (SELECT s.score FROM reviews_livescore s
      WHERE s.cycle_id = %(live)s AND s.objective_id = o.id AND s.unit_id IS NULL LIMIT 1),
    (SELECT f.score FROM reviews_frozenscore f
      WHERE f.cycle_id = %(frozen)s AND f.objective_id = o.id AND f.unit_id IS NULL LIMIT 1)
  ) AS score,
  COALESCE(committed.n, 0) AS teams,
  (SELECT f.score FROM reviews_frozenscore f
    WHERE f.cycle_id = %(previous)s AND f.objective_id = o.id AND f.unit_id IS NULL
    LIMIT 1) AS previous_score
FROM alignment_objective o
LEFT JOIN (
  SELECT i.objective_id, COUNT(*) AS n FROM reviews_checkitem i
  JOIN reviews_alignmentcheck k ON k.id = i.alignment_check_id
  WHERE k.cycle_id = %(cycle)s AND NOT i.is_extra
  GROUP BY i.objective_id
) committed ON committed.objective_id = o.id
WHERE (o.position_id = %(position)s AND o.retired_at IS NULL)
  OR o.id IN (
    SELECT i.objective_id FROM reviews_checkitem i
    JOIN reviews_alignmentcheck k ON k.id = i.alignment_check_id
    WHERE k.cycle_id = %(cycle)s)
ORDER BY o."order", o.id
"""


def previous_figures(cycle: ReviewCycle | None, *, current: dict | None = None) -> dict | None:
    """A cycle's index and its objectives' scores by id, from its stored rows.

    Without a query when `current` is summary(later, previous=cycle) with the scores of the
    objectives it shows (all the agenda compares) and `cycle` has its frozen index
    (`frozen_index`, as reviews.selectors reads it)."""
    if current and "previous_scores" in current and hasattr(cycle, "frozen_index"):
        return {"index": cycle.frozen_index, "objectives": current["previous_scores"]}
    with connection.cursor() as cursor:  # asked without a cycle too: see scores()
        cursor.execute(FIGURES_SQL, stored_ids(cycle))
        rows = cursor.fetchall()
    objectives, weights, index = {}, {}, None
    for objective_id, score, weight in rows:
        if objective_id is not None:
            objectives[objective_id], weights[objective_id] = score, weight
        else:
            index = score
    if cycle is None:
        return None
    if not cycle.is_closed:
        index = scoring.weighted_index(objectives, weights)
    return {"index": index, "objectives": objectives}


# A cycle's stored rows of the whole company and of each objective (see stored_ids), with the
# objective's weight.
FIGURES_SQL = """
SELECT s.objective_id, s.score, o.priority_weight FROM (
  SELECT objective_id, score FROM reviews_livescore
  WHERE cycle_id = %(live)s AND unit_id IS NULL
  UNION ALL
  SELECT objective_id, score FROM reviews_frozenscore
  WHERE cycle_id = %(frozen)s AND unit_id IS NULL
) s LEFT JOIN alignment_objective o ON o.id = s.objective_id
"""


def completion(cycle: ReviewCycle) -> dict:
    states = AlignmentCheck.State
    counts = cycle.checks.aggregate(
        submitted=Count("pk", filter=Q(state=states.SUBMITTED)),
        draft=Count("pk", filter=Q(state=states.DRAFT)),
        not_started=Count("pk", filter=Q(state=states.NOT_STARTED)),
    )
    return completion_of(**counts)


def completion_of(submitted: int, draft: int, not_started: int) -> dict:
    """completion() from checks already counted (reviews.selectors counts them with the cycle)."""
    total = submitted + draft + not_started
    return {
        "submitted": submitted,
        "draft": draft,
        "not_started": not_started,
        "total": total,
        "percent": round(100 * submitted / total) if total else 0,
    }


def formatted_objectives(objectives: list[dict]) -> list[dict]:
    """The heatmap's columns, with their scores formatted once."""
    return [
        o | {"score_text": whole(o["score"], "—"), "heat": heat_class(o["score"])}
        for o in objectives
    ]


# --- The page of teams -----------------------------------------------------------------------


@dataclass
class TeamPage:
    page: Page
    rows: list[dict]  # team, check_url, region, cells
    total: int  # teams in the cycle
    matching: int  # teams the filters let through

    @property
    def hidden(self) -> int:
        """Teams not on this page: filtered out or on other pages."""
        return self.total - len(self.rows)

    @property
    def filtered_out(self) -> int:
        return self.total - self.matching


def regions() -> list[tuple[int, str]]:
    """The business-level units teams are grouped by (those with a unit under them)."""
    with connection.cursor() as cursor:
        cursor.execute(REGIONS_SQL, {"business": Unit.Level.BUSINESS})
        return cursor.fetchall()


REGIONS_SQL = """
SELECT DISTINCT r.id, r.name FROM alignment_unit r
JOIN alignment_unit c ON c.parent_id = r.id
WHERE r.level = %(business)s
ORDER BY r.name
"""


# A cycle's checks with their team's name, code, region (its parent when that is a business
# unit, else its grandparent), stored fit (see stored_ids) and whether the viewer heads it
# (is_first 0, first); filtered by region, name (a LIKE pattern), state or not submitted
# (each ignored when None), in the order `sort` asks for (forms.TeamFilterForm's), a page
# at a time; with how many match (a window over them all).
TEAMS_SQL = r"""
SELECT id, unit_id, name, code, state, region_id, region_name, score, is_first,
  COUNT(*) OVER () FROM (
  SELECT k.id, k.unit_id, u.name, u.code, k.state,
    CASE WHEN p.level = %(business)s THEN u.parent_id ELSE p.parent_id END AS region_id,
    CASE WHEN p.level = %(business)s THEN p.name ELSE g.name END AS region_name,
    COALESCE(
      (SELECT s.score FROM reviews_livescore s
        WHERE s.cycle_id = %(live)s AND s.unit_id = k.unit_id AND s.objective_id IS NULL
        LIMIT 1),
      (SELECT f.score FROM reviews_frozenscore f
        WHERE f.cycle_id = %(frozen)s AND f.unit_id = k.unit_id AND f.objective_id IS NULL
        LIMIT 1)
    ) AS score,
    CASE WHEN k.unit_id IN (
      SELECT m.unit_id FROM alignment_membership m
      WHERE m.user_id = %(viewer)s AND m.role = %(head)s
    ) THEN 0 ELSE 1 END AS is_first
  FROM reviews_alignmentcheck k
  JOIN alignment_unit u ON u.id = k.unit_id
  LEFT JOIN alignment_unit p ON p.id = u.parent_id
  LEFT JOIN alignment_unit g ON g.id = p.parent_id
  WHERE k.cycle_id = %(cycle)s
    AND (%(name)s IS NULL OR UPPER(u.name) LIKE UPPER(%(name)s) ESCAPE '\')
    AND (%(state)s IS NULL OR k.state = %(state)s)
    AND (%(unsubmitted)s IS NULL OR k.state <> %(unsubmitted)s)
) teams
WHERE %(region)s IS NULL OR region_id = %(region)s
ORDER BY is_first, region_name NULLS LAST,
  CASE WHEN %(sort)s = 'score' THEN score END NULLS LAST,
  CASE WHEN %(sort)s = '-score' THEN score END DESC NULLS LAST,
  CASE WHEN %(sort)s = 'state' THEN state END,
  name, id
LIMIT %(limit)s OFFSET %(offset)s
"""
TEAM_COLUMNS = ["pk", "unit_id", "unit__name", "unit__code", "state", "region_id", "region_name"]
TEAM_COLUMNS += ["score", "is_first"]


class TeamRows:
    """A cycle's checks as TEAMS_SQL reads them, for a Paginator: sliced, it reads that page
    of them; counted, how many match, `count` if known already, else read with the first page,
    which slicing then does not read again."""

    def __init__(self, cycle: ReviewCycle, *, viewer=None, filters=None, count=None, per_page=1):
        filters = filters or {}
        state = filters.get("state") or None
        name = filters.get("q")
        self.params = stored_ids(cycle) | {
            "cycle": cycle.pk,
            "business": Unit.Level.BUSINESS,
            "viewer": viewer,
            "head": Membership.Role.HEAD,
            "name": f"%{connection.ops.prep_for_like_query(name)}%" if name else None,
            "state": state if state != UNSUBMITTED else None,
            "unsubmitted": AlignmentCheck.State.SUBMITTED if state == UNSUBMITTED else None,
            "region": filters.get("region"),
            "sort": filters.get("sort") or "name",
        }
        self.known, self.per_page = count, per_page
        self.read: dict[tuple[int, int], list[dict]] = {}

    def rows(self, offset: int, limit: int) -> list[dict]:
        if (offset, limit) not in self.read:
            with connection.cursor() as cursor:
                cursor.execute(TEAMS_SQL, self.params | {"offset": offset, "limit": limit})
                found = cursor.fetchall()
            if found or offset == 0:
                self.known = found[0][-1] if found else 0
            self.read[offset, limit] = [dict(zip(TEAM_COLUMNS, r[:-1], strict=True)) for r in found]
        return self.read[offset, limit]

    def count(self) -> int:
        if self.known is None:
            self.rows(0, self.per_page)
        return self.known

    def __getitem__(self, page: slice) -> list[dict]:
        return self.rows(page.start, page.stop - page.start)


def team_page(
    cycle: ReviewCycle,
    current: dict,
    *,
    total: int,
    filters: dict,
    viewer: int | None = None,
    page_number=None,
    per_page: int | None = None,
) -> TeamPage:
    """One page of the heatmap's teams: those the `viewer` (a user id) heads first, then by
    region, in the order asked for; `filters` holds region (a unit id), state, q (part of a
    team's name) and sort. `current` is summary(cycle), `total` the cycle's checks."""
    objectives = current["objectives"]
    per_page = per_page or TEAMS_PER_PAGE
    if "teams" in current:
        paginator = _frozen_teams(cycle, current["teams"], filters, viewer, per_page)
    else:
        filtered = any(filters.get(f) for f in ("region", "state", "q"))
        checks = TeamRows(
            cycle,
            viewer=viewer,
            filters=filters,
            count=None if filtered else total,  # known already: not counted
            per_page=per_page,
        )
        paginator = Paginator(checks, per_page)
    page = paginator.get_page(page_number)
    teams = list(page.object_list)
    with connection.cursor() as cursor:
        cursor.execute(
            CELLS_SQL, stored_ids(cycle) | {"units": id_list(t["unit_id"] for t in teams)}
        )
        cells = {(o, t): s for o, t, s in cursor.fetchall()}
    check_url = url_pattern("reviews:check-edit")
    states = dict(AlignmentCheck.State.choices)
    rows = []
    for t in teams:
        team_cells = []
        for o in objectives:
            score = cells.get((o["id"], t["unit_id"]))
            team_cells.append({"score": score, "text": whole(score), "heat": heat_class(score)})
        rows.append(
            {
                "team": {
                    "id": t["unit_id"],
                    "name": t["unit__name"],
                    "code": t["unit__code"],
                    "state": t["state"],
                    "state_label": states.get(t["state"], t["state"]),
                    "score": t["score"],
                    "score_text": whole(t["score"], "—"),
                    "heat": heat_class(t["score"]),
                },
                "check_id": t["pk"],
                "check_url": check_url.format(t["pk"]) if t["pk"] else "",
                "region": t["region_name"] or gettext("No region"),
                "is_first": t["is_first"] == 0,
                "cells": team_cells,
            }
        )
    return TeamPage(page=page, rows=rows, total=total, matching=paginator.count)


# Each of a cycle's checks (by its team) with its team's region and whether the viewer heads
# the team, as TEAMS_SQL has them.
CHECK_REGIONS_SQL = """
SELECT k.unit_id, k.id,
  CASE WHEN p.level = %(business)s THEN u.parent_id ELSE p.parent_id END,
  CASE WHEN p.level = %(business)s THEN p.name ELSE g.name END,
  CASE WHEN k.unit_id IN (
    SELECT m.unit_id FROM alignment_membership m
    WHERE m.user_id = %(viewer)s AND m.role = %(head)s
  ) THEN 0 ELSE 1 END
FROM reviews_alignmentcheck k
JOIN alignment_unit u ON u.id = k.unit_id
LEFT JOIN alignment_unit p ON p.id = u.parent_id
LEFT JOIN alignment_unit g ON g.id = p.parent_id
WHERE k.cycle_id = %(cycle)s
"""


def id_list(ids) -> str:
    """Ids as one short parameter, ",4,8,15,": a statement finds an id in it with LIKE (see
    CELLS_SQL), the same text whatever their number, on PostgreSQL and SQLite."""
    return "," + ",".join(str(pk) for pk in ids) + ","


# The stored cells (see stored_ids) of the teams `units` (an id_list).
CELLS_SQL = """
SELECT objective_id, unit_id, score FROM reviews_livescore
WHERE cycle_id = %(live)s AND objective_id IS NOT NULL AND unit_id IS NOT NULL
  AND %(units)s LIKE '%%,' || CAST(unit_id AS TEXT) || ',%%'
UNION ALL
SELECT objective_id, unit_id, score FROM reviews_frozenscore
WHERE cycle_id = %(frozen)s AND objective_id IS NOT NULL AND unit_id IS NOT NULL
  AND %(units)s LIKE '%%,' || CAST(unit_id AS TEXT) || ',%%'
"""


def _frozen_teams(cycle, frozen: list[dict], filters, viewer, per_page):
    """A closed cycle's teams as its snapshot froze them (names included), in Python: a list
    of plain values, never the snapshot's items."""
    with connection.cursor() as cursor:
        cursor.execute(
            CHECK_REGIONS_SQL,
            {
                "cycle": cycle.pk,
                "business": Unit.Level.BUSINESS,
                "viewer": viewer,
                "head": Membership.Role.HEAD,
            },
        )
        regions = {
            unit_id: {"pk": pk, "region_id": region, "region_name": name, "is_first": first}
            for unit_id, pk, region, name, first in cursor.fetchall()
        }
    rows = []
    q = (filters.get("q") or "").casefold()
    state = filters.get("state")
    for t in frozen:
        region = regions.get(t["id"], {})
        row = {
            "pk": region.get("pk"),
            "unit_id": t["id"],
            "unit__name": t["name"],
            "unit__code": t["code"],
            "state": t["state"],
            "region_id": region.get("region_id"),
            "region_name": region.get("region_name"),
            "score": t["score"],
            "is_first": region.get("is_first", 1),
        }
        if filters.get("region") and row["region_id"] != filters["region"]:
            continue
        if state == UNSUBMITTED and row["state"] == AlignmentCheck.State.SUBMITTED:
            continue
        if state and state != UNSUBMITTED and row["state"] != state:
            continue
        if q and q not in row["unit__name"].casefold():
            continue
        rows.append(row)
    sort = filters.get("sort") or "name"
    key = {
        "name": lambda r: (r["unit__name"],),
        "score": lambda r: (r["score"] is None, r["score"] or 0, r["unit__name"]),
        "-score": lambda r: (r["score"] is None, -(r["score"] or 0), r["unit__name"]),
        "state": lambda r: (r["state"], r["unit__name"]),
    }.get(sort, lambda r: (r["unit__name"],))
    rows.sort(
        key=lambda r: (r["is_first"], r["region_name"] is None, r["region_name"] or "", *key(r))
    )
    return Paginator(rows, per_page)


# --- The agenda ------------------------------------------------------------------------------


def agenda_items(
    cycle: ReviewCycle,
    current: dict,
    done: dict,
    previous_cycle: ReviewCycle | None,
    figures: dict | None,
) -> tuple[list[agenda.AgendaItem], dict[str, int]]:
    """The agenda's items, at most AGENDA_LIMIT of a kind, and how many of each kind are left
    out. `current` is summary(cycle) (with a snapshot's `teams` and `disagreements` once
    closed, which the agenda then takes from it), `done` completion(cycle), `figures`
    previous_figures(previous_cycle)."""
    names: dict[int, str] = {}
    teams: list[dict] = []
    frozen = current.get("teams")
    found = agenda_rows(
        cycle,
        previous_cycle,
        disagreements="disagreements" not in current,
        missing=frozen is None,
    )
    drops, low = found["drops"], found["low"]
    previous = {
        "teams": [{"id": u, "score": b} for u, _, _, b in drops],
        "objectives": [
            {"id": o, "score": s} for o, s in (figures["objectives"] if figures else {}).items()
        ],
    }
    for unit_id, name, score, _ in drops:
        names[unit_id] = name
        teams.append({"id": unit_id, "name": name, "score": score, "state": "submitted"})
    names |= {unit_id: name for _, unit_id, _, name in low}
    if "disagreements" in current:  # closed: as its snapshot froze them
        disagreements = (current["disagreements"] or [])[:AGENDA_LIMIT]
        disagreements_total = len(current["disagreements"] or [])
    else:
        disagreements = found["disagreements"]
        disagreements_total = found["disagreements_total"]
        names |= found["disagreeing"]
    if frozen is not None:  # closed: the teams as the snapshot named them
        wanted = set(names) | {d["team"] for d in disagreements}
        names |= {t["id"]: t["name"] for t in frozen if t["id"] in wanted}
        for team in teams:
            team["name"] = names[team["id"]]
        missing = [(t["id"], t["name"], t["state"]) for t in frozen if t["state"] != "submitted"]
        missing = missing[:AGENDA_LIMIT]
    else:
        missing = found["missing"]
    shown = {t["id"] for t in teams}
    teams += [
        {"id": u, "name": n, "score": None, "state": "submitted"}
        for u, n in names.items()
        if u not in shown
    ]
    # The teams not yet submitted come last, as agenda.build lists them in order.
    teams = [t for t in teams if t["id"] not in {m[0] for m in missing}]
    teams += [{"id": u, "name": n, "score": None, "state": s} for u, n, s in missing]
    items = agenda.build(
        {
            "objectives": current["objectives"],
            "teams": teams,
            "cells": [[o, t, s] for o, t, s, _ in low],
            "disagreements": disagreements,
        },
        previous,
    )
    more = {
        "disagreement": disagreements_total - len(disagreements),
        "missing": done["draft"] + done["not_started"] - len(missing),
    }
    return items, more


def agenda_rows(
    cycle: ReviewCycle,
    previous_cycle: ReviewCycle | None,
    *,
    disagreements: bool = True,
    missing: bool = True,
) -> dict:
    """What the agenda reads, in one query (AGENDA_SQL): the teams that fell most since
    `previous_cycle` (`drops`: (unit_id, name, score, before)) and the lowest cells (`low`:
    (objective_id, unit_id, score, name)), at most agenda.MAX_PER_KIND of each, from the
    stored rows of both cycles (see stored_ids); and while the cycle runs, if asked, the first
    AGENDA_LIMIT `disagreements` (as the snapshot lists them) with how many there are and the
    names of their teams (`disagreeing`), and the first checks not submitted (`missing`:
    (unit_id, name, state), by the team's name)."""
    before = stored_ids(previous_cycle)
    running = None if cycle.is_closed else cycle.pk
    with connection.cursor() as cursor:
        cursor.execute(
            AGENDA_SQL,
            stored_ids(cycle)
            | {
                "live_before": before["live"],
                "frozen_before": before["frozen"],
                "drop": agenda.DROP_POINTS,
                "low": agenda.LOW_SCORE,
                "per_kind": agenda.MAX_PER_KIND,
                "disagreements": running if disagreements else None,
                "gap": scoring.DISAGREEMENT_POINTS,
                "missing": running if missing else None,
                "submitted": AlignmentCheck.State.SUBMITTED,
                "shown": AGENDA_LIMIT,
            },
        )
        rows = cursor.fetchall()
    found = {"drops": [], "low": [], "disagreements": [], "disagreements_total": 0}
    found |= {"disagreeing": {}, "missing": []}
    for kind, _, objective_id, unit_id, name, score, other, note, state, total in rows:
        if kind == _DROP_OR_LOW and objective_id is None:
            found["drops"].append((unit_id, name, score, other))
        elif kind == _DROP_OR_LOW:
            found["low"].append((objective_id, unit_id, score, name))
        elif kind == _DISAGREEMENT:
            found["disagreements"].append(
                {
                    "team": unit_id,
                    "objective": objective_id,
                    "executive": int(score),
                    "head": round(other, 2),
                    "note": note,
                }
            )
            found["disagreements_total"] = total
            found["disagreeing"][unit_id] = name
        else:
            found["missing"].append((unit_id, name, state))
    return found


_DROP_OR_LOW, _DISAGREEMENT, _MISSING = range(3)
# The agenda's rows, each kind numbered (n) in its order:
# - the teams that dropped at least `drop` points since the earlier cycle (their fit there,
#   if any) by the largest drop, and the cells below `low` by the lowest score, then by the
#   team's name and the objective's order: `per_kind` of each;
# - the running cycle's executive scores `gap` or more from the head's mean (disagreement_rows),
#   in the order they were given, with how many there are (a window over them all);
# - its checks not submitted, by the team's name.
# Typed NULLs: PostgreSQL takes an untyped NULL of a subquery for text.
AGENDA_SQL = """
WITH stored AS (
  SELECT objective_id, unit_id, score FROM reviews_livescore
  WHERE cycle_id = %(live)s AND unit_id IS NOT NULL
  UNION ALL
  SELECT objective_id, unit_id, score FROM reviews_frozenscore
  WHERE cycle_id = %(frozen)s AND unit_id IS NOT NULL
), earlier AS (
  SELECT unit_id, score FROM reviews_livescore
  WHERE cycle_id = %(live_before)s AND objective_id IS NULL AND unit_id IS NOT NULL
  UNION ALL
  SELECT unit_id, score FROM reviews_frozenscore
  WHERE cycle_id = %(frozen_before)s AND objective_id IS NULL AND unit_id IS NOT NULL
), compared AS (
  SELECT n.objective_id, n.unit_id, n.score,
    CASE WHEN n.objective_id IS NULL THEN
      (SELECT e.score FROM earlier e WHERE e.unit_id = n.unit_id LIMIT 1)
    END AS previous_score
  FROM stored n
), ranked AS (
  SELECT c.objective_id, c.unit_id, u.name, c.score, c.previous_score,
    ROW_NUMBER() OVER (
      PARTITION BY c.objective_id IS NULL
      ORDER BY CASE WHEN c.objective_id IS NULL THEN c.score - c.previous_score
        ELSE c.score END,
        u.name, o."order"
    ) AS place
  FROM compared c
  JOIN alignment_unit u ON u.id = c.unit_id
  LEFT JOIN alignment_objective o ON o.id = c.objective_id
  WHERE (c.objective_id IS NULL AND c.previous_score - c.score >= %(drop)s)
    OR (c.objective_id IS NOT NULL AND c.score < %(low)s)
), scored AS (
  SELECT e.id, e.unit_id, e.objective_id, e.score, e.note, u.name,
    (SELECT s.head_mean FROM reviews_livescore s
      WHERE s.cycle_id = e.cycle_id AND s.unit_id = e.unit_id AND s.objective_id = e.objective_id
      LIMIT 1) AS head
  FROM reviews_executivescore e JOIN alignment_unit u ON u.id = e.unit_id
  WHERE e.cycle_id = %(disagreements)s
), disagreeing AS (
  SELECT id, unit_id, objective_id, score, note, name, head, COUNT(*) OVER () AS total
  FROM scored
  WHERE head IS NOT NULL AND ABS(score - head) >= %(gap)s
)
SELECT * FROM (
  SELECT 0 AS kind, place AS n, objective_id, unit_id, name, score, previous_score AS other,
    CAST(NULL AS TEXT) AS note, CAST(NULL AS TEXT) AS state, CAST(NULL AS INTEGER) AS total
  FROM ranked WHERE place <= %(per_kind)s
) drops_and_low
UNION ALL
SELECT * FROM (
  SELECT 1, id, objective_id, unit_id, name, score, head, note, CAST(NULL AS TEXT), total
  FROM disagreeing ORDER BY id LIMIT %(shown)s
) disagreements
UNION ALL
SELECT * FROM (
  SELECT 2, ROW_NUMBER() OVER (ORDER BY u.name), CAST(NULL AS INTEGER), k.unit_id, u.name,
    CAST(NULL AS FLOAT), CAST(NULL AS FLOAT), CAST(NULL AS TEXT), k.state, CAST(NULL AS INTEGER)
  FROM reviews_alignmentcheck k JOIN alignment_unit u ON u.id = k.unit_id
  WHERE k.cycle_id = %(missing)s AND k.state <> %(submitted)s
  ORDER BY u.name LIMIT %(shown)s
) missing
ORDER BY kind, n
"""


def disagreement_rows(cycle: ReviewCycle):
    """A running cycle's executive scores that disagree with the head's (`head`: the head's
    mean), in the order they were given."""
    head = LiveScore.objects.filter(
        cycle_id=cycle.pk, unit=OuterRef("unit_id"), objective=OuterRef("objective_id")
    ).values("head_mean")[:1]
    return (
        ExecutiveScore.objects.filter(cycle_id=cycle.pk)
        .annotate(head=Subquery(head, output_field=FloatField()))
        .filter(head__isnull=False)
        .annotate(gap=Abs(F("score") - F("head"), output_field=FloatField()))
        .filter(gap__gte=scoring.DISAGREEMENT_POINTS)
        .order_by("pk")
    )


def _disagreements(cycle: ReviewCycle, current: dict) -> tuple[list[dict], int, dict[int, str]]:
    """The first disagreements, how many there are, and their teams' names."""
    if "disagreements" in current:  # closed: as its snapshot froze them
        found = current["disagreements"] or []
        return found[:AGENDA_LIMIT], len(found), {}
    found = agenda_rows(cycle, None, missing=False)
    return found["disagreements"], found["disagreements_total"], found["disagreeing"]
