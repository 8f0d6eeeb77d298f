"""Opening, filling in, reviewing and closing review cycles."""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Case, Exists, F, Q, Subquery, Value, When
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from reviews import bulk, events, scoring
from reviews.models import (
    LEVERS,
    Action,
    AlignmentCheck,
    CheckItem,
    CheckReopening,
    ExecutiveScore,
    FrozenScore,
    LiveScore,
    ReviewCycle,
)
from strategy import outcomes
from strategy.models import (
    Commitment,
    CompanySettings,
    Measure,
    MeasureActual,
    Objective,
    StrategicPosition,
    Unit,
)
from strategy.prepared import as_models, prepared

_ACCEPTING_CHECKS = (ReviewCycle.State.OPEN, ReviewCycle.State.IN_REVIEW)  # accepts_checks
SNAPSHOT_VERSION = 2  # 2: with the teams' commitments as they stood


class StaleCheck(Exception):
    """Someone saved the check since this page was loaded, maybe the same person elsewhere."""

    def __init__(self, check: AlignmentCheck, *, by=None):
        self.check = check
        when = timezone.localtime(check.updated_at).strftime("%H:%M") if check.updated_at else ""
        if by is not None and check.updated_by_id == by.pk:
            message = _(
                "You saved this check at %(time)s in another tab or window. Your changes were not "
                "saved; they are still on this page. Copy what you need, then load the latest "
                "version."
            )
            who = ""
        elif check.updated_by:
            # Translators: person is who saved the check; time is when (13:05).
            message = _(
                "%(person)s saved this check at %(time)s while you were editing. Your changes "
                "were not saved; they are still on this page. Copy what you need, then load the "
                "latest version."
            )
            who = check.updated_by.get_full_name() or check.updated_by.username
        else:
            message = _(
                "someone saved this check at %(time)s while you were editing. Your changes were "
                "not saved; they are still on this page. Copy what you need, then load the latest "
                "version."
            )
            who = ""
        super().__init__(message % {"person": who, "time": when})


class StaleMeasureValue(Exception):
    """A value the head changed was changed by someone else since the page showed it."""

    def __init__(self, stale: list[tuple[MeasureInput, MeasureActual | None]]):
        self.stale = stale
        parts = []
        for entry, actual in stale:
            what = {"measure": entry.measure.name, "period": period_label(entry.period)}
            if actual is None:
                parts.append(_("%(measure)s, %(period)s: the value shown was removed") % what)
                continue
            who = actual.entered_by
            when = timezone.localtime(actual.entered_at).strftime("%H:%M")
            what |= {"value": actual.value, "time": when}
            if who:
                what["person"] = who.get_full_name() or who.username
                # Translators: person recorded value at time (13:05) for a measure and period.
                parts.append(
                    _("%(measure)s, %(period)s: %(person)s recorded %(value)s at %(time)s") % what
                )
            else:
                parts.append(
                    _("%(measure)s, %(period)s: someone recorded %(value)s at %(time)s") % what
                )
        super().__init__(
            # Translators: changes are the values changed meanwhile, joined by "; ".
            _(
                "Not saved: a value you changed was changed by someone else since this page was "
                "loaded (%(changes)s). Your values are still on this page; load the latest "
                "version to see theirs."
            )
            % {"changes": "; ".join(parts)}
        )


# --- Opening ---------------------------------------------------------------------------------


def _teams():
    return Unit.objects.active().functional()


@transaction.atomic
def cycle_open(*, cycle: ReviewCycle, now=None) -> int:
    """Open a planned cycle: one check per active team, one item per committed objective.

    Returns how many checks were created; opening twice creates nothing twice.
    """
    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state != ReviewCycle.State.PLANNED:
        return 0
    now = now or timezone.now()
    teams = list(_teams().values_list("pk", flat=True))
    existing = set(cycle.checks.values_list("unit_id", flat=True))
    AlignmentCheck.objects.bulk_create(
        [AlignmentCheck(cycle=cycle, unit_id=t) for t in teams if t not in existing],
        ignore_conflicts=True,
    )
    checks = dict(cycle.checks.values_list("unit_id", "pk"))
    objectives = set(cycle.position.objectives.active().values_list("pk", flat=True))
    pairs = (
        Commitment.objects.filter(unit_id__in=checks, objective_id__in=objectives)
        .exclude(status=Commitment.Status.DROPPED)
        .values_list("unit_id", "objective_id")
        .distinct()
    )
    CheckItem.objects.bulk_create(
        [CheckItem(alignment_check_id=checks[u], objective_id=o) for u, o in pairs],
        ignore_conflicts=True,
        batch_size=2000,
    )
    cycle.state = ReviewCycle.State.OPEN
    cycle.opened_at = now
    cycle.save(update_fields=["state", "opened_at"])
    events.tell(events.CYCLE_OPENED, cycle=cycle, now=now)
    return len(teams) - len(existing)


