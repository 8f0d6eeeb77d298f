"""Helpers for the signals tests: quarters closed through the services with chosen scores.

A team that gives every lever the score s has a fit of (s − 1) × 25 (docs/scoring.md):
1 → 0, 2 → 25, 3 → 50, 4 → 75, 5 → 100. Each quarter opens on the day after the quarter ends,
is due 14 days later, and closes 7 days after that; checks go in 3 days after opening, or 2
days after the due date for a late team.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from reviews import services
from reviews.models import LEVERS, AlignmentCheck, ReviewCycle, quarter_end
from strategy.models import Commitment, Membership, Objective, Unit
from sustain import board
from tests.factories import ReviewCycleFactory

FY = 2026
DELIVERY_PROMISE = "Your order arrives on the date we promise."  # delivery: inventory, processes
SERVICE_PROMISE = "Expert advice at every counter."  # service: people


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def levers(value) -> dict:
    """Lever → score from one score for every lever, or a tuple in the order of LEVERS."""
    if isinstance(value, int):
        value = (value,) * len(LEVERS)
    return dict(zip(LEVERS, value, strict=True))


def text(response) -> str:
    """A page's HTML with entities decoded, to look for reasons that contain apostrophes."""
    return html.unescape(response.content.decode())


def reasons(result: dict, kind: str | None = None, subject: str | None = None) -> list[str]:
    return [
        s["reason"]
        for s in result["signals"]
        if (kind is None or s["kind"] == kind) and (subject is None or s["subject"] == subject)
    ]


def submit(check: AlignmentCheck, *, by, scores, evidence: str, now: datetime) -> AlignmentCheck:
    """Submit a check through the service: `scores` is one score or tuple for every item, or
    {objective: score or tuple}."""
    items = {}
    for item in check.items.select_related("objective"):
        value = scores.get(item.objective) if isinstance(scores, dict) else scores
        if value is not None:
            items[item.pk] = services.ItemInput(
                scores=levers(value), evidence=evidence, blockers=""
            )
    check.refresh_from_db()
    return services.check_save(
        check=check,
        version=check.version,
        items=items,
        statuses={},
        by=by,
        submit=True,
        now=now,
    )


@dataclass
class Org:
    position: object
    a: Objective
    b: Objective
    logistics: Unit
    finance: Unit
    executive: object
    cycles: list[ReviewCycle] = field(default_factory=list)

    def head_of(self, unit: Unit):
        return Membership.objects.get(unit=unit, role=Membership.Role.HEAD).user

    def quarter(
        self,
        fiscal_year: int,
        quarter: int,
        scores: dict,
        *,
        position=None,
        late=(),
        evidence: dict | None = None,
        opened_days_late: int = 0,
        closed_days_after_due: int = 7,
    ) -> ReviewCycle:
        """Open, fill in and close one quarterly review. `scores`: team → a score for every
        lever, a tuple of lever scores, {objective: …}, or None for a team that misses it."""
        opens_on = quarter_end(fiscal_year, quarter) + timedelta(days=1)
        due_on = opens_on + timedelta(days=14)
        cycle = ReviewCycleFactory(
            position=position or self.position,
            fiscal_year=fiscal_year,
            quarter=quarter,
            opens_on=opens_on,
            due_on=due_on,
        )
        services.cycle_open(cycle=cycle, now=at(opens_on + timedelta(days=opened_days_late)))
        for unit, value in scores.items():
            if value is None:
                continue
            words = (evidence or {}).get(unit, f"{unit.name}: what we did in {cycle.label}.")
            submitted_on = (
                due_on + timedelta(days=2) if unit in late else opens_on + timedelta(days=3)
            )
            submit(
                AlignmentCheck.objects.get(cycle=cycle, unit=unit),
                by=self.head_of(unit),
                scores=value,
                evidence=words,
                now=at(submitted_on),
            )
        services.cycle_close(
            cycle=cycle,
            by=self.executive,
            now=at(due_on + timedelta(days=closed_days_after_due)),
        )
        cycle.refresh_from_db()
        self.cycles.append(cycle)
        return cycle

    def quarters(
        self,
        series: dict,
        *,
        first: tuple[int, int] = (FY, 1),
        late: dict | None = None,
        evidence: dict | None = None,
        position=None,
    ) -> list[ReviewCycle]:
        """Close one quarter per value of the teams' series, from `first` on; `late` and
        `evidence` map a quarter's index to that quarter's argument."""
        year, quarter = first
        count = len(next(iter(series.values())))
        cycles = []
        for index in range(count):
            cycles.append(
                self.quarter(
                    year,
                    quarter,
                    {unit: values[index] for unit, values in series.items()},
                    position=position,
                    late=(late or {}).get(index, ()),
                    evidence=(evidence or {}).get(index),
                )
            )
            year, quarter = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
        self.settle()
        return cycles

    def settle(self, when: datetime | None = None) -> None:
        """Set every commitment's last change to `when`: by default just before the
        second-to-last close, so that none is stale and none changed in the latest quarter."""
        if when is None:
            closed = [c.closed_at for c in self.cycles]
            when = (closed[-2] if len(closed) > 1 else self.cycles[0].opened_at) - timedelta(days=1)
        Commitment.objects.update(updated_at=when)

    @property
    def now(self) -> datetime:
        """The day after the latest close."""
        return self.cycles[-1].closed_at + timedelta(days=1)

    def board(self, **kwargs) -> dict:
        return board.board(now=kwargs.pop("now", self.now), **kwargs)
