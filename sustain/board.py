"""The sustained-alignment board: reads the frozen scores and the data the other screens
collect, and runs the pure functions of sustain.measures over them.

A fixed number of queries whatever the size of the organisation. `as_of` limits the scores
to the closed quarters up to a cycle, so a past review's signals never change; the cycle's
snapshot keeps them when it closes.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Window
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from notifications import notify, webhooks
from notifications.models import WebhookEndpoint
from reviews import standings
from reviews.models import (
    LEVERS,
    AlignmentCheck,
    CheckItem,
    FrozenScore,
    ReviewCycle,
    quarter_end,
)
from strategy import money, outcomes, phrases
from strategy.models import (
    Acknowledgement,
    Commitment,
    CompanySettings,
    ExchangeRate,
    Lever,
    Measure,
    MeasureActual,
    MeasurePlanPoint,
    Membership,
    Objective,
    StrategicPosition,
    Unit,
    fiscal_year_of,
)
from strategy.phrases import Phrase
from strategy.prepared import as_models, prepared
from sustain import measures
from sustain.models import SignalSettings, StoredBoard, StoredSignal

QUARTER = timedelta(days=91)


def _lever_phrases() -> dict[str, Phrase]:
    """The levers' labels as phrases (their msgids, context "lever"), for the reasons."""
    with translation.override(None):  # no catalogue: a label is its msgid
        return {value: phrases.pgettext_lazy("lever", str(label)) for value, label in Lever.choices}


def _signal(
    kind, label, subject, reason: Phrase, *, link="", team=None, objective=None, flagged=True
):
    """A signal: its reason as text (in the language active while the board is computed, for
    the webhooks) and as a phrase (`phrase`, JSON), which the pages render in the reader's."""
    return {
        "kind": kind,
        "label": label,
        "subject": subject,
        "reason": str(reason),
        "phrase": reason.to_json(),
        "link": link,
        "team": team,
        "objective": objective,
        "flagged": flagged,
    }


def board(*, now: datetime, as_of: ReviewCycle | None = None) -> dict:
    config = SignalSettings.load()
    position = as_of.position if as_of else StrategicPosition.objects.current()
    cycles = list(
        ReviewCycle.objects.quarterly()
        .closed()
        .defer("snapshot")
        .order_by("fiscal_year", "quarter")
    )
    if as_of is not None:
        here = (as_of.fiscal_year, as_of.quarter or 0)
        cycles = [c for c in cycles if (c.fiscal_year, c.quarter) <= here]
    teams = list(Unit.objects.active().functional().order_by("name"))
    objectives = list(position.objectives.active().order_by("order", "pk")) if position else []
    signals: list[dict] = []
    window = cycles[-config.window :]

    # Objectives carried over by annual refreshes continue their predecessors' series.
    previous_of = dict(
        Objective.objects.filter(previous__isnull=False).values_list("pk", "previous_id")
    )

    def lineage(pk: int) -> set[int]:
        seen = {pk}
        while (pk := previous_of.get(pk)) is not None and pk not in seen:
            seen.add(pk)
        return seen

    frozen = defaultdict(dict)
    for cycle_id, objective_id, unit_id, score in FrozenScore.objects.filter(
        cycle__in=window
    ).values_list("cycle_id", "objective_id", "unit_id", "score"):
        frozen[cycle_id][(objective_id, unit_id)] = score

    def objective_series(o: Objective) -> list[float | None]:
        keys = lineage(o.pk)
        return [
            next((frozen[c.pk][(k, None)] for k in keys if (k, None) in frozen[c.pk]), None)
            for c in window
        ]

    team_series = {t.pk: [frozen[c.pk].get((None, t.pk)) for c in window] for t in teams}
    obj_series = {o.pk: objective_series(o) for o in objectives}

    # 1 and 2: roller-coasters and streaks.
    streaks = []
    for subject, series, link, team, objective in [
        (t.name, team_series[t.pk], t.get_absolute_url(), t.pk, None) for t in teams
    ] + [(o.title, obj_series[o.pk], o.get_absolute_url(), None, o.pk) for o in objectives]:
        result = measures.roller_coaster(
            series,
            window=config.window,
            min_mean_change=config.roller_min_change,
            min_reversals=config.roller_min_reversals,
            name=subject,
        )
        if result.flagged:
            signals.append(
                _signal(
                    "roller",
                    "Roller-coaster",
                    subject,
                    result.phrase,
                    link=link,
                    team=team,
                    objective=objective,
                )
            )
        run = measures.streak(series, target=config.target_score)
        if run:
            streaks.append(
                {
                    "subject": subject,
                    "quarters": run,
                    "link": link,
                    "team": team,
                    "objective": objective,
                }
            )
    streaks.sort(key=lambda s: (-s["quarters"], s["subject"]))

    # 3: complacency.
    signals += _complacency(config, cycles, window, teams, now=now, position=position)

    # 4: funding follows priorities.
    company = CompanySettings.read()
    funding, misallocation, unfunded, funding_currency = _funding(
        config, company, position, objectives
    )
    signals += [
        _signal(
            "funding",
            "Funding",
            f.title,
            f.phrase,
            objective=f.key,
            link=reverse("strategy:objective-detail", args=[f.key]),
        )
        for f in funding
        if f.flagged
    ]
    signals += unfunded

    # 5: promises backed inside.
    promises = _promises(config, objectives, window, frozen)
    signals += [p for p in promises if p["flagged"]]

    # 8: measured outcomes.
    signals += _outcomes(
        config, company, objectives, teams, window, frozen, lineage, now=now, as_of=as_of
    )

    # 6: communicated inside.
    acknowledgement = _acknowledgement(position, teams)

    # 7: review cadence kept.
    cadence = _cadence(config, cycles)

    return {
        "config": config,
        "position": position,
        "window": [c.label for c in window],
        "signals": signals,
        "streaks": streaks,
        "funding": funding,
        "misallocation": misallocation,
        "funding_currency": funding_currency,
        "promises": promises,
        "acknowledgement": acknowledgement,
        "cadence": cadence,
        "too_short": len(window) < 3,
    }


