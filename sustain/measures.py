"""Sustained alignment: pure functions over plain values (see docs/signals.md).

Each function takes series of scores (oldest first, None for a quarter without a score),
measures' values and plans, amounts or dates, and thresholds, and returns a small result with
the reason as a phrase (strategy.phrases: rendered in the language active when it is read, and
stored so; `reason` is its text). Nothing here reads the database or the clock (the status of a
measure's value is strategy.outcomes.status_for, pure arithmetic too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from strategy import phrases
from strategy.outcomes import status_for
from strategy.phrases import Phrase

TOO_SHORT = phrases.gettext_lazy("Not enough quarters to judge")


def _fmt(values: Iterable[float | None]) -> str:
    return ", ".join("–" if v is None else f"{v:.0f}" for v in values)


# --- 1. Roller-coaster -----------------------------------------------------------------------


@dataclass
class RollerCoaster:
    flagged: bool | None  # None: the series is too short to judge
    mean_change: float | None
    reversals: int
    phrase: Phrase

    @property
    def reason(self) -> str:
        return str(self.phrase)


def roller_coaster(
    series: Sequence[float | None],
    *,
    window: int,
    min_mean_change: float,
    min_reversals: int,
    name: str | Phrase = "",
) -> RollerCoaster:
    """Mean absolute quarter-to-quarter change and direction reversals over the last `window`
    quarters; flagged when both reach their thresholds, even if the average looks fine.

    Quarters without a score are skipped; fewer than three scores cannot be judged.
    """
    recent = list(series)[-window:]
    values = [v for v in recent if v is not None]
    if len(values) < 3:
        if name:
            short = phrases.gettext_lazy(
                # Translators: name is a team or an objective; values are its scores, oldest
                # first.
                "%(name)s: %(too_short)s (%(values)s).",
                name=name,
                too_short=TOO_SHORT,
                values=_fmt(recent),
            )
        else:
            short = phrases.gettext_lazy(
                "%(too_short)s (%(values)s).", too_short=TOO_SHORT, values=_fmt(recent)
            )
        return RollerCoaster(None, None, 0, short)
    changes = [b - a for a, b in zip(values, values[1:], strict=False)]
    mean_change = sum(abs(c) for c in changes) / len(changes)
    directions = [c > 0 for c in changes if c != 0]
    reversals = sum(1 for a, b in zip(directions, directions[1:], strict=False) if a != b)
    flagged = mean_change >= min_mean_change and reversals >= min_reversals
    params = {
        "name": name,
        "values": _fmt(recent),
        "quarters": len(recent),
        "change": f"{mean_change:.0f}",
        "reversals": reversals,
    }
    if name:
        reason = phrases.ngettext_lazy(
            # Translators: name is a team or an objective; values are its scores, oldest first.
            "%(name)s: %(values)s over the last %(quarters)s quarters: moves %(change)s points "
            "a quarter on average and changed direction %(reversals)s time.",
            "%(name)s: %(values)s over the last %(quarters)s quarters: moves %(change)s points "
            "a quarter on average and changed direction %(reversals)s times.",
            "reversals",
            **params,
        )
    else:
        del params["name"]
        reason = phrases.ngettext_lazy(
            "%(values)s over the last %(quarters)s quarters: moves %(change)s points a quarter "
            "on average and changed direction %(reversals)s time.",
            "%(values)s over the last %(quarters)s quarters: moves %(change)s points a quarter "
            "on average and changed direction %(reversals)s times.",
            "reversals",
            **params,
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
    phrase: Phrase

    @property
    def reason(self) -> str:
        return str(self.phrase)


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
        reason = phrases.gettext_lazy(
            # Translators: title is an objective's; the shares are percentages (0-100).
            "“%(title)s” carries %(weight)s%% of the priority weight but gets %(funding)s%% of "
            "the committed funding and %(people)s%% of the people-and-skills commitments.",
            title=title,
            weight=f"{weight_share:.0f}",
            funding=f"{funding_share:.0f}",
            people=f"{people_share:.0f}",
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
# The topics as a reason names them.
PROMISE_TOPICS = {
    "delivery": phrases.pgettext_lazy("promise topic", "delivery"),
    "service": phrases.pgettext_lazy("promise topic", "service"),
    "quality": phrases.pgettext_lazy("promise topic", "quality"),
    "price": phrases.pgettext_lazy("promise topic", "price"),
}


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
    phrase: Phrase | None = None

    @property
    def reason(self) -> str:
        return str(self.phrase) if self.phrase is not None else ""


def promise_backed(
    title: str,
    promise: str,
    *,
    committed_levers: set[str],
    team_scores: dict[str, float | None],
    target: float,
    lever_labels: dict[str, str | Phrase],
) -> PromiseCheck:
    """Is the objective's external promise backed by commitments on the levers that deliver
    it, from teams scoring at least `target`? `lever_labels` name the levers (phrases, to be
    stored; strings are taken as they are), lower-cased inside the reason."""
    topics, needed = promise_needs(promise)
    if not committed_levers:
        return PromiseCheck(
            True,
            needed,
            [],
            phrases.gettext_lazy(
                # Translators: title is an objective's.
                "“%(title)s”: promised to customers, no team backs it.",
                title=title,
            ),
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
        labels = phrases.joined(_lowered(lever_labels.get(m, m)) for m in missing)
        about = phrases.joined((PROMISE_TOPICS.get(t, t) for t in topics), AND)
        problems.append(
            phrases.gettext_lazy(
                # Translators: topics are what a promise talks about (delivery, service,
                # quality, price); levers are lever names, lower case.
                "a %(topics)s promise with no commitment on %(levers)s",
                topics=about,
                levers=labels,
            )
        )
    if weak:
        problems.append(
            phrases.gettext_lazy(
                # Translators: teams are the names of the teams scoring under the target score.
                "its teams average %(mean)s, under the target of %(target)s (%(teams)s below it)",
                mean=f"{mean:.0f}",
                target=f"{target:.0f}",
                teams=_lowest_named(weak, scored),
            )
        )
    if not problems:
        return PromiseCheck(
            False, [], [], phrases.gettext_lazy("“%(title)s”: backed.", title=title)
        )
    reason = phrases.gettext_lazy(
        # Translators: title is an objective's; problems are the clauses above, joined by "; ".
        "“%(title)s”: %(problems)s.",
        title=title,
        problems=phrases.joined(problems, "; "),
    )
    return PromiseCheck(True, missing, weak, reason)


WEAK_TEAMS_NAMED = 5  # a reason names the lowest few teams under the target, and counts the rest


def _lowest_named(weak: list[str], scored: dict[str, float]) -> str | Phrase:
    """The teams under the target, by name: all of them when they are few, else the lowest
    WEAK_TEAMS_NAMED (in their names' order) and how many more, so that a reason stays a
    sentence however many teams back the promise."""
    if len(weak) <= WEAK_TEAMS_NAMED:
        return ", ".join(weak)
    lowest = sorted(sorted(weak, key=lambda team: (scored[team], team))[:WEAK_TEAMS_NAMED])
    return phrases.ngettext_lazy(
        # Translators: teams are the names of the lowest-scoring teams, count how many more
        # teams also score under the target.
        "%(teams)s and %(count)s more",
        "%(teams)s and %(count)s more",
        "count",
        teams=", ".join(lowest),
        count=len(weak) - WEAK_TEAMS_NAMED,
    )


# Translators: joins the topics a promise talks about ("delivery and service").
AND = phrases.gettext_lazy(" and ")


def _lowered(label: str | Phrase) -> str | Phrase:
    if isinstance(label, Phrase):
        return label.lowered()
    return str(label).lower()


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


# --- 8. Measured outcomes --------------------------------------------------------------------

# What the teams say (their fit scores) against what the measures show. A measure's status in a
# quarter is the strategy's (strategy.outcomes.status_for, a pure function too), so a signal
# and the strategy pages never disagree about "behind plan".


@dataclass
class MeasureSeries:
    """A measure's values and plan per period, oldest first (None: no value, or no plan), up to
    the last period whose value is due. A monthly measure is read at each quarter's last month
    where it is set beside quarterly scores."""

    name: str
    unit: str
    higher_is_better: bool
    baseline: float
    target: float
    actuals: Sequence[float | None]
    plans: Sequence[float | None]
    labels: Sequence[str] = ()  # the periods' names ("FY2026 Q3"), for the reasons


@dataclass
class OutcomeFinding:
    flagged: bool | None  # None: not enough values to judge
    phrase: Phrase
    measures: list[str] = field(default_factory=list)  # the names of the measures flagged

    @property
    def reason(self) -> str:
        return str(self.phrase)


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _values(values: Iterable[float | None], unit: str) -> str:
    """94%, 91%, 88% or 6, 7, 8 days."""
    values = list(values)
    if unit == "%":
        return ", ".join("–" if v is None else f"{_number(v)}%" for v in values)
    text = ", ".join(_number(v) for v in values)
    return f"{text} {unit}" if unit else text


def _plan(plans: Sequence[float | None], unit: str) -> str:
    known = [p for p in plans if p is not None]
    if known and all(p == known[0] for p in known):
        return _values([known[0]], unit)
    return _values(plans, unit)


def _status(
    actual: float | None,
    planned: float | None,
    series: MeasureSeries,
    *,
    tolerance_percent: float,
    off_track_percent: float,
) -> str | None:
    def exact(value):
        return None if value is None else Decimal(str(value))

    return status_for(
        exact(actual),
        exact(planned),
        baseline=exact(series.baseline),
        target=exact(series.target),
        higher_is_better=series.higher_is_better,
        tolerance_percent=tolerance_percent,
        off_track_percent=off_track_percent,
    )


def _is_behind(status: str | None) -> bool:
    return status in ("behind", "off_track")


def _better(a: float, b: float, *, higher_is_better: bool) -> bool:
    """b is better than a."""
    return b > a if higher_is_better else b < a


def say_do_gap(
    team: str | Phrase,
    scores: Sequence[float | None],
    measures: Sequence[MeasureSeries],
    *,
    target_score: float,
    quarters: int,
    tolerance_percent: float,
    off_track_percent: float,
) -> OutcomeFinding:
    """A team says it is aligned while the objective's measures say otherwise, for the last
    `quarters` quarters (`scores` and each measure's values quarter by quarter, aligned):
    its fit is at or above the target score while a measure is behind plan every one of those
    quarters, or its fit rises while a measure gets worse (never better, worse at the end)."""
    recent_scores = list(scores)[-quarters:]
    if len(recent_scores) < quarters or any(s is None for s in recent_scores):
        return OutcomeFinding(
            None,
            phrases.gettext_lazy(
                "%(name)s: %(too_short)s (%(values)s).",
                name=team,
                too_short=TOO_SHORT,
                values=_fmt(recent_scores),
            ),
        )
    high = all(s >= target_score for s in recent_scores)
    steps = list(zip(recent_scores, recent_scores[1:], strict=False))
    rising = all(b >= a for a, b in steps) and recent_scores[-1] > recent_scores[0]
    flagged, judged, reasons = [], False, []
    for series in measures:
        actuals = list(series.actuals)[-quarters:]
        plans = list(series.plans)[-quarters:]
        if len(actuals) < quarters or any(a is None for a in actuals):
            continue
        judged = True
        behind = all(
            _is_behind(
                _status(
                    a,
                    p,
                    series,
                    tolerance_percent=tolerance_percent,
                    off_track_percent=off_track_percent,
                )
            )
            for a, p in zip(actuals, plans, strict=True)
        )
        better = series.higher_is_better
        pairs = list(zip(actuals, actuals[1:], strict=False))
        falling = not any(_better(a, b, higher_is_better=better) for a, b in pairs) and _better(
            actuals[-1], actuals[0], higher_is_better=better
        )
        if (high and behind) or (rising and falling):
            flagged.append(series.name)
            reasons.append(
                phrases.gettext_lazy(
                    # Translators: measure is a measure's name; values and plan are its numbers.
                    "%(measure)s %(values)s against a plan of %(plan)s",
                    measure=series.name,
                    values=_values(actuals, series.unit),
                    plan=_plan(plans, series.unit),
                )
            )
    said = {"team": team, "scores": ", ".join(_number(s) for s in recent_scores)}
    if not judged:
        return OutcomeFinding(
            None,
            phrases.gettext_lazy(
                # Translators: team is a team's name; scores are its fit scores, oldest first.
                "%(team)s says %(scores)s; its measures have too few values to compare.",
                **said,
            ),
        )
    if not flagged:
        return OutcomeFinding(
            False, phrases.gettext_lazy("%(team)s says %(scores)s; its measures agree.", **said)
        )
    reason = phrases.gettext_lazy(
        # Translators: findings are "<measure> <values> against a plan of <plan>", joined by
        # "; ".
        "%(team)s says %(scores)s; %(findings)s",
        **said,
        findings=phrases.joined(reasons, "; "),
    )
    return OutcomeFinding(True, reason, flagged)


def _progress(series: MeasureSeries) -> list[float | None] | None:
    """Each value as the share (in %) of the planned change it has made, so that every measure
    moves on one scale whichever its unit and direction: 0 at the baseline, 100 at the target.
    A measure planned to hold its level is read as a share of its target; one that holds 0
    cannot be scaled (None)."""
    span = series.target - series.baseline
    if span:
        return [None if v is None else 100 * (v - series.baseline) / span for v in series.actuals]
    if series.target:
        return [None if v is None else 100 * v / abs(series.target) for v in series.actuals]
    return None


def roller_coaster_outcomes(
    series: MeasureSeries, *, window: int, min_mean_change: float, min_reversals: int
) -> RollerCoaster:
    """The roller-coaster rule on a measure's values: the mean change from one period to the
    next, in percent of the planned change (so a measure planned to fall is read the right way
    up), and the direction reversals, over the last `window` periods."""
    progress = _progress(series)
    recent = list(series.actuals)[-window:]
    if progress is None:
        return RollerCoaster(
            None,
            None,
            0,
            phrases.gettext_lazy(
                "%(measure)s: planned to hold 0, not scaled.", measure=series.name
            ),
        )
    result = roller_coaster(
        progress, window=window, min_mean_change=min_mean_change, min_reversals=min_reversals
    )
    if result.flagged is None:
        return RollerCoaster(
            None,
            None,
            0,
            phrases.gettext_lazy(
                "%(name)s: %(too_short)s (%(values)s).",
                name=series.name,
                too_short=TOO_SHORT,
                values=_values(recent, series.unit),
            ),
        )
    reversals = result.reversals
    params = {
        "measure": series.name,
        "values": _values(recent, series.unit),
        "periods": len(recent),
        "change": f"{result.mean_change:.0f}",
        "reversals": reversals,
    }
    if series.target != series.baseline:
        reason = phrases.ngettext_lazy(
            # Translators: measure is a measure's name; values are its latest values, oldest
            # first.
            "%(measure)s %(values)s over the last %(periods)s periods: moves %(change)s%% of "
            "the planned change a period on average and changed direction %(reversals)s time.",
            "%(measure)s %(values)s over the last %(periods)s periods: moves %(change)s%% of "
            "the planned change a period on average and changed direction %(reversals)s times.",
            "reversals",
            **params,
        )
    else:
        reason = phrases.ngettext_lazy(
            "%(measure)s %(values)s over the last %(periods)s periods: moves %(change)s%% of "
            "its target a period on average and changed direction %(reversals)s time.",
            "%(measure)s %(values)s over the last %(periods)s periods: moves %(change)s%% of "
            "its target a period on average and changed direction %(reversals)s times.",
            "reversals",
            **params,
        )
    return RollerCoaster(result.flagged, result.mean_change, reversals, reason)


def promise_at_risk(
    title: str,
    promise: str,
    measures: Sequence[MeasureSeries],
    *,
    tolerance_percent: float,
    off_track_percent: float,
) -> OutcomeFinding:
    """An objective's promise to customers whose measures are behind plan in their latest
    period with a value: `measures` are those customers feel (Measure.customer_felt), none of
    them is not judged."""
    if not promise.strip():
        return OutcomeFinding(
            False, phrases.gettext_lazy("“%(title)s” makes no promise to customers.", title=title)
        )
    if not measures:
        return OutcomeFinding(
            None, phrases.gettext_lazy("“%(title)s”: no measure customers feel.", title=title)
        )
    behind, reasons, judged = [], [], False
    for series in measures:
        pairs = list(enumerate(zip(series.actuals, series.plans, strict=True)))
        latest = next(((a, p, i) for i, (a, p) in reversed(pairs) if a is not None), None)
        if latest is None:
            continue
        judged = True
        actual, planned, index = latest
        status = _status(
            actual,
            planned,
            series,
            tolerance_percent=tolerance_percent,
            off_track_percent=off_track_percent,
        )
        if _is_behind(status):
            params = {
                "measure": series.name,
                "value": _values([actual], series.unit),
                "plan": _values([planned], series.unit),
                "period": series.labels[index] if index < len(series.labels) else "",
            }
            behind.append(series.name)
            if status == "off_track" and params["period"]:
                finding = phrases.gettext_lazy(
                    # Translators: period is a period's name ("FY2026 Q3").
                    "%(measure)s %(value)s in %(period)s against a plan of %(plan)s (off track)",
                    **params,
                )
            elif status == "off_track":
                del params["period"]
                finding = phrases.gettext_lazy(
                    "%(measure)s %(value)s against a plan of %(plan)s (off track)", **params
                )
            elif params["period"]:
                finding = phrases.gettext_lazy(
                    "%(measure)s %(value)s in %(period)s against a plan of %(plan)s (behind plan)",
                    **params,
                )
            else:
                del params["period"]
                finding = phrases.gettext_lazy(
                    "%(measure)s %(value)s against a plan of %(plan)s (behind plan)", **params
                )
            reasons.append(finding)
    if not judged:
        return OutcomeFinding(
            None, phrases.gettext_lazy("“%(title)s”: its measures have no value yet.", title=title)
        )
    if not behind:
        return OutcomeFinding(
            False, phrases.gettext_lazy("“%(title)s”: its measures are on plan.", title=title)
        )
    reason = phrases.gettext_lazy(
        # Translators: title is an objective's, promise its external promise; findings are the
        # measures behind plan, joined by "; ".
        "“%(title)s” promises “%(promise)s”; %(findings)s.",
        title=title,
        promise=promise.strip(),
        findings=phrases.joined(reasons, "; "),
    )
    return OutcomeFinding(True, reason, behind)


def not_measuring(series: MeasureSeries, *, periods: int) -> OutcomeFinding:
    """A measure with no value for its last due period, or whose last `periods` values are all
    the same: nobody measures it, or the number is copied forward."""
    actuals = list(series.actuals)
    if not actuals:
        return OutcomeFinding(
            False, phrases.gettext_lazy("%(measure)s: no value is due yet.", measure=series.name)
        )
    if actuals[-1] is None:
        last = series.labels[len(actuals) - 1] if len(series.labels) >= len(actuals) else ""
        if last:
            reason = phrases.gettext_lazy(
                # Translators: period is a period's name ("FY2026 Q3").
                "%(measure)s has no value for %(period)s.",
                measure=series.name,
                period=last,
            )
        else:
            reason = phrases.gettext_lazy(
                "%(measure)s has no value for its last period.", measure=series.name
            )
        return OutcomeFinding(True, reason, [series.name])
    recent = actuals[-periods:]
    if len(recent) == periods and periods >= 2 and all(v == recent[0] for v in recent):
        return OutcomeFinding(
            True,
            phrases.ngettext_lazy(
                "%(measure)s reads %(value)s for %(periods)s periods in a row: is it measured?",
                "%(measure)s reads %(value)s for %(periods)s periods in a row: is it measured?",
                "periods",
                measure=series.name,
                value=_values([recent[0]], series.unit),
                periods=periods,
            ),
            [series.name],
        )
    return OutcomeFinding(
        False,
        phrases.gettext_lazy(
            "%(measure)s: measured (%(values)s).",
            measure=series.name,
            values=_values(recent, series.unit),
        ),
    )