@transaction.atomic
def check_add_objective(*, check: AlignmentCheck, objective: Objective) -> CheckItem:
    check = (
        AlignmentCheck.objects.select_for_update(of=("self",))
        .select_related("cycle")
        .defer("cycle__snapshot")
        .get(pk=check.pk)
    )
    if check.is_submitted or not check.cycle.accepts_checks:
        raise ValidationError(_("This check is read-only: it is submitted or its review is over."))
    if objective.position_id != check.cycle.position_id:
        raise ValidationError(_("This objective is not part of the strategy under review."))
    item, _created = CheckItem.objects.get_or_create(
        alignment_check=check, objective=objective, defaults={"is_extra": True}
    )
    return item


# --- Filling in ------------------------------------------------------------------------------


SCORE_FIELDS = [f"score_{lever}" for lever in LEVERS]
ITEM_FIELDS = ["id", "objective_id", "is_extra", *SCORE_FIELDS, "evidence", "blockers"]


@prepared
def _item_rows(*, check):
    return CheckItem.objects.filter(alignment_check_id=check).order_by().values_list(*ITEM_FIELDS)


def check_items(check: AlignmentCheck) -> list[CheckItem]:
    """The check's items, in no order, without their objectives: every field a page or a save
    writes, in one prepared read (strategy.prepared)."""
    items = as_models(CheckItem, ITEM_FIELDS, _item_rows(check=check.pk))
    for item in items:
        item.alignment_check = check
    return items


@dataclass
class ItemInput:
    scores: dict[str, int | None]
    evidence: str
    blockers: str


@transaction.atomic
def check_save(
    *,
    check: AlignmentCheck,
    version: int,
    items: dict[int, ItemInput],
    statuses: dict[int, str],
    by,
    submit: bool = False,
    now=None,
    read_items: list[CheckItem] | None = None,
) -> AlignmentCheck:
    """Save a head's check as a whole, or nothing.

    Refused with StaleCheck when the check was saved since `version` was read, by anyone;
    refused with ValidationError when submitting with scores missing or when the check is
    read-only. `read_items` are the check's items (check_items) if the caller read them after
    `check`: a draft save at that version writes them without reading them again.
    """
    now = now or timezone.now()
    submitted = {"submitted_at": now, "submitted_by": by} if submit else {}
    # The state the check is saved in; on a refused submit the transaction undoes all of it.
    state = Case(
        When(state=AlignmentCheck.State.NOT_STARTED, then=Value(AlignmentCheck.State.DRAFT)),
        default=F("state"),
    )
    # Claim the version the page was loaded at with a conditional UPDATE: of two saves based on
    # the same version only one matches, whoever sends them (two heads, or one person in two
    # tabs); on PostgreSQL the second waits for the first to commit, then matches nothing. The
    # same UPDATE refuses a submitted check and a cycle that no longer accepts checks; every
    # condition is on the check's own row (the cycle through cycle_id), so PostgreSQL re-checks
    # them all on the row a concurrent save left. The UPDATE writes the check's new state and
    # who saved it when, too: the row is written once.
    claimed = (
        AlignmentCheck.objects.filter(
            pk=check.pk,
            version=version,
            cycle__in=ReviewCycle.objects.filter(state__in=_ACCEPTING_CHECKS),
        )
        .exclude(state=AlignmentCheck.State.SUBMITTED)
        .update(
            version=version + 1,
            state=AlignmentCheck.State.SUBMITTED if submit else state,
            updated_at=now,
            updated_by=by,
            **submitted,
        )
    )
    if not claimed:
        locked = (
            AlignmentCheck.objects.select_related("cycle", "updated_by")
            .defer("cycle__snapshot")
            .get(pk=check.pk)
        )
        if locked.version != version:
            raise StaleCheck(locked, by=by)
        if locked.is_submitted:
            raise ValidationError(_("This check is submitted and read-only."))
        if not locked.cycle.accepts_checks:
            raise ValidationError(_("This review cycle does not accept checks any more."))
        raise StaleCheck(locked, by=by)  # changed between the UPDATE and this read
    if check.version == version:
        # The caller read the check at the claimed version, and every write to a check bumps
        # its version: that row is still what is stored, so it needs no second read.
        locked = copy.copy(check)
    else:
        locked = (
            AlignmentCheck.objects.select_related("cycle", "updated_by")
            .defer("cycle__snapshot")
            .get(pk=check.pk)
        )
    locked.version = version + 1
    # The objectives (in their order) name the items a submit still misses: a draft needs none.
    # Items read at the claimed version are what is stored: every write to them bumps it.
    if submit:
        items_read = locked.items.select_related("objective")
    elif read_items is not None and check.version == version:
        items_read = read_items
    else:
        items_read = check_items(locked)
    rows = {item.pk: item for item in items_read}
    changed = []
    for pk, data in items.items():
        item = rows.get(pk)
        if item is None:
            continue
        before = (item.lever_scores(), item.evidence, item.blockers)
        for lever in LEVERS:
            setattr(item, f"score_{lever}", data.scores.get(lever))
        item.evidence, item.blockers = data.evidence, data.blockers
        # An autosave rewrites every row; only the rows that changed are written, so the
        # check's history records changes, not saves.
        if (item.lever_scores(), item.evidence, item.blockers) != before:
            changed.append(item)
    if changed:
        # One UPDATE and one INSERT of history rows, whatever the number of objectives.
        CheckItem.objects.write(changed, [*SCORE_FIELDS, "evidence", "blockers"])
        bulk.insert_history(
            CheckItem, changed, user_id=by.pk if by else None, when=now, using=CheckItem.objects.db
        )
    if statuses:
        commitments = Commitment.objects.filter(unit_id=locked.unit_id, pk__in=statuses)
        moved = []
        for commitment in commitments:
            if commitment.status != statuses[commitment.pk]:
                commitment.status = statuses[commitment.pk]
                commitment.updated_at = now
                moved.append(commitment)
        if moved:
            bulk_update_with_history(
                moved,
                Commitment,
                ["status", "updated_at"],
                default_user=by,
                default_change_reason=None,
            )
    if submit:
        missing = [str(i.objective) for i in rows.values() if not i.is_complete]
        if missing:
            raise ValidationError(
                # Translators: objectives are the titles of the objectives not fully scored.
                _(
                    "Give every lever a score, or mark it not applicable, before submitting. "
                    "Missing: %(objectives)s."
                )
                % {"objectives": ", ".join(missing)}
            )
        locked.state = AlignmentCheck.State.SUBMITTED
        locked.submitted_at = now
        locked.submitted_by = by
    elif locked.state == AlignmentCheck.State.NOT_STARTED:
        locked.state = AlignmentCheck.State.DRAFT
    locked.updated_at = now  # all of it written when the version was claimed
    locked.updated_by = by
    # The history row that saving the check would have written (the same user and reason).
    bulk.insert_history(
        AlignmentCheck,
        [locked],
        user_id=by.pk if by else None,
        when=now,
        using=AlignmentCheck.objects.db,
    )
    if submit:
        live_scores_update(cycle_id=locked.cycle_id, unit_id=locked.unit_id)
        events.tell(events.CHECK_SUBMITTED, cycle=locked.cycle, check=locked, now=now)
    return locked