def _complacency(config, cycles, window, teams, *, now, position) -> list[dict]:
    found = []
    latest = window[-1] if window else None
    before = window[-2] if len(window) >= 2 else None
    items = defaultdict(dict)  # cycle → team → objective → (scores, evidence)
    if latest is not None:
        rows = CheckItem.objects.filter(
            alignment_check__cycle__in=[c for c in (latest, before) if c],
            alignment_check__state=AlignmentCheck.State.SUBMITTED,
        ).values_list(
            "alignment_check__cycle_id",
            "alignment_check__unit_id",
            "objective_id",
            "evidence",
            *[f"score_{lever}" for lever in LEVERS],
        )
        for cycle_id, unit_id, objective_id, evidence, *scores in rows:
            items[cycle_id].setdefault(unit_id, {})[objective_id] = (tuple(scores), evidence)
    changed_since = {}
    if latest is not None:
        since = before.closed_at if before else latest.opened_at
        changed_since = dict(
            Commitment.objects.filter(updated_at__gt=since, updated_at__lte=latest.closed_at)
            .values("unit_id")
            .annotate(n=Max("pk"))
            .values_list("unit_id", "n")
        )
    stale_before = now - config.stale_quarters * QUARTER
    stale = dict(
        Commitment.objects.open()
        .filter(updated_at__lt=stale_before, unit__in=teams)
        .values("unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "n")
    )
    recent = window
    lateness = defaultdict(list)
    for unit_id, cycle_id, state, submitted_at in AlignmentCheck.objects.filter(
        cycle__in=recent
    ).values_list("unit_id", "cycle_id", "state", "submitted_at"):
        cycle = next(c for c in recent if c.pk == cycle_id)
        on_time = (
            state == AlignmentCheck.State.SUBMITTED
            and submitted_at is not None
            and (timezone.localdate(submitted_at) <= cycle.due_on)
        )
        lateness[unit_id].append(on_time)
    for team in teams:
        link = team.get_absolute_url()
        now_items = items[latest.pk].get(team.pk) if latest else None
        then_items = items[before.pk].get(team.pk) if before else None
        if now_items and measures.identical_check(now_items, then_items):
            found.append(
                _signal(
                    "complacency",
                    "Complacency",
                    team.name,
                    phrases.gettext_lazy(
                        # Translators: team is a team's name; latest and before are reviews
                        # ("FY2026 Q3").
                        "%(team)s: the %(latest)s check repeats %(before)s's scores and "
                        "evidence word for word.",
                        team=team.name,
                        latest=latest.label_phrase,
                        before=before.label_phrase,
                    ),
                    link=link,
                    team=team.pk,
                )
            )
        if now_items and measures.all_maximum(
            (s for scores, _ in now_items.values() for s in scores),
            commitments_changed=team.pk in changed_since,
        ):
            found.append(
                _signal(
                    "complacency",
                    "Complacency",
                    team.name,
                    phrases.gettext_lazy(
                        "%(team)s: every lever scored 5 in %(latest)s, and no commitment "
                        "changed that quarter.",
                        team=team.name,
                        latest=latest.label_phrase,
                    ),
                    link=link,
                    team=team.pk,
                )
            )
        if stale.get(team.pk):
            n = stale[team.pk]
            found.append(
                _signal(
                    "complacency",
                    "Complacency",
                    team.name,
                    phrases.ngettext_lazy(
                        "%(team)s: %(count)s open commitment not updated for %(quarters)s "
                        "quarters or more.",
                        "%(team)s: %(count)s open commitments not updated for %(quarters)s "
                        "quarters or more.",
                        "count",
                        team=team.name,
                        count=n,
                        quarters=config.stale_quarters,
                    ),
                    link=link,
                    team=team.pk,
                )
            )
        late = measures.late_count(lateness.get(team.pk, []))
        if late >= config.late_cycles:
            found.append(
                _signal(
                    "complacency",
                    "Complacency",
                    team.name,
                    phrases.ngettext_lazy(
                        "%(team)s: missed or late in %(late)s of the last %(count)s reviews.",
                        "%(team)s: missed or late in %(late)s of the last %(count)s reviews.",
                        "count",
                        team=team.name,
                        late=late,
                        count=len(recent),
                    ),
                    link=link,
                    team=team.pk,
                )
            )
    if position is not None:
        decisions = list(
            position.objectives.filter(previous__isnull=False).values_list(
                "refresh_decision", flat=True
            )
        )
        new = position.objectives.filter(previous__isnull=True).count()
        revised = sum(1 for d in decisions if d in ("revised", "retired"))
        if measures.refresh_without_discussion(decisions, revised_or_new=new + revised):
            found.append(
                _signal(
                    "complacency",
                    "Complacency",
                    _("Strategy FY%(year)s") % {"year": position.fiscal_year},
                    phrases.ngettext_lazy(
                        "The annual refresh for FY%(year)s kept all %(count)s objectives "
                        "unchanged and added none.",
                        "The annual refresh for FY%(year)s kept all %(count)s objectives "
                        "unchanged and added none.",
                        "count",
                        year=position.fiscal_year,
                        count=len(decisions),
                    ),
                    link=position.get_absolute_url(),
                )
            )
    return found


def _funding(config, company, position, objectives):
    if position is None:
        return [], None, [], {"base": company.base_currency, "unconverted": []}
    base = company.base_currency
    rates = dict(
        ExchangeRate.objects.filter(fiscal_year=position.fiscal_year).values_list(
            "currency", "rate"
        )
    )
    amounts = defaultdict(Decimal)
    people = defaultdict(int)
    unconverted = defaultdict(lambda: [0, Decimal(0)])  # currency → [count, total]
    # A retired team's commitments are not the company's allocation any more.
    live = Commitment.objects.exclude(status=Commitment.Status.DROPPED).filter(unit__is_active=True)
    for objective_id, lever, amount, commitment_currency in live.filter(
        objective__in=objectives
    ).values_list("objective_id", "lever", "amount", "currency"):
        if lever == Lever.FUNDING and amount is not None:
            converted = money.to_base(amount, commitment_currency, base=base, rates=rates)
            if converted is None:
                # Never dropped without a word: the page and a signal say what is not counted.
                unconverted[commitment_currency][0] += 1
                unconverted[commitment_currency][1] += amount
            else:
                amounts[objective_id] += converted
        if lever == Lever.PEOPLE:
            people[objective_id] += 1
    shares, index = measures.funding_shares(
        [
            (o.pk, o.title, o.priority_weight, float(amounts[o.pk]), people[o.pk])
            for o in objectives
        ],
        min_ratio=config.funding_min_ratio,
    )
    stray = (
        live.filter(lever=Lever.FUNDING)
        .exclude(objective__in=objectives)
        .exclude(status=Commitment.Status.DONE)
        # Money due in a fiscal year that has ended belongs to that year, not to this strategy.
        .filter(due_on__gte=position.starts_on)
        .exclude(objective__position__fiscal_year__gt=position.fiscal_year)
        .select_related("unit", "objective")
    )
    unfunded = [
        _signal(
            "funding",
            "Funding",
            c.unit.name,
            phrases.gettext_lazy(
                # Translators: team is a team's name, amount an amount of money, objective an
                # objective's title.
                "%(team)s: %(amount)s committed to “%(objective)s”, which is not an objective "
                "of the FY%(year)s strategy.",
                team=c.unit.name,
                amount=money.format_money(c.amount, c.currency),
                objective=c.objective.title,
                year=position.fiscal_year,
            ),
            link=c.unit.get_absolute_url(),
            team=c.unit_id,
        )
        for c in stray
    ]
    missing = [
        {
            "currency": currency,
            "count": count,
            "total": total,
            "fiscal_year": position.fiscal_year,
            "reason": unconverted_reason(
                count=count, currency=currency, total=total, fiscal_year=position.fiscal_year
            ),
        }
        for currency, (count, total) in sorted(unconverted.items())
    ]
    unfunded += [
        _signal(
            "funding",
            "Funding",
            _("Funding in %(currency)s") % {"currency": m["currency"]},
            unconverted_phrase(
                count=m["count"],
                currency=m["currency"],
                total=m["total"],
                fiscal_year=m["fiscal_year"],
            ),
            # The funding table explains it to everyone; executives follow on to the rates.
            link=reverse("sustain:signals") + "#funding-heading",
        )
        for m in missing
    ]
    for share in shares:
        share.amount = amounts[share.key]  # in the base currency, for the page
    return shares, index, unfunded, {"base": base, "unconverted": missing}


def unconverted_reason(*, count: int, currency: str, total, fiscal_year: int) -> str:
    """What the Signals page (and a funding signal) says of the amounts in a currency without
    a rate: the page makes it again from the numbers, in the reader's language."""
    return str(
        unconverted_phrase(count=count, currency=currency, total=total, fiscal_year=fiscal_year)
    )


def unconverted_phrase(*, count: int, currency: str, total, fiscal_year: int) -> Phrase:
    return phrases.ngettext_lazy(
        # Translators: currency is a currency code (USD); total an amount of money.
        "%(count)s amount in %(currency)s has no rate for FY%(year)s and is not counted "
        "(%(total)s).",
        "%(count)s amounts in %(currency)s have no rate for FY%(year)s and are not "
        "counted (%(total)s).",
        "count",
        count=count,
        currency=currency,
        year=fiscal_year,
        total=money.format_money(total, currency),
    )


def _promises(config, objectives, window, frozen) -> list[dict]:
    latest = window[-1] if window else None
    levers = defaultdict(set)
    teams = defaultdict(dict)
    for objective_id, lever, unit_id, unit_name in (
        Commitment.objects.exclude(status=Commitment.Status.DROPPED)
        .filter(objective__in=objectives, unit__is_active=True)
        .values_list("objective_id", "lever", "unit_id", "unit__name")
    ):
        levers[objective_id].add(lever)
        score = frozen[latest.pk].get((objective_id, unit_id)) if latest else None
        teams[objective_id][unit_name] = score
    results = []
    lever_labels = _lever_phrases()
    for o in objectives:
        check = measures.promise_backed(
            o.title,
            o.external_promise,
            committed_levers=levers[o.pk],
            team_scores=teams[o.pk],
            target=config.target_score,
            lever_labels=lever_labels,
        )
        results.append(
            _signal(
                "promise",
                "Promise not backed",
                o.title,
                check.phrase,
                link=o.get_absolute_url(),
                objective=o.pk,
                flagged=check.flagged,
            )
        )
    return results


# --- 8. Measured outcomes --------------------------------------------------------------------


def _last_ended_quarter(today) -> tuple[int, int]:
    """The latest (fiscal year, quarter) that has ended by `today`."""
    year = fiscal_year_of(today)
    ended = [q for q in range(1, 5) if quarter_end(year, q) < today]
    return (year, ended[-1]) if ended else (year - 1, 4)


def _quarters_back(last: tuple[int, int], count: int) -> list[tuple[int, int]]:
    """`count` quarters up to `last`, oldest first."""
    year, quarter = last
    found = []
    for _step in range(count):
        found.append((year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return found[::-1]


def _outcomes(config, company, objectives, teams, window, frozen, lineage, *, now, as_of):
    """Say-do gap, roller-coaster outcomes, promise at risk and not measuring (docs/signals.md,
    8): each measure of the objectives read quarter by quarter (a monthly one at each quarter's
    last month), its earlier years through the annual refreshes (Measure.previous) under their
    own plans. A fixed number of queries: the measures of the years looked at, their values and
    their plan points."""
    if not objectives:
        return []
    last = _last_ended_quarter(timezone.localdate(now))
    if as_of is not None and as_of.quarter:
        last = min(last, (as_of.fiscal_year, as_of.quarter))
    due = _quarters_back(last, config.window)
    said = [(c.fiscal_year, c.quarter) for c in window]
    years = {y for y, _ in due + said}
    rows = {
        m.pk: m
        for m in Measure.objects.filter(
            Q(objective__in=objectives)
            | Q(
                objective__position__fiscal_year__gte=min(years),
                objective__position__fiscal_year__lte=max(years),
            )
        )
        .annotate(fiscal_year=F("objective__position__fiscal_year"))
        .order_by("pk")
    }
    current = [m for m in rows.values() if m.objective_id in {o.pk for o in objectives}]
    if not current:
        return []
    values = {
        (measure_id, year, period): value
        for measure_id, year, period, value in MeasureActual.objects.filter(
            measure_id__in=list(rows), fiscal_year__in=years
        ).values_list("measure_id", "fiscal_year", "period", "value")
    }
    points = defaultdict(list)
    for point in MeasurePlanPoint.objects.filter(measure_id__in=list(rows)):
        points[point.measure_id].append(point)
    plans = {pk: outcomes.measure_plan(m, points=points[pk]) for pk, m in rows.items()}
    thresholds = {
        "tolerance_percent": company.plan_tolerance_percent,
        "off_track_percent": company.off_track_percent,
    }

    def of_year(measure: Measure) -> dict[int, Measure]:
        """Fiscal year → the measure of the lineage that belongs to it."""
        found, node = {}, measure
        while node is not None and node.fiscal_year not in found:
            found[node.fiscal_year] = node
            node = rows.get(node.previous_id)
        return found

    def series(
        measure: Measure, quarters: list[tuple[int, int]], *, covered: bool = False
    ) -> measures.MeasureSeries:
        """The measure's values and plan in `quarters`; `covered`: only the quarters of the
        years it has a measure for (none is due before it was set)."""
        members = of_year(measure)
        if covered:
            quarters = [(y, q) for y, q in quarters if y in members]
        actuals, planned, labels = [], [], []
        for year, quarter in quarters:
            member = members.get(year)
            number = quarter * 3 if member and member.periods_per_year == 12 else quarter
            value = values.get((member.pk, year, number)) if member else None
            plan = plans[member.pk].get(number) if member else None
            actuals.append(None if value is None else float(value))
            planned.append(None if plan is None else float(plan))
            frequency = member.frequency if member else Measure.Frequency.QUARTERLY
            labels.append(str(outcomes.Period(year, number, frequency)))
        return measures.MeasureSeries(
            name=measure.name,
            unit=measure.unit,
            higher_is_better=measure.higher_is_better,
            baseline=float(measure.baseline),
            target=float(measure.target),
            actuals=actuals,
            plans=planned,
            labels=labels,
        )

    by_objective = defaultdict(list)
    for m in current:
        by_objective[m.objective_id].append(m)
    # Objective → team → its fit on the objective in each quarter of the window.
    fits = defaultdict(lambda: defaultdict(lambda: [None] * len(window)))
    keys = {k: o.pk for o in objectives for k in lineage(o.pk)}
    for index, cycle in enumerate(window):
        for (objective_id, unit_id), score in frozen[cycle.pk].items():
            if unit_id is not None and objective_id in keys:
                fits[keys[objective_id]][unit_id][index] = score
    names = {t.pk: t.name for t in teams}
    found = []
    for o in objectives:
        if not by_objective[o.pk]:
            continue
        link = o.get_absolute_url()
        due_series = [(m, series(m, due, covered=True)) for m in by_objective[o.pk]]
        said_series = [series(m, said) for m in by_objective[o.pk]]
        for unit_id, scores in fits[o.pk].items():
            if unit_id not in names:
                continue
            gap = measures.say_do_gap(
                phrases.gettext_lazy(
                    # Translators: team is a team's name, objective an objective's title.
                    "%(team)s on “%(objective)s”",
                    team=names[unit_id],
                    objective=o.title,
                ),
                scores,
                said_series,
                target_score=config.target_score,
                quarters=config.say_do_quarters,
                **thresholds,
            )
            if gap.flagged:
                found.append(
                    _signal(
                        "say_do",
                        "Say-do gap",
                        names[unit_id],
                        gap.phrase.ending("."),
                        link=link,
                        team=unit_id,
                        objective=o.pk,
                    )
                )
        for m, s in due_series:
            team = m.reporting_team_id if m.reporting_team_id in names else None
            rode = measures.roller_coaster_outcomes(
                s,
                window=config.window,
                min_mean_change=config.roller_min_change,
                min_reversals=config.roller_min_reversals,
            )
            if rode.flagged:
                found.append(
                    _signal(
                        "roller_outcomes",
                        "Roller-coaster outcomes",
                        m.name,
                        rode.phrase,
                        link=link,
                        team=team,
                        objective=o.pk,
                    )
                )
            idle = measures.not_measuring(s, periods=config.window)
            if idle.flagged:
                found.append(
                    _signal(
                        "not_measuring",
                        "Not measuring",
                        m.name,
                        idle.phrase,
                        link=link,
                        team=team,
                        objective=o.pk,
                    )
                )
        # Only the measures customers feel judge the promise (Measure.customer_felt).
        risk = measures.promise_at_risk(
            o.title,
            o.external_promise,
            [s for m, s in due_series if m.customer_felt],
            **thresholds,
        )
        if risk.flagged:
            found.append(
                _signal(
                    "promise_risk",
                    "Promise at risk",
                    o.title,
                    risk.phrase,
                    link=link,
                    objective=o.pk,
                )
            )
    return found


def _acknowledgement(position, teams) -> list[dict]:
    if position is None:
        return []
    members = defaultdict(set)
    for unit_id, user_id in Membership.objects.filter(
        unit__in=teams, user__is_active=True
    ).values_list("unit_id", "user_id"):
        members[unit_id].add(user_id)
    read = set(Acknowledgement.objects.filter(position=position).values_list("user_id", flat=True))
    rows = []
    for t in teams:
        people = members[t.pk]
        share = measures.acknowledged_share(len(people & read), len(people))
        rows.append({"team": t, "members": len(people), "read": len(people & read), "share": share})
    return rows


def _cadence(config, cycles) -> list[dict]:
    rows = []
    counts = defaultdict(lambda: [0, 0])
    for cycle_id, state, submitted_at, due_on in AlignmentCheck.objects.filter(
        cycle__in=cycles
    ).values_list("cycle_id", "state", "submitted_at", "cycle__due_on"):
        counts[cycle_id][0] += 1
        if (
            state == AlignmentCheck.State.SUBMITTED
            and submitted_at
            and timezone.localdate(submitted_at) <= due_on
        ):
            counts[cycle_id][1] += 1
    for c in cycles:
        teams, on_time = counts[c.pk]
        kept = measures.cadence_kept(
            opens_on=c.opens_on,
            due_on=c.due_on,
            opened_on=timezone.localdate(c.opened_at) if c.opened_at else None,
            closed_on=timezone.localdate(c.closed_at) if c.closed_at else None,
            close_grace_days=config.close_grace_days,
            teams=teams,
            on_time=on_time,
        )
        rows.append({"cycle": c, "kept": kept})
    return rows


def for_team(result: dict, unit_id: int) -> list[dict]:
    return [s for s in result["signals"] if s["team"] == unit_id]


def for_objective(result: dict, objective_id: int) -> list[dict]:
    return [s for s in result["signals"] if s["objective"] == objective_id]


def frozen_summary(result: dict) -> dict:
    """What a closing cycle keeps of the board: JSON values only. The measured outcomes' first
    signals of each kind, counted, go on its page's agenda (`outcome_agenda`), read without the
    whole list."""
    return {
        "signals": result["signals"],
        "streaks": result["streaks"],
        "misallocation": result["misallocation"],
        "outcome_agenda": outcome_agenda(result["signals"]),
    }


# The measured outcomes on a review page's agenda: the first few signals of each of these kinds,
# in this order, counted; the rest are on the Signals page (and in the reports).
AGENDA_OUTCOMES = {
    "say_do": pgettext_lazy("agenda heading", "Say-do gaps"),
    "promise_risk": pgettext_lazy("agenda heading", "Promises at risk"),
    "roller_outcomes": pgettext_lazy("agenda heading", "Roller-coaster outcomes"),
    "not_measuring": pgettext_lazy("agenda heading", "Measures not measured"),
}
AGENDA_OUTCOMES_SHOWN = 5


def outcome_agenda(signals: list[dict]) -> list[dict]:
    """The agenda's groups of measured-outcome signals, from a board's signals in its order:
    kind, label, the first AGENDA_OUTCOMES_SHOWN and how many more; kinds without any left out."""
    groups = {kind: [] for kind in AGENDA_OUTCOMES}
    for signal in signals:
        if signal.get("kind") in groups:
            groups[signal["kind"]].append(signal)
    return [
        {
            "kind": kind,
            "label": str(AGENDA_OUTCOMES[kind]),  # JSON: a snapshot keeps it
            "signals": found[:AGENDA_OUTCOMES_SHOWN],
            "more": max(0, len(found) - AGENDA_OUTCOMES_SHOWN),
        }
        for kind, found in groups.items()
        if found
    ]


# --- The stored live board -------------------------------------------------------------------
#
# Pages read the live board from StoredBoard and StoredSignal rows; board_refresh writes them
# when the inputs changed (board_mark_stale, then a task after the commit), daily, and when a
# cycle closes. A closed cycle keeps its own frozen board in its snapshot, as before.

# The stored signals keep their kind's English label (webhooks send it); pages show the label
# of the kind in the reader's language (signal_label), the stored one for an unknown kind.
KINDS = [
    ("roller", pgettext_lazy("signal kind", "Roller-coaster")),
    ("complacency", pgettext_lazy("signal kind", "Complacency")),
    ("funding", pgettext_lazy("signal kind", "Funding")),
    ("promise", pgettext_lazy("signal kind", "Promise not backed")),
    ("say_do", pgettext_lazy("signal kind", "Say-do gap")),
    ("roller_outcomes", pgettext_lazy("signal kind", "Roller-coaster outcomes")),
    ("promise_risk", pgettext_lazy("signal kind", "Promise at risk")),
    ("not_measuring", pgettext_lazy("signal kind", "Not measuring")),
]
KIND_LABELS = dict(KINDS)


def signal_label(signal: dict) -> str:
    """A signal's label in the reader's language, from its kind (a frozen snapshot's too)."""
    label = KIND_LABELS.get(signal.get("kind"))
    return str(label) if label is not None else signal.get("label", "")


def signal_reason(signal: dict) -> str:
    """A signal's reason in the reader's language, from its phrase (a stored signal's or a
    frozen snapshot's); the text stored beside it when it has none (stored or frozen before
    phrases were kept)."""
    return phrases.text(signal.get("phrase"), signal.get("reason", ""))


SIGNAL_FIELDS = (
    "kind",
    "label",
    "subject",
    "reason",
    "phrase",
    "link",
    "team",
    "objective",
    "flagged",
)
HOME_STREAKS = 5

# Sent when a commit to one of the board's inputs marked the stored board stale (once until
# the next refresh claims it); reviews.tasks queues the refresh after the commit.
board_stale = Signal()


def board_mark_stale(*, now: datetime) -> bool:
    """Note that an input changed: one UPDATE, in the caller's transaction. True when this
    change is the first since the last refresh started (the caller's commit then queues one)."""
    won = StoredBoard.objects.filter(pk=1, stale_since__isnull=True).update(stale_since=now)
    if won:
        board_stale.send(sender=StoredBoard)
    return bool(won)


def board_refresh(*, now: datetime, if_stale: bool = False) -> int | None:
    """Compute the live board and store it; the number of signals stored, or None when there
    was nothing to do (`if_stale` and nothing changed, or a later refresh stores a newer one).

    Safe to run twice, and concurrently: each run claims a generation before it reads, and
    only a newer generation than the stored one is written.
    """
    # Reading the settings creates their row the first time, a save that would mark the new
    # board stale at once: create them before the claim.
    SignalSettings.load()
    StoredBoard.objects.get_or_create(pk=1)
    with transaction.atomic():
        row = StoredBoard.objects.select_for_update().get(pk=1)
        if if_stale and row.stale_since is None and row.computed_at is not None:
            return None
        # Cleared before reading: a change committed from now on marks the board stale again.
        row.stale_since = None
        row.generation += 1
        row.save(update_fields=["stale_since", "generation"])
        generation = row.generation
    # The stored reasons are in the site's language, whichever request or task computes them.
    with translation.override(settings.LANGUAGE_CODE):
        result = board(now=now)
    regions = _regions()
    rows = [
        StoredSignal(
            order=i,
            region=regions.get(s["team"]) if s["team"] else None,
            **{f: s[f] for f in SIGNAL_FIELDS},
        )
        for i, s in enumerate(result["signals"])
    ]
    with transaction.atomic():
        row = StoredBoard.objects.select_for_update().get(pk=1)
        if row.stored_generation >= generation:
            return None
        if row.computed_at is not None:  # the first board raises nothing: it has no before
            _signals_raised(result["signals"], generation=generation, now=now)
        StoredSignal.objects.all().delete()
        StoredSignal.objects.bulk_create(rows, batch_size=1000)
        row.computed_at = now
        row.stored_generation = generation
        row.signal_count = len(rows)
        row.top_streaks = result["streaks"][:HOME_STREAKS]
        row.summary = _summary(result, regions)
        row.save()
    return len(rows)


def _signal_key(kind: str, team: int | None, objective: int | None, subject: str) -> str:
    return hashlib.sha256(f"{kind}|{team}|{objective}|{subject}".encode()).hexdigest()[:24]


def _signals_raised(signals: list[dict], *, generation: int, now: datetime) -> list[int]:
    """The webhooks of the flagged signals of a new board that the stored one did not show
    (the same kind about the same team, objective and subject); one event per endpoint and
    signal each time it appears."""
    before = {
        _signal_key(*fields)
        for fields in StoredSignal.objects.filter(flagged=True).values_list(
            "kind", "team", "objective", "subject"
        )
    }
    raised = []
    for s in signals:
        key = _signal_key(s["kind"], s["team"], s["objective"], s["subject"])
        if s["flagged"] and key not in before:
            before.add(key)
            raised.append(
                (f"signal-{key}-g{generation}", None, lambda s=s: webhooks.signal_data(s))
            )
    if not raised:
        return []
    return notify.webhooks_emit_many(
        event=WebhookEndpoint.Event.SIGNAL_RAISED, now=now, items=raised
    )


def _regions() -> dict[int, int]:
    """Team → its region: the nearest unit of kind region above it, else its parent."""
    units = {
        pk: (parent, kind) for pk, parent, kind in Unit.objects.values_list("pk", "parent", "kind")
    }
    found = {}
    for pk, (parent, _kind) in units.items():
        node, seen = parent, {pk}
        while node is not None and node not in seen and units[node][1] != Unit.Kind.REGION:
            seen.add(node)
            node = units[node][0]
        found[pk] = node if node is not None and node not in seen else parent
    return found


def _summary(result: dict, regions: dict[int, int]) -> dict:
    """What the Signals page shows besides the list of signals, as JSON values."""
    position = result["position"]
    return {
        "fiscal_year": position.fiscal_year if position else None,
        "window": result["window"],
        "too_short": result["too_short"],
        "target_score": result["config"].target_score,
        "streaks": result["streaks"],
        "funding": [
            {
                "key": f.key,
                "title": f.title,
                "weight_share": f.weight_share,
                "funding_share": f.funding_share,
                "people_share": f.people_share,
                "amount": str(f.amount),
                "flagged": f.flagged,
            }
            for f in result["funding"]
        ],
        "misallocation": result["misallocation"],
        "funding_currency": {
            "base": result["funding_currency"]["base"],
            "unconverted": [
                {**m, "total": str(m["total"])} for m in result["funding_currency"]["unconverted"]
            ],
        },
        "promises": result["promises"],
        "acknowledgement": [
            {
                "team": a["team"].pk,
                "name": a["team"].name,
                "link": a["team"].get_absolute_url(),
                "region": regions.get(a["team"].pk),
                "members": a["members"],
                "read": a["read"],
                "share": a["share"],
            }
            for a in result["acknowledgement"]
        ],
        "cadence": [
            {
                "label": row["cycle"].label,
                # So that the page names the review in the reader's language.
                "kind": row["cycle"].kind,
                "fiscal_year": row["cycle"].fiscal_year,
                "quarter": row["cycle"].quarter,
                "opened_on_time": row["kept"].opened_on_time,
                "closed_on_time": row["kept"].closed_on_time,
                "submitted_on_time": row["kept"].submitted_on_time,
            }
            for row in result["cadence"]
        ],
    }


# What the pages read of the stored board's row (its summary deferred) and of a team's signals,
# compiled once (strategy.prepared): the home and team pages read them on every request.
BOARD_FIELDS = tuple(f.attname for f in StoredBoard._meta.concrete_fields if f.name != "summary")


@prepared
def _board_row(*, pk):
    return StoredBoard.objects.filter(pk=pk).values_list(*BOARD_FIELDS)


@prepared
def _team_signals(*, teams):
    return StoredSignal.objects.filter(team__in=teams).values_list(*SIGNAL_FIELDS)


# As many of an objective's signals as its page lists: one per team at most of some kinds, so
# as many as the company has teams; the rest are counted, and listed on the Signals page.
OBJECTIVE_SIGNALS_SHOWN = 10


@prepared
def _objective_signals(*, objective):
    return (
        StoredSignal.objects.filter(objective=objective)
        .annotate(total=Window(Count("pk")))
        .values_list(*SIGNAL_FIELDS, "total")[:OBJECTIVE_SIGNALS_SHOWN]
    )


def stored_objective_signals(objective: int) -> tuple[list[dict], int]:
    """The stored live board's first OBJECTIVE_SIGNALS_SHOWN signals about an objective (id),
    as stored_signals() has them, and how many there are in all: one query."""
    rows = _objective_signals(objective=objective)
    signals = [dict(zip(SIGNAL_FIELDS, row[:-1], strict=True)) for row in rows]
    return signals, rows[0][-1] if rows else 0


def stored_board(*, now: datetime, summary: bool = False) -> StoredBoard:
    """The stored live board, as it was last computed (`is_stale` says whether inputs changed
    since). Computed here only when none was ever stored: pages never wait for a refresh."""
    if not summary:
        found = as_models(StoredBoard, BOARD_FIELDS, _board_row(pk=1))
        if found and found[0].computed_at is not None:
            return found[0]
    rows = StoredBoard.objects.all() if summary else StoredBoard.objects.defer("summary")
    row = rows.filter(pk=1).first()
    if row is None or row.computed_at is None:
        board_refresh(now=now)
        row = rows.get(pk=1)
    return row


def stored_promises(*, now: datetime, fiscal_year: int) -> list[dict] | None:
    """The stored board's promises (backed inside or not, each objective of the current
    strategy: board()'s "promises") when it judged the strategy of `fiscal_year`, else None:
    two keys of its summary, read inside the database (not the whole summary). Computed here
    only when none was ever stored."""
    rows = StoredBoard.objects.filter(pk=1, computed_at__isnull=False).values(
        year=F("summary__fiscal_year"), promises=F("summary__promises")
    )
    row = rows.first()
    if row is None:
        stored_board(now=now)
        row = rows.first()
    if row is None or row["year"] != fiscal_year:
        return None
    return row["promises"] or []


def stored_signals():
    """The stored live board's signals, as board() dicts (`values()` of their fields)."""
    return StoredSignal.objects.values(*SIGNAL_FIELDS)


def stored_team_signals(teams) -> list[dict]:
    """The stored live board's signals about these teams (ids), as stored_signals() has them."""
    return [dict(zip(SIGNAL_FIELDS, row, strict=True)) for row in _team_signals(teams=teams)]


# As many as a closed cycle's page reads of its frozen ones; the rest are counted, and listed on
# the Signals page.
CYCLE_SIGNALS_SHOWN = standings.FROZEN_SIGNALS_SHOWN


def cycle_signals(cycle: ReviewCycle, results: dict | None = None) -> tuple[list[dict], int]:
    """A review page's first signals and how many more there are: as they stood when the
    cycle closed (`results`, reviews.standings.summary(cycle), has the first ones and their
    count, read with the rest of its snapshot's figures), or as the stored board has them for
    a running one."""
    found = cycle_board(cycle, results)
    return found["signals"], found["more"]


def cycle_board(cycle: ReviewCycle, results: dict | None = None) -> dict:
    """What a review page shows of the signals: the first CYCLE_SIGNALS_SHOWN (`signals`) and
    how many more (`more`), and the measured outcomes' groups of its agenda (`outcomes`, as
    outcome_agenda gives them). A closed cycle's as its snapshot froze them (`results`,
    reviews.standings.summary(cycle), has them with its figures); a running one's from the
    stored board, in one query."""
    shown = CYCLE_SIGNALS_SHOWN
    frozen = results or {}
    if cycle.is_closed and frozen.get("signals_total") is not None:
        first = frozen["signals"][:shown]
        agenda = frozen.get("outcome_agenda")
        if agenda is None:  # closed before the agenda was frozen: from the first signals
            agenda = outcome_agenda(frozen["signals"])
        more = max(0, frozen["signals_total"] - len(first))
        # The heading in the reader's language, from the kind; the frozen words otherwise.
        agenda = [
            {**group, "label": AGENDA_OUTCOMES.get(group.get("kind"), group.get("label", ""))}
            for group in agenda
        ]
        return {"signals": first, "more": more, "outcomes": agenda}
    rows = _cycle_rows(shown)
    if not rows or rows[0]["board_count"] is None:
        stored_board(now=timezone.now())  # computed here only if none was ever stored
        rows = _cycle_rows(shown)
    total = rows[0]["board_count"] if rows else 0
    first, groups = [], {kind: [] for kind in AGENDA_OUTCOMES}
    counts = {}
    for row in rows:
        signal = {f: row[f] for f in SIGNAL_FIELDS}
        if row["order"] < shown:
            first.append(signal)
        if row["kind"] in groups and row["kind_rank"] <= AGENDA_OUTCOMES_SHOWN:
            groups[row["kind"]].append(signal)
            counts[row["kind"]] = row["kind_count"]
    agenda = [
        {
            "kind": kind,
            "label": AGENDA_OUTCOMES[kind],
            "signals": found,
            "more": counts[kind] - len(found),
        }
        for kind, found in groups.items()
        if found
    ]
    return {"signals": first, "more": max(0, (total or 0) - len(first)), "outcomes": agenda}


def _cycle_rows(shown: int) -> list[dict]:
    """The stored board's first `shown` signals and the first AGENDA_OUTCOMES_SHOWN of each
    measured-outcome kind, in its order, each with its rank and count among its kind's and the
    board's count (None while no board is stored): one query. The stored signals are numbered
    from 0 in the board's order (board_refresh), so the first `shown` are those below it."""
    with connection.cursor() as cursor:
        cursor.execute(_CYCLE_SIGNALS_SQL, {"shown": shown, "per_kind": AGENDA_OUTCOMES_SHOWN})
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    kept = []
    for row in rows:  # every kind's first few came: the agenda keeps the outcome kinds'
        if row["order"] < shown or row["kind"] in AGENDA_OUTCOMES:
            row["flagged"] = bool(row["flagged"])  # SQLite has no booleans
            if isinstance(row["phrase"], str):  # a JSON column reads as its text
                row["phrase"] = json.loads(row["phrase"])
            kept.append(row)
    return kept


# The stored signals below `shown` in the board's order and the first `per_kind` of each kind,
# each with its rank and count among its kind's, and the stored board's count (NULL until one
# is computed). Written out: the ORM took longer to build it than the database takes to run it.
_CYCLE_SIGNALS_SQL = """
SELECT t.* FROM (
  SELECT s.kind, s.label, s.subject, s.reason, s.phrase, s.link, s.team, s.objective, s.flagged,
    s."order" AS "order",
    ROW_NUMBER() OVER (PARTITION BY s.kind ORDER BY s."order") AS kind_rank,
    COUNT(*) OVER (PARTITION BY s.kind) AS kind_count,
    (SELECT b.signal_count FROM reviews_storedboard b
      WHERE b.id = 1 AND b.computed_at IS NOT NULL) AS board_count
  FROM reviews_storedsignal s
) t
WHERE t."order" < %(shown)s OR t.kind_rank <= %(per_kind)s
ORDER BY t."order"
"""


CSV_COLUMNS = [
    gettext_lazy("Section"),
    gettext_lazy("Signal"),
    gettext_lazy("Subject"),
    gettext_lazy("Detail"),
    gettext_lazy("Region"),
    gettext_lazy("Link"),
]


def csv_rows(stored: StoredBoard) -> Iterator[list]:
    """The Signals page in full, for its download: the flagged signals, the streaks and every
    team's reading of the strategy (the page shows a bounded part of each)."""
    summary = stored.summary
    names = dict(Unit.objects.values_list("pk", "name"))
    yield [str(column) for column in CSV_COLUMNS]  # in the reader's language
    flagged = pgettext("signals CSV section", "Flagged")
    for s in StoredSignal.objects.values_list(
        "kind", "label", "subject", "reason", "phrase", "region", "link"
    ).iterator(chunk_size=2000):
        kind, label, subject, reason, phrase, region, link = s
        label = signal_label({"kind": kind, "label": label})
        reason = phrases.text(phrase, reason)  # in the reader's language too
        yield [flagged, label, subject, reason, names.get(region, ""), link]
    target = summary.get("target_score")
    for s in summary.get("streaks", []):
        yield [
            pgettext("signals CSV section", "Sustained"),
            _("Streak"),
            s["subject"],
            ngettext(
                "%(count)s quarter in a row at or above %(target)s",
                "%(count)s quarters in a row at or above %(target)s",
                s["quarters"],
            )
            % {"count": s["quarters"], "target": f"{target:.0f}"},
            "",
            s["link"],
        ]
    for a in summary.get("acknowledgement", []):
        detail = (
            # Translators: how many of a team's members read the strategy, and the share.
            _("%(read)s of %(members)s (%(share)s%%)")
            % {"read": a["read"], "members": a["members"], "share": f"{a['share']:.0f}"}
            if a["share"] is not None
            else _("no members")
        )
        yield [
            pgettext("signals CSV section", "Communicated inside"),
            _("Read the strategy"),
            a["name"],
            detail,
            names.get(a["region"], ""),
            a["link"],
        ]
