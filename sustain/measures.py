"""Sustained alignment: pure functions over plain values (see docs/signals.md).

Each function takes series of scores (oldest first, None for a quarter without a score),
amounts or dates, and thresholds, and returns a small result with the reason in plain words.
Nothing here reads the database or the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

TOO_SHORT = "Not enough quarters to judge"


def _fmt(values: Iterable[float | None]) -> str:
    return ", ".join("–" if v is None else f"{v:.0f}" for v in values)


# --- 1. Roller-coaster -----------------------------------------------------------------------


@dataclass
class RollerCoaster:
    flagged: bool | None  # None: the series is too short to judge
    mean_change: float | None
    reversals: int
    reason: str


def roller_coaster(
    series: Sequence[float | None],
    *,
    window: int,
    min_mean_change: float,
    min_reversals: int,
    name: str = "",
) -> RollerCoaster:
    """Mean absolute quarter-to-quarter change and direction reversals over the last `window`
    quarters; flagged when both reach their thresholds, even if the average looks fine.

    Quarters without a score are skipped; fewer than three scores cannot be judged.
    """
    recent = list(series)[-window:]
    values = [v for v in recent if v is not None]
    label = f"{name}: " if name else ""
    if len(values) < 3:
        return RollerCoaster(None, None, 0, f"{label}{TOO_SHORT} ({_fmt(recent)}).")
    changes = [b - a for a, b in zip(values, values[1:], strict=False)]
    mean_change = sum(abs(c) for c in changes) / len(changes)
    directions = [c > 0 for c in changes if c != 0]
    reversals = sum(1 for a, b in zip(directions, directions[1:], strict=False) if a != b)
    flagged = mean_change >= min_mean_change and reversals >= min_reversals
    reason = (
        f"{label}{_fmt(recent)} over the last {len(recent)} quarters: moves {mean_change:.0f} "
        f"points a quarter on average and changed direction {reversals} "
        f"time{'s' if reversals != 1 else ''}."
    )
    return RollerCoaster(flagged, mean_change, reversals, reason)


# --- 2. Sustained alignment ------------------------------------------------------------------


def streak(series: Sequence[float | None], *, target: float) -> int:
    """Consecutive quarters at or above target, counting back from the latest one."""
    count = 0
    for value in reversed(series):
        if value is None or value < target:
            break
        count += 1
    return count


# --- 3. Complacency --------------------------------------------------------------------------


@dataclass
class Finding:
    kind: str
    reason: str


def identical_check(current: dict, previous: dict | None) -> bool:
    """Scores and evidence of every objective exactly as last quarter: objective → (scores,
    evidence) mappings. An empty check is never "identical"."""
    return bool(current) and previous is not None and current == previous


def all_maximum(scores: Iterable[int | None], *, commitments_changed: bool) -> bool:
    """Every lever at 5 (not applicable aside) and no commitment changed meanwhile."""
    counted = [s for s in scores if s]
    return bool(counted) and all(s == 5 for s in counted) and not commitments_changed


def late_count(submissions: Sequence[bool | None]) -> int:
    """How many of these cycles the team missed or submitted late (True = on time)."""
    return sum(1 for on_time in submissions if not on_time)


def refresh_without_discussion(decisions: Sequence[str], *, revised_or_new: int) -> bool:
    """An annual refresh that kept every objective as it was and added none."""
    return bool(decisions) and all(d == "kept" for d in decisions) and revised_or_new == 0


# --- 4. Funding follows priorities -----------------------------------------------------------


@dataclass
class FundingShare:
    key: object
    title: str
    weight_share: float
    funding_share: float
    people_share: float
    flagged: bool
    reason: str


def funding_shares(
    objectives: Sequence[tuple[object, str, float, float, int]], *, min_ratio: float
) -> tuple[list[FundingShare], float | None]:
    """Per objective (key, title, priority weight, funded amount, people-and-skills
    commitments): shares in percent, flagged when the funding share is below `min_ratio`
    times the weight share. Also the misallocation index: half the sum of the absolute
    differences between funding and weight shares (0 = funding follows the weights exactly,
    100 = all of it where no weight is)."""
    total_weight = sum(w for _, _, w, _, _ in objectives)
    total_funding = sum(f for _, _, _, f, _ in objectives)
    total_people = sum(p for *_, p in objectives)
    if not total_weight:
        return [], None
    shares = []
    for key, title, weight, funding, people in objectives:
        weight_share = 100 * weight / total_weight
        funding_share = 100 * funding / total_funding if total_funding else 0.0
        people_share = 100 * people / total_people if total_people else 0.0
        # With no funding committed at all there is no allocation to judge.
        flagged = bool(total_funding) and funding_share < min_ratio * weight_share
        reason = (
            f"“{title}” carries {weight_share:.0f}% of the priority weight but gets "
            f"{funding_share:.0f}% of the committed funding and {people_share:.0f}% of the "
            "people-and-skills commitments."
        )
        shares.append(
            FundingShare(key, title, weight_share, funding_share, people_share, flagged, reason)
        )
    index = (
        sum(abs(s.funding_share - s.weight_share) for s in shares) / 2 if total_funding else None
    )
    return shares, index


# --- 5. Promises backed inside ---------------------------------------------------------------

# What a promise talks about → the levers that must back it (at least one commitment each).
PROMISE_RULES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    (
        "delivery",
        (
            "deliver",
            "delivery",
            "on time",
            "date",
            "arrive",
            "next day",
            "same day",
            "stock",
            "available",
            "availability",
            "shelves",
            "in stock",
        ),
        ("inventory", "processes"),
    ),
    (
        "service",
        (
            "service",
            "advice",
            "advise",
            "help",
            "expert",
            "knowledge",
            "know",
            "answer",
            "call",
            "reach",
            "friendly",
            "support",
        ),
        ("people",),
    ),
    (
        "quality",
        ("quality", "defect", "right first time", "reliable", "certified"),
        ("processes", "people"),
    ),
    ("price", ("price", "cheap", "cost", "fair", "value"), ("processes",)),
]


def promise_needs(promise: str) -> tuple[list[str], list[str]]:
    """(topics found, levers required) for an external promise; at least one commitment of
    any lever when it names none of the topics."""
    text = promise.lower()
    topics, levers = [], []
    for topic, words, needed in PROMISE_RULES:
        # Whole words (and their plurals): "update" does not talk about a date.
        if any(re.search(rf"\b{re.escape(w)}s?\b", text) for w in words):
            topics.append(topic)
            levers.extend(lever for lever in needed if lever not in levers)
    return topics, levers


@dataclass
class PromiseCheck:
    flagged: bool
    missing_levers: list[str] = field(default_factory=list)
    weak_teams: list[str] = field(default_factory=list)
    reason: str = ""


def promise_backed(
    title: str,
    promise: str,
    *,
    committed_levers: set[str],
    team_scores: dict[str, float | None],
    target: float,
    lever_labels: dict[str, str],
) -> PromiseCheck:
    """Is the objective's external promise backed by commitments on the levers that deliver
    it, from teams scoring at least `target`?"""
    topics, needed = promise_needs(promise)
    if not committed_levers:
        return PromiseCheck(
            True, needed, [], f"“{title}”: promised to customers, no team backs it."
        )
    missing = [lever for lever in needed if lever not in committed_levers]
    scored = {t: s for t, s in team_scores.items() if s is not None}
    mean = sum(scored.values()) / len(scored) if scored else None
    # The backing teams fall short when their mean fit is under target; name those under it.
    weak = (
        sorted(t for t, s in scored.items() if s < target)
        if mean is not None and mean < target
        else []
    )
    problems = []
    if missing:
        labels = ", ".join(lever_labels.get(m, m).lower() for m in missing)
        about = " and ".join(topics)
        problems.append(f"a {about} promise with no commitment on {labels}")
    if weak:
        problems.append(
            f"its teams average {mean:.0f}, under the target of {target:.0f} "
            f"({', '.join(weak)} below it)"
        )
    if not problems:
        return PromiseCheck(False, [], [], f"“{title}”: backed.")
    return PromiseCheck(True, missing, weak, f"“{title}”: " + "; ".join(problems) + ".")


# --- 6. Communicated inside ------------------------------------------------------------------


def acknowledged_share(acknowledged: int, members: int) -> float | None:
    return None if members == 0 else 100 * acknowledged / members


# --- 7. Review cadence kept ------------------------------------------------------------------


@dataclass
class CadenceKept:
    opened_on_time: bool | None
    closed_on_time: bool | None
    submitted_on_time: float | None  # percent of teams


def cadence_kept(
    *,
    opens_on,
    due_on,
    opened_on,
    closed_on,
    close_grace_days: int,
    teams: int,
    on_time: int,
) -> CadenceKept:
    from datetime import timedelta

    return CadenceKept(
        opened_on_time=None if opened_on is None else opened_on <= opens_on,
        closed_on_time=None
        if closed_on is None
        else closed_on <= due_on + timedelta(days=close_grace_days),
        submitted_on_time=None if teams == 0 else 100 * on_time / teams,
    )