@transaction.atomic
def check_reopen(*, check: AlignmentCheck, by, reason: str) -> AlignmentCheck:
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the check is reopened."))
    locked = (
        AlignmentCheck.objects.select_for_update(of=("self",))
        .select_related("cycle")
        .defer("cycle__snapshot")
        .get(pk=check.pk)
    )
    if not locked.is_submitted:
        return locked  # reopening an open check is a no-op
    if locked.cycle.is_closed:
        raise ValidationError(_("The cycle is closed; its checks are frozen."))
    CheckReopening.objects.create(alignment_check=locked, by=by, reason=reason)
    locked.state = AlignmentCheck.State.DRAFT
    locked.submitted_at = None
    locked.submitted_by = None
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.updated_by = by
    locked.save()
    live_scores_update(cycle_id=locked.cycle_id, unit_id=locked.unit_id)
    events.tell(events.CHECK_REOPENED, cycle=locked.cycle, check=locked, now=locked.updated_at)
    return locked


@transaction.atomic
def executive_score_set(*, cycle: ReviewCycle, unit, objective, score: int, note: str, by):
    # The state as it stands, locked: a score must not slip in while the cycle closes.
    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.is_closed:
        raise ValidationError(_("The cycle is closed; its scores are frozen."))
    if not cycle.is_running:
        raise ValidationError(_("The cycle is not open yet; there is nothing to score."))
    if not 1 <= score <= 5:
        raise ValidationError(_("A score is a whole number from 1 to 5."))
    if objective.position_id != cycle.position_id:
        raise ValidationError(_("This objective is not part of the strategy under review."))
    obj, _created = ExecutiveScore.objects.update_or_create(
        cycle=cycle,
        unit=unit,
        objective=objective,
        defaults={"score": score, "note": note, "by": by},
    )
    return obj


# --- Live results ----------------------------------------------------------------------------


@transaction.atomic
def live_scores_update(*, cycle_id: int, unit_id: int) -> None:
    """Store a running cycle's results after one team's check was submitted or reopened: the
    team's cells and fit from its own items, then the objectives' scores by aggregate queries.

    Only submitted checks count, so drafts and autosaves change nothing here.
    """
    # Teams submitting at the same moment each average the others' cells: one at a time.
    ReviewCycle.objects.select_for_update().filter(pk=cycle_id).values_list("pk").first()
    items = CheckItem.objects.filter(
        alignment_check__cycle_id=cycle_id,
        alignment_check__unit_id=unit_id,
        alignment_check__state=AlignmentCheck.State.SUBMITTED,
    ).values_list("alignment_check__unit_id", "objective_id", *SCORE_FIELDS)
    scores = live_rows(cycle_id, items, model=LiveScore)
    LiveScore.objects.filter(cycle_id=cycle_id, unit_id=unit_id).delete()
    LiveScore.objects.bulk_create(scores)
    _live_objectives_update(cycle_id)


