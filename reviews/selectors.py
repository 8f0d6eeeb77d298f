"""What the review cycle pages show, read in a bounded number of queries whatever the size of
the company: the cycle with its previous review and its checks' counts in one query, then the
stored scores of reviews.standings. The signals and the report files are the sustain and
reports apps' parts of the page, rendered by their template tags.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, QueryDict

from reviews import services, standings
from reviews.forms import ExecutiveScoreForm, TeamFilterForm
from reviews.models import Action, AlignmentCheck, CadenceSettings, FrozenScore, ReviewCycle
from strategy.models import Membership


def cycle_and_previous(pk: int) -> tuple[ReviewCycle, ReviewCycle | None]:
    """The cycle (its checks counted by state: `submitted`, `draft`, `not_started`) and the
    quarterly review before it (services.previous_cycle), in one query; each with its frozen
    index (`frozen_index`, None while it runs) and the month fiscal years start in
    (`fiscal_start_month`, None until the cadence settings are saved)."""
    this = ReviewCycle.objects.filter(pk=pk, kind=ReviewCycle.Kind.QUARTERLY)
    before = services.earlier_reviews(
        Subquery(this.values("fiscal_year")), Subquery(this.values("quarter"))
    )
    states = AlignmentCheck.State
    rows = list(
        ReviewCycle.objects.select_related("position")
        .filter(Q(pk=pk) | Q(pk__in=before.values("pk")[:1]))
        .annotate(
            # Counted over a join: cheaper to build than a subquery per state.
            submitted=Count("checks", filter=Q(checks__state=states.SUBMITTED)),
            draft=Count("checks", filter=Q(checks__state=states.DRAFT)),
            not_started=Count("checks", filter=Q(checks__state=states.NOT_STARTED)),
            # The calendar the cadence settings keep (receivers.company_calendar reads it).
            fiscal_start_month=Subquery(
                CadenceSettings.objects.order_by("pk").values("fiscal_year_start_month")[:1]
            ),
            frozen_index=Subquery(
                FrozenScore.objects.company().filter(cycle=OuterRef("pk")).values("score")[:1]
            ),
        )
    )
    cycle = next((c for c in rows if c.pk == pk), None)
    if cycle is None:
        raise Http404("No such review.")
    return cycle, next((c for c in rows if c.pk != pk), None)


def _first_month(cycle: ReviewCycle) -> int:
    """The month fiscal years start in, as strategy.models.fiscal_start_month() has it, from
    the cycle's `fiscal_start_month` (read with it)."""
    return cycle.fiscal_start_month or settings.FISCAL_YEAR_START_MONTH


def team_table(cycle: ReviewCycle, current: dict, done: dict, *, user, params: QueryDict) -> dict:
    """The heatmap's bounded page of teams (the viewer's own first), its filters and what they
    hide."""
    form = TeamFilterForm(params or None, regions=standings.regions())
    teams = standings.team_page(
        cycle,
        current,
        total=done["total"],
        filters=form.filters(),
        # A subquery: the viewer's teams come first without a query of their own.
        first=Membership.objects.filter(user_id=user.pk, role=Membership.Role.HEAD)
        .order_by()
        .values("unit_id"),
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


def _actions(cycle: ReviewCycle) -> tuple[list[Action], list[Action]]:
    """The open actions the page lists (services.open_actions_for) and those done in this
    review, in one query."""
    carried = Q(completed_at__isnull=True, cycle__in=services.action_cycles(cycle))
    done = Q(cycle_id=cycle.pk, completed_at__isnull=False)
    rows = list(
        Action.objects.filter(carried | done)
        .select_related("owner", "objective", "cycle")
        .defer("cycle__snapshot")
        .order_by("due_on", "pk")
    )
    finished = sorted(
        (a for a in rows if a.completed_at is not None),
        key=lambda a: (a.completed_at, a.due_on, a.pk),  # Action's own ordering
    )
    return [a for a in rows if a.completed_at is None], finished


def cycle_page(*, pk: int, user, params: QueryDict, today: date) -> dict:
    """Everything the cycle page shows but the signals and the report files."""
    cycle, previous_cycle = cycle_and_previous(pk)
    can_run = user.has_perm("reviews.run_reviews")
    planned = cycle.state == ReviewCycle.State.PLANNED
    context = {
        "cycle": cycle,
        "can_run": can_run,
        "open_refusal": cycle.open_refusal(today=today, config=CadenceSettings.load())
        if planned
        else "",
        "is_future_quarter": cycle.is_running
        and cycle.is_future_quarter(today=today, first_month=_first_month(cycle)),
        "can_export": user.has_perm("reviews.export_reports"),
    }
    if planned:  # nothing to show but how to open it
        return context
    current = standings.summary(cycle, previous=previous_cycle)
    done = standings.completion_of(cycle.submitted, cycle.draft, cycle.not_started)
    previous = standings.previous_figures(previous_cycle, current=current)
    agenda, agenda_more = standings.agenda_items(cycle, current, done, previous_cycle, previous)
    context |= team_table(cycle, current, done, user=user, params=params)
    change = (
        None
        if previous is None or current["index"] is None or previous["index"] is None
        else current["index"] - previous["index"]
    )
    actions, done_actions = _actions(cycle)
    context |= {
        "results": current,
        "previous_cycle": previous_cycle,
        "change": change,
        "change_text": standings.whole(change),
        "completion": done,
        "agenda": agenda,
        "agenda_more": agenda_more,
        "actions": actions,
        "done_actions": done_actions,
        "score_form": ExecutiveScoreForm(
            cycle=cycle,
            teams=[(row["team"]["id"], row["team"]["name"]) for row in context["heatmap"]],
            objectives=[(o["id"], o["title"]) for o in current["objectives"]],
        )
        if can_run and cycle.is_running
        else None,
    }
    return context
