"""What the reviews pages read: one function per part of a page, each returning the context it
fills. The home page asks one per role it shows."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q

from reviews import dispatch, services, standings, trends
from reviews.models import AlignmentCheck, ReviewCycle, quarter_end
from strategy import roles
from strategy import services as strategy
from strategy.models import Acknowledgement, Commitment, StrategicPosition

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
        "position_read": position is not None and position.is_read,
        "my_units": my_units,
        "headed": roles.headed_unit_ids(user),
        "today": today,
        "due_soon": Commitment.objects.open()
        .filter(unit__in=my_units, due_on__lte=today + timedelta(days=DUE_SOON_DAYS))
        .select_related("unit", "objective")
        .order_by("due_on")[:DUE_SOON_SHOWN],
        "drafts": [p for p in positions if p.status == draft],
    }


def home_head(*, headed) -> dict:
    """A head's part: the open checks of the teams they head, the soonest due first."""
    return {
        "open_checks": AlignmentCheck.objects.filter(
            unit_id__in=headed,
            cycle__state__in=[ReviewCycle.State.OPEN, ReviewCycle.State.IN_REVIEW],
        )
        .select_related("cycle", "unit")
        .defer("cycle__snapshot")
        .order_by("cycle__due_on")
    }


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