def _live_objectives_update(cycle_id: int) -> None:
    averages = (
        LiveScore.objects.filter(cycle_id=cycle_id)
        .cells()
        .values("objective_id")
        .annotate(score=Avg("score"))
        .values_list("objective_id", "score")
    )
    LiveScore.objects.filter(cycle_id=cycle_id, unit__isnull=True).delete()
    LiveScore.objects.bulk_create(
        [LiveScore(cycle_id=cycle_id, objective_id=o, score=s) for o, s in averages]
    )


@transaction.atomic
def live_scores_rebuild(*, cycle: ReviewCycle) -> None:
    """Store every result of a running cycle at once, from its submitted checks (for data
    written in bulk, without the services)."""
    ReviewCycle.objects.select_for_update().filter(pk=cycle.pk).values_list("pk").first()
    LiveScore.objects.filter(cycle=cycle).delete()
    LiveScore.objects.bulk_create(
        live_rows(
            cycle.pk,
            CheckItem.objects.filter(
                alignment_check__cycle=cycle,
                alignment_check__state=AlignmentCheck.State.SUBMITTED,
            ).values_list("alignment_check__unit_id", "objective_id", *SCORE_FIELDS),
            model=LiveScore,
        ),
        batch_size=2000,
    )
    _live_objectives_update(cycle.pk)


def live_rows(cycle_id: int, items, *, model) -> list:
    """The cell and team rows of (team, objective, *lever scores) rows of submitted items."""
    by_team: dict[int, list[int]] = defaultdict(list)
    rows = []
    for unit_id, objective_id, *values in items:
        counted = scoring.valid(values)
        by_team[unit_id].extend(counted)
        cell = scoring.fit(counted)
        if cell is not None:
            rows.append(
                model(
                    cycle_id=cycle_id,
                    objective_id=objective_id,
                    unit_id=unit_id,
                    score=cell,
                    head_mean=scoring.head_mean(counted),
                )
            )
    for unit_id, values in by_team.items():
        team = scoring.fit(values)
        if team is not None:
            rows.append(model(cycle_id=cycle_id, unit_id=unit_id, score=team))
    return rows


def live_index(cycle: ReviewCycle) -> float | None:
    """A running cycle's index, from its objectives' stored scores and their current weights."""
    rows = LiveScore.objects.filter(cycle=cycle, objective__isnull=False, unit__isnull=True)
    pairs = list(rows.values_list("objective_id", "score", "objective__priority_weight"))
    return scoring.weighted_index({o: s for o, s, _w in pairs}, {o: w for o, _s, w in pairs})


# --- Reviewing -------------------------------------------------------------------------------


def cycle_start_review(*, cycle: ReviewCycle, now=None) -> bool:
    won = ReviewCycle.objects.filter(pk=cycle.pk, state=ReviewCycle.State.OPEN).update(
        state=ReviewCycle.State.IN_REVIEW, review_started_at=now or timezone.now()
    )
    return won == 1


@transaction.atomic
def cycle_close(*, cycle: ReviewCycle, by, now=None) -> bool:
    """Close the cycle and freeze what it shows. Closing twice is a no-op (returns False)."""
    locked = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if locked.is_closed or locked.state == ReviewCycle.State.PLANNED:
        return False
    now = now or timezone.now()
    if locked.is_future_quarter(today=timezone.localdate(now)):
        raise ValidationError(
            _("%(cycle)s has not started yet: it cannot be closed before %(day)s.")
            % {"cycle": locked.label, "day": date_format(locked.period_start, "j M Y")}
        )
    # The snapshot keeps words (labels, signal reasons) in the site's language, whoever closes
    # it: the closing executive's language must not be frozen into it.
    with translation.override(settings.LANGUAGE_CODE):
        locked.snapshot = build_snapshot(locked)
    _freeze_scores(locked, locked.snapshot)
    LiveScore.objects.filter(cycle=locked).delete()  # its frozen rows take over
    locked.state = ReviewCycle.State.CLOSED
    locked.closed_at = now
    locked.closed_by = by
    locked.save()
    # What the apps above add to the frozen results: the sustain app, the signals as they
    # stand at closing, for this review's reports.
    with translation.override(settings.LANGUAGE_CODE):
        closing = events.cycle_closing.send(sender=ReviewCycle, cycle=locked)
    for _receiver, extra in closing:
        locked.snapshot = {**locked.snapshot, **(extra or {})}
    locked.save(update_fields=["snapshot"])
    events.tell(events.CYCLE_CLOSED, cycle=locked, now=now)
    return True


