"""The review agenda, built from what the data shows: pure functions over snapshots."""

from __future__ import annotations

from dataclasses import dataclass

DROP_POINTS = 10  # a team or objective falling this much since last quarter is on the agenda
LOW_SCORE = 50  # below "partly supports" on average
MAX_PER_KIND = 5


@dataclass
class AgendaItem:
    kind: str
    text: str
    objective_id: int | None = None
    team_id: int | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


KIND_LABELS = {
    "drop": "Largest drops",
    "low": "Lowest scores",
    "disagreement": "Disagreements",
    "unsupported": "Objectives no team supports",
    "missing": "Checks not submitted",
}


def build(current: dict, previous: dict | None) -> list[AgendaItem]:
    items: list[AgendaItem] = []
    objectives = {o["id"]: o for o in current["objectives"]}
    teams = {t["id"]: t for t in current["teams"]}

    if previous:
        before = {t["id"]: t["score"] for t in previous["teams"] if t["score"] is not None}
        drops = [
            (before[t["id"]] - t["score"], t)
            for t in current["teams"]
            if t["score"] is not None and t["id"] in before
        ]
        drops = sorted((d for d in drops if d[0] >= DROP_POINTS), key=lambda d: -d[0])
        for drop, team in drops[:MAX_PER_KIND]:
            items.append(
                AgendaItem(
                    "drop",
                    f"{team['name']} fell {drop:.0f} points, from {before[team['id']]:.0f} "
                    f"to {team['score']:.0f}.",
                    team_id=team["id"],
                )
            )
        before_obj = {o["id"]: o["score"] for o in previous["objectives"] if o["score"] is not None}
        obj_drops = [
            (before_obj[o["id"]] - o["score"], o)
            for o in current["objectives"]
            if o["score"] is not None and o["id"] in before_obj
        ]
        obj_drops = sorted((d for d in obj_drops if d[0] >= DROP_POINTS), key=lambda d: -d[0])
        for drop, objective in obj_drops[:MAX_PER_KIND]:
            items.append(
                AgendaItem(
                    "drop",
                    f"“{objective['title']}” fell {drop:.0f} points, from "
                    f"{before_obj[objective['id']]:.0f} to {objective['score']:.0f}.",
                    objective_id=objective["id"],
                )
            )

    low_cells = sorted((c for c in current["cells"] if c[2] < LOW_SCORE), key=lambda c: c[2])[
        :MAX_PER_KIND
    ]
    for objective_id, team_id, score in low_cells:
        items.append(
            AgendaItem(
                "low",
                f"{teams[team_id]['name']} scores {score:.0f} on "
                f"“{objectives[objective_id]['title']}”.",
                objective_id=objective_id,
                team_id=team_id,
            )
        )

    for d in current["disagreements"]:
        items.append(
            AgendaItem(
                "disagreement",
                f"{teams[d['team']]['name']} on “{objectives[d['objective']]['title']}”: the head "
                f"says {d['head']:.1f}, an executive says {d['executive']} (out of 5).",
                objective_id=d["objective"],
                team_id=d["team"],
            )
        )

    for o in current["objectives"]:
        if not o["teams"]:
            items.append(
                AgendaItem(
                    "unsupported",
                    f"No team commits to “{o['title']}”.",
                    objective_id=o["id"],
                )
            )

    for t in current["teams"]:
        if t["state"] != "submitted":
            state = "has not started" if t["state"] == "not_started" else "is still in draft"
            items.append(
                AgendaItem("missing", f"The check of {t['name']} {state}.", team_id=t["id"])
            )
    return items
