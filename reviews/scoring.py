"""The scoring formulas, as pure functions over plain values (see docs/scoring.md).

- A lever score is 1 to 5; "not applicable" (0) and "not scored" (None) are left out.
- A team's fit on an objective: the mean of its lever scores, normalised to 0-100.
- A team's fit for the cycle: the mean of all its lever scores, normalised.
- An objective's score: the mean of the fit of the teams that scored it.
- The alignment index: the objectives' scores weighted by their priority weights.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

DISAGREEMENT_POINTS = 2  # executive and head differ by this much on the 1-5 scale


def normalise(mean: float) -> float:
    """Map a mean on the 1-5 scale to 0-100."""
    return (mean - 1) * 25


def valid(values: Iterable[int | None]) -> list[int]:
    return [v for v in values if v is not None and 1 <= v <= 5]


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def fit(values: Iterable[int | None]) -> float | None:
    """Normalised fit of some lever scores, or None when none counts."""
    m = mean(valid(values))
    return None if m is None else normalise(m)


def weighted_index(scores: Mapping[int, float | None], weights: Mapping[int, int]) -> float | None:
    """Scores weighted by priority weights, over the objectives that have a score."""
    pairs = [(s, weights.get(k, 0)) for k, s in scores.items() if s is not None]
    total = sum(w for _, w in pairs)
    if not total:
        return None
    return sum(s * w for s, w in pairs) / total


@dataclass
class Results:
    cells: dict[tuple[int, int], float] = field(default_factory=dict)  # (objective, team) → fit
    teams: dict[int, float] = field(default_factory=dict)
    objectives: dict[int, float] = field(default_factory=dict)
    index: float | None = None


def compute(
    items: Iterable[tuple[int, int, tuple[int | None, ...]]], weights: Mapping[int, int]
) -> Results:
    """Results from (team id, objective id, lever scores) rows and objective weights."""
    results = Results()
    team_values: dict[int, list[int]] = defaultdict(list)
    objective_fits: dict[int, list[float]] = defaultdict(list)
    for team_id, objective_id, values in items:
        counted = valid(values)
        team_values[team_id].extend(counted)
        cell = fit(counted)
        if cell is not None:
            results.cells[(objective_id, team_id)] = cell
            objective_fits[objective_id].append(cell)
    for team_id, values in team_values.items():
        score = fit(values)
        if score is not None:
            results.teams[team_id] = score
    for objective_id, fits in objective_fits.items():
        results.objectives[objective_id] = mean(fits)
    results.index = weighted_index(results.objectives, weights)
    return results


def head_mean(values: Iterable[int | None]) -> float | None:
    """A head's view of a team on one objective on the 1-5 scale, to compare with executives."""
    return mean(valid(values))


def disagrees(executive_score: int, head_values: Iterable[int | None]) -> bool:
    head = head_mean(head_values)
    return head is not None and abs(executive_score - head) >= DISAGREEMENT_POINTS