def _freeze_scores(cycle: ReviewCycle, snapshot: dict) -> None:
    rows = (
        [FrozenScore(cycle=cycle, score=snapshot["index"])] if snapshot["index"] is not None else []
    )
    rows += [
        FrozenScore(cycle=cycle, objective_id=o["id"], score=o["score"])
        for o in snapshot["objectives"]
        if o["score"] is not None
    ]
    rows += [
        FrozenScore(cycle=cycle, unit_id=t["id"], score=t["score"])
        for t in snapshot["teams"]
        if t["score"] is not None
    ]
    rows += [
        FrozenScore(cycle=cycle, objective_id=o, unit_id=t, score=s)
        for o, t, s in snapshot["cells"]
    ]
    FrozenScore.objects.filter(cycle=cycle).delete()
    FrozenScore.objects.bulk_create(rows, batch_size=2000)


def results(cycle: ReviewCycle) -> dict:
    """What the cycle shows: frozen when closed, computed from the checks otherwise.

    Everything, items and all: for a page or report showing this cycle in full. A closed
    cycle's snapshot is read (load it with ReviewCycle.objects.with_snapshot(), or it is read
    on its own); to compare with a cycle's figures use cycle_scores().
    """
    if cycle.is_closed and cycle.snapshot:
        return cycle.snapshot
    return build_snapshot(cycle)


def cycle_scores(cycle: ReviewCycle, *, index_only: bool = False) -> dict:
    """A cycle's index, and its objectives' and teams' scores (`id` and `score` each), as in
    results(); with `index_only`, just the index.

    A closed cycle's come from its FrozenScore rows: its snapshot is never read.
    """
    if not cycle.is_closed:
        live = results(cycle)
        return {"index": live["index"]} if index_only else live
    frozen = FrozenScore.objects.filter(cycle=cycle)
    if index_only:
        frozen = frozen.company()
    else:
        frozen = frozen.exclude(objective__isnull=False, unit__isnull=False)  # not the cells
    rows = list(frozen.values_list("objective_id", "unit_id", "score"))
    if not rows and not ReviewCycle.objects.filter(pk=cycle.pk, snapshot__isnull=False).exists():
        live = build_snapshot(cycle)  # closed without freezing: results() computes it too
        return {"index": live["index"]} if index_only else live
    scores = {
        "index": next((s for o, t, s in rows if o is None and t is None), None),
    }
    if not index_only:
        scores["objectives"] = [
            {"id": o, "score": s} for o, t, s in rows if o is not None and t is None
        ]
        scores["teams"] = [{"id": t, "score": s} for o, t, s in rows if o is None and t is not None]
    return scores


def build_snapshot(cycle: ReviewCycle) -> dict:
    """Everything the review page, trends and reports need, as plain JSON values.

    A fixed number of queries whatever the number of teams and objectives.
    """
    objectives = list(
        Objective.objects.filter(
            Q(position_id=cycle.position_id, retired_at__isnull=True)
            | Q(check_items__alignment_check__cycle=cycle)
        )
        .distinct()
        .order_by("order", "pk")
        .values("pk", "title", "priority_weight", "external_promise")
    )
    checks = list(
        cycle.checks.select_related("unit").values(
            "pk", "unit_id", "unit__name", "unit__code", "state", "submitted_at", "version"
        )
    )
    score_fields = [f"score_{lever}" for lever in LEVERS]
    items = list(
        CheckItem.objects.filter(alignment_check__cycle=cycle).values(
            "alignment_check__unit_id",
            "alignment_check__state",
            "objective_id",
            "is_extra",
            "evidence",
            "blockers",
            *score_fields,
        )
    )
    submitted = [i for i in items if i["alignment_check__state"] == AlignmentCheck.State.SUBMITTED]
    computed = scoring.compute(
        (
            (i["alignment_check__unit_id"], i["objective_id"], tuple(i[f] for f in score_fields))
            for i in submitted
        ),
        {o["pk"]: o["priority_weight"] for o in objectives},
    )
    head_values = {
        (i["alignment_check__unit_id"], i["objective_id"]): [i[f] for f in score_fields]
        for i in submitted
    }
    disagreements = []
    executive_scores = cycle.executive_scores.values_list(
        "unit_id", "objective_id", "score", "note"
    )
    for unit_id, objective_id, score, note in executive_scores:
        values = head_values.get((unit_id, objective_id))
        if values is not None and scoring.disagrees(score, values):
            disagreements.append(
                {
                    "team": unit_id,
                    "objective": objective_id,
                    "executive": score,
                    "head": round(scoring.head_mean(values), 2),
                    "note": note,
                }
            )
    commitments = (
        Commitment.objects.filter(
            unit_id__in=[c["unit_id"] for c in checks],
            objective_id__in=[o["pk"] for o in objectives],
        )
        .order_by("unit__name", "objective__order", "lever", "pk")
        .values(
            "unit_id",
            "objective_id",
            "lever",
            "statement",
            "target",
            "due_on",
            "status",
            "amount",
            "currency",
        )
    )
    teams_with_items = defaultdict(int)
    for i in items:
        if not i["is_extra"]:  # an objective added on demand is scored, not committed to
            teams_with_items[i["objective_id"]] += 1
    return {
        "version": SNAPSHOT_VERSION,
        "label": cycle.label,
        "index": computed.index,
        "objectives": [
            {
                "id": o["pk"],
                "title": o["title"],
                "weight": o["priority_weight"],
                "external_promise": o["external_promise"],
                "score": computed.objectives.get(o["pk"]),
                "teams": teams_with_items.get(o["pk"], 0),
            }
            for o in objectives
        ],
        "teams": [
            {
                "id": c["unit_id"],
                "name": c["unit__name"],
                "code": c["unit__code"],
                "state": c["state"],
                "submitted_at": c["submitted_at"].isoformat() if c["submitted_at"] else None,
                "score": computed.teams.get(c["unit_id"]),
            }
            for c in sorted(checks, key=lambda c: c["unit__name"])
        ],
        "cells": [[o, t, s] for (o, t), s in computed.cells.items()],
        "items": [
            {
                "team": i["alignment_check__unit_id"],
                "objective": i["objective_id"],
                "submitted": i["alignment_check__state"] == AlignmentCheck.State.SUBMITTED,
                "is_extra": i["is_extra"],
                "scores": {lever: i[f"score_{lever}"] for lever in LEVERS},
                "evidence": i["evidence"],
                "blockers": i["blockers"],
            }
            for i in items
        ],
        "disagreements": disagreements,
        "commitments": [
            {
                "team": c["unit_id"],
                "objective": c["objective_id"],
                "lever": c["lever"],
                "statement": c["statement"],
                "target": c["target"],
                "due_on": c["due_on"].isoformat(),
                "status": c["status"],
                "amount": str(c["amount"]) if c["amount"] is not None else None,
                "currency": c["currency"],
            }
            for c in commitments
        ],
    }


