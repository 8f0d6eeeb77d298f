"""The review agenda, built from what the data shows: pure functions over snapshots."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

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
        return str(KIND_LABELS[self.kind])


KIND_LABELS = {
    "drop": pgettext_lazy("agenda heading", "Largest drops"),
    "low": pgettext_lazy("agenda heading", "Lowest scores"),
    "disagreement": pgettext_lazy("agenda heading", "Disagreements"),
    "unsupported": pgettext_lazy("agenda heading", "Objectives no team supports"),
    "missing": pgettext_lazy("agenda heading", "Checks not submitted"),
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
                    # Translators: team is a team's name; the others are scores out of 100.
                    _("%(team)s fell %(drop)s points, from %(before)s to %(now)s.")
                    % {
                        "team": team["name"],
                        "drop": f"{drop:.0f}",
                        "before": f"{before[team['id']]:.0f}",
                        "now": f"{team['score']:.0f}",
                    },
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
                    # Translators: objective is an objective's title; the others are scores.
                    _("“%(objective)s” fell %(drop)s points, from %(before)s to %(now)s.")
                    % {
                        "objective": objective["title"],
                        "drop": f"{drop:.0f}",
                        "before": f"{before_obj[objective['id']]:.0f}",
                        "now": f"{objective['score']:.0f}",
                    },
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
                _("%(team)s scores %(score)s on “%(objective)s”.")
                % {
                    "team": teams[team_id]["name"],
                    "score": f"{score:.0f}",
                    "objective": objectives[objective_id]["title"],
                },
                objective_id=objective_id,
                team_id=team_id,
            )
        )

    for d in current["disagreements"]:
        items.append(
            AgendaItem(
                "disagreement",
                # Translators: head is the head's mean score, executive an executive's (1 to 5).
                _(
                    "%(team)s on “%(objective)s”: the head says %(head)s, an executive says "
                    "%(executive)s (out of 5)."
                )
                % {
                    "team": teams[d["team"]]["name"],
                    "objective": objectives[d["objective"]]["title"],
                    "head": f"{d['head']:.1f}",
                    "executive": d["executive"],
                },
                objective_id=d["objective"],
                team_id=d["team"],
            )
        )

    for o in current["objectives"]:
        if not o["teams"]:
            items.append(
                AgendaItem(
                    "unsupported",
                    _("No team commits to “%(objective)s”.") % {"objective": o["title"]},
                    objective_id=o["id"],
                )
            )

    for t in current["teams"]:
        if t["state"] != "submitted":
            if t["state"] == "not_started":
                text = _("The check of %(team)s has not started.") % {"team": t["name"]}
            else:
                text = _("The check of %(team)s is still in draft.") % {"team": t["name"]}
            items.append(AgendaItem("missing", text, team_id=t["id"]))
    return items