def _earlier_closed_quarters(year, quarter):
    return (
        ReviewCycle.objects.quarterly()
        .closed()
        .filter(Q(fiscal_year__lt=year) | Q(fiscal_year=year, quarter__lt=quarter))
        .order_by("-fiscal_year", "-quarter")
    )


_REVIEW = ["alignment_check__cycle_id", "alignment_check__cycle__kind"]
_REVIEW += ["alignment_check__cycle__fiscal_year", "alignment_check__cycle__quarter"]


@prepared
def _last_quarter_scores(*, year, quarter, unit, objectives):
    return (
        CheckItem.objects.filter(
            alignment_check__cycle=Subquery(
                _earlier_closed_quarters(year, quarter).values("pk")[:1]
            ),
            alignment_check__unit_id=unit,
            alignment_check__state=AlignmentCheck.State.SUBMITTED,
            objective_id__in=objectives,
        )
        .order_by()
        .values_list(*_REVIEW, "objective_id", *SCORE_FIELDS)
    )


@prepared
def _last_quarter(*, year, quarter):
    return _earlier_closed_quarters(year, quarter).values_list(
        "id", "kind", "fiscal_year", "quarter"
    )[:1]


def check_last_quarter(
    *, check: AlignmentCheck, items: list[CheckItem]
) -> tuple[ReviewCycle | None, dict[int, dict[str, int | None]]]:
    """The last closed quarterly review before the check's, and the team's lever scores there
    by objective of `items` (scores given to the objective an annual refresh continued count
    for its successor). Only a submitted check counts, as in the review's results.

    One small query when the team submitted a check last quarter (the review comes with its
    scores), two otherwise: the review's snapshot and the other teams' checks are never read.
    """
    cycle = check.cycle
    if cycle.kind != ReviewCycle.Kind.QUARTERLY:
        return None, {}
    current_of = {i.objective.previous_id: i.objective_id for i in items if i.objective.previous_id}
    current_of |= {i.objective_id: i.objective_id for i in items}  # the same objective wins
    when = {"year": cycle.fiscal_year, "quarter": cycle.quarter}
    rows = _last_quarter_scores(**when, unit=check.unit_id, objectives=list(current_of))
    found = [row[:4] for row in rows[:1]] or _last_quarter(**when)
    if not found:
        return None, {}
    (previous,) = as_models(ReviewCycle, ["id", "kind", "fiscal_year", "quarter"], found)
    scores: dict[int, dict[str, int | None]] = {}
    for objective_id, *values in sorted(
        (row[4:] for row in rows), key=lambda r: current_of[r[0]] == r[0]
    ):
        scores[current_of[objective_id]] = dict(zip(LEVERS, values, strict=True))
    return previous, scores


def previous_cycle(cycle: ReviewCycle) -> ReviewCycle | None:
    """The quarterly review before this one (without its snapshot, as every cycle loads:
    its figures are in its frozen rows, services.cycle_scores)."""
    if cycle.kind != ReviewCycle.Kind.QUARTERLY:
        return None
    return earlier_reviews(cycle.fiscal_year, cycle.quarter).first()


def earlier_reviews(fiscal_year, quarter):
    """The quarterly reviews before a quarter, the latest first (`fiscal_year` and `quarter`
    may be OuterRef()s): previous_cycle() is the first."""
    return (
        ReviewCycle.objects.quarterly()
        .exclude(state=ReviewCycle.State.PLANNED)
        .filter(Q(fiscal_year__lt=fiscal_year) | Q(fiscal_year=fiscal_year, quarter__lt=quarter))
        .order_by("-fiscal_year", "-quarter")
    )


# --- Actions ---------------------------------------------------------------------------------


def action_create(*, cycle: ReviewCycle, by, form) -> Action:
    action = form.save(commit=False)
    action.cycle = cycle
    action.created_by = by
    action.save()
    return action


def open_actions_for(cycle: ReviewCycle):
    """Open actions of this cycle, carried over from the earlier quarters of its fiscal year and
    from the review just before it (last year's fourth quarter, for a first quarter).

    An annual refresh, which opens before its fiscal year starts, takes over those of the
    quarters of the year it follows that opened before it. Another year's actions stay there.
    """
    return (
        Action.objects.open()
        .filter(cycle__in=action_cycles(cycle))
        .select_related("owner", "objective", "cycle")
        .defer("cycle__snapshot")  # the label of the cycle each action was raised in
        .order_by("due_on", "pk")
    )


def action_cycles(cycle: ReviewCycle):
    """The cycles whose open actions carry over to this one (see open_actions_for)."""
    if cycle.kind == ReviewCycle.Kind.QUARTERLY:
        scope = Q(pk=cycle.pk) | Q(
            kind=ReviewCycle.Kind.QUARTERLY,
            fiscal_year=cycle.fiscal_year,
            quarter__lt=cycle.quarter,
        )
        # The review just before, as a subquery: no query of its own.
        scope |= Q(pk__in=earlier_reviews(cycle.fiscal_year, cycle.quarter).values("pk")[:1])
    else:
        scope = Q(pk=cycle.pk) | Q(
            kind=ReviewCycle.Kind.QUARTERLY,
            fiscal_year=cycle.fiscal_year - 1,
            opens_on__lte=cycle.opens_on,
        )
    return ReviewCycle.objects.filter(scope)


# --- The measures a check's team reports -----------------------------------------------------
#
# A measure's value is its own row (strategy's MeasureActual), not part of the check: it is saved
# on its own, never with the check's version. What protects a value from a stale overwrite is
# the value the page showed, posted beside it: saving a value someone else changed since then is
# refused (StaleMeasureValue), as a check saved since its version was read is.


@dataclass(frozen=True)
class MeasureInput:
    measure: Measure
    period: outcomes.Period
    value: object  # as typed, checked again by outcomes.measure_actual_record
    shown: object  # the value the page showed (a Decimal), None when it showed none
    comment: str | None = None  # the comment typed; None keeps the stored one
    comment_shown: str = ""  # the comment the page showed


_MEASURE_FIELDS = ["id", "objective_id", "name", "unit", "baseline", "target", "direction"]
_MEASURE_FIELDS += ["reporting_team_id", "frequency", "previous_id", "customer_felt"]
_MEASURE_WITH = ["objective__title", "objective__position_id", "objective__position__fiscal_year"]
_MEASURE_WITH += ["previous__frequency", "company_tolerance", "company_off_track"]
_MEASURE_WITH += ["company_start_month"]


@prepared
def _check_measure_rows(*, unit, year):
    company = CompanySettings.objects.filter(pk=1)
    return (
        Measure.objects.filter(
            reporting_team_id=unit,
            objective__position__fiscal_year=year,
            # A draft's measures take no value yet.
            objective__position__status=StrategicPosition.Status.PUBLISHED,
            objective__retired_at__isnull=True,
        )
        # The company's thresholds and calendar come with the measures, rather than with a
        # query of their own: the check page is within 15 queries (CompanySettings below).
        .annotate(
            company_tolerance=Subquery(company.values("plan_tolerance_percent")[:1]),
            company_off_track=Subquery(company.values("off_track_percent")[:1]),
            company_start_month=Subquery(company.values("fiscal_year_start_month")[:1]),
        )
        .order_by("objective__order", "objective_id", "pk")
        .values_list(*_MEASURE_FIELDS, *_MEASURE_WITH)
    )


def check_measures(check: AlignmentCheck) -> list[Measure]:
    """The measures the check's team reports, of the reviewed year's published strategy (a
    draft's take no value yet), with their objective (its title), position (its year) and last
    year's measure (its frequency); none for an annual review."""
    cycle = check.cycle
    if cycle.kind != ReviewCycle.Kind.QUARTERLY:
        return []
    rows = _check_measure_rows(unit=check.unit_id, year=cycle.fiscal_year)
    n = len(_MEASURE_FIELDS)
    measures = as_models(Measure, _MEASURE_FIELDS, [row[:n] for row in rows])
    for measure, row in zip(measures, rows, strict=True):
        title, position_id, year, previous_frequency, *company = row[n:]
        (position,) = as_models(StrategicPosition, ["id", "fiscal_year"], [(position_id, year)])
        (objective,) = as_models(
            Objective, ["id", "position_id", "title"], [(measure.objective_id, position_id, title)]
        )
        objective.position = position
        measure.objective = objective
        measure.previous = (
            as_models(Measure, ["id", "frequency"], [(measure.previous_id, previous_frequency)])[0]
            if measure.previous_id
            else None
        )
        measure.company_tolerance, measure.company_off_track, measure.company_start_month = company
    return measures


MEASURES_NAMED = 5  # measures named where the check page says why it shows none


def check_measures_elsewhere(check: AlignmentCheck) -> list[dict]:
    """Where a quarterly review's year has none for the team (check_measures is empty): the
    measures it reports in the strategy the review is held against, when that is another
    year's (a review of a year whose strategy is not published yet, held against the current
    one), the first MEASURES_NAMED by name and one more if there are more, each saying whether
    the review's year has a published strategy; one query."""
    cycle = check.cycle
    if cycle.kind != ReviewCycle.Kind.QUARTERLY:
        return []
    year_strategy = StrategicPosition.objects.filter(
        fiscal_year=cycle.fiscal_year, status=StrategicPosition.Status.PUBLISHED
    )
    return list(
        Measure.objects.filter(
            reporting_team_id=check.unit_id,
            objective__position_id=cycle.position_id,
            objective__retired_at__isnull=True,
        )
        .exclude(objective__position__fiscal_year=cycle.fiscal_year)
        .annotate(year_published=Exists(year_strategy))
        .order_by("name", "pk")
        .values("name", "objective_id", "objective__position__fiscal_year", "year_published")[
            : MEASURES_NAMED + 1
        ]
    )


def measures_company(measures: list[Measure]) -> CompanySettings:
    """The company settings the measures of `check_measures` came with: the thresholds of a
    status and the month fiscal years start in (the fields' defaults until the row exists)."""
    company = CompanySettings(pk=1)
    first = measures[0] if measures else None
    if first is not None and first.company_tolerance is not None:
        company.plan_tolerance_percent = first.company_tolerance
        company.off_track_percent = first.company_off_track
        company.fiscal_year_start_month = first.company_start_month
    return company


def check_periods(*, cycle: ReviewCycle, measure: Measure) -> list[outcomes.Period]:
    """The periods of the review's quarter the measure reports in: the quarter itself, or its
    three months."""
    if measure.frequency == Measure.Frequency.MONTHLY:
        first = 3 * cycle.quarter - 2
        months = range(first, first + 3)
        return [outcomes.Period(cycle.fiscal_year, n, measure.frequency) for n in months]
    return [outcomes.Period(cycle.fiscal_year, cycle.quarter, measure.frequency)]


def period_label(period: outcomes.Period, start_month: int | None = None) -> str:
    """Q3 FY2026, or a month's name and year (Oct 2026) when the fiscal calendar is known."""
    if period.kind == "month" and start_month is not None:
        return date_format(period.bounds(start_month)[0], "M Y")
    return f"{period.code} FY{period.fiscal_year}"


@transaction.atomic
def check_measures_save(
    *, check: AlignmentCheck, values: list[MeasureInput], by
) -> dict[tuple[int, int], MeasureActual]:
    """Record the values a head entered on the check page, all of them or none.

    Refused with ValidationError when the review is closed; with StaleMeasureValue when a value
    stored now is not the one the page showed beside it (someone else, or the same person in
    another tab, recorded or imported it since): last write never silently wins. Recording the
    value already stored is no change (outcomes.measure_actual_record). Returns the recorded
    values by (measure id, period number).
    """
    if check.cycle.is_closed:
        raise ValidationError(_("This review is closed: its measure values are read-only."))
    if not values:
        return {}
    year = check.cycle.fiscal_year
    # The stored rows are locked until the end: a concurrent save of the same value waits, then
    # sees this one's. Two first values of one period inserted at once clash on the unique
    # constraint instead, which the view answers as a conflict.
    stored = {
        (a.measure_id, a.period): a
        for a in MeasureActual.objects.select_for_update(of=("self",))
        .select_related("entered_by")
        .filter(
            measure_id__in={v.measure.pk for v in values},
            fiscal_year=year,
            period__in={v.period.number for v in values},
        )
    }
    stale = []
    for entry in values:
        actual = stored.get((entry.measure.pk, entry.period.number))
        now = actual.value if actual is not None else None
        if now != entry.shown and now != outcomes.parse_value(entry.value):
            stale.append((entry, actual))
            continue
        # A comment changed here is checked the same way against the one the page showed.
        said = actual.comment if actual is not None else ""
        if entry.comment is not None and said not in (entry.comment_shown, entry.comment):
            stale.append((entry, actual))
    if stale:
        raise StaleMeasureValue(stale)
    return {
        (entry.measure.pk, entry.period.number): outcomes.measure_actual_record(
            measure=entry.measure,
            period=entry.period,
            value=entry.value,
            by=by,
            comment=entry.comment,
        )
        for entry in values
    }
