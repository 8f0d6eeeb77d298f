"""Measured outcomes: the periods a measure reports in, its planned path, the values it
reached and how they compare with the plan (docs/outcomes.md).

The arithmetic (periods, the straight line, the status) is pure: numbers and dates in, numbers
out. The services below it read and write the rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Func, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from strategy.models import (
    CompanySettings,
    Measure,
    MeasureActual,
    MeasurePlanPoint,
    Unit,
    fiscal_start_month,
)
from strategy.prepared import prepared

CENT = Decimal("0.01")
COMMENT_MAX_LENGTH = 500  # a value's comment, wherever it is typed
LINEAGE_LIMIT = 50  # years of annual refreshes followed back; a guard against a cycle


class OutcomeStatus(models.TextChoices):
    ON_PLAN = "on_plan", gettext_lazy("On plan")
    BEHIND = "behind", gettext_lazy("Behind plan")
    OFF_TRACK = "off_track", gettext_lazy("Off track")


# --- Periods ---------------------------------------------------------------------------------


def periods_per_year(frequency: str) -> int:
    return 12 if frequency == Measure.Frequency.MONTHLY else 4


@dataclass(frozen=True, order=True)
class Period:
    """A quarter (1-4) or month (1-12) of a fiscal year, as the measure's frequency says.
    Months are the fiscal year's: month 1 is the month the fiscal year starts in."""

    fiscal_year: int
    number: int
    frequency: str = field(default=Measure.Frequency.QUARTERLY, compare=False)

    def __post_init__(self) -> None:
        count = periods_per_year(self.frequency)
        if not 1 <= self.number <= count:
            if self.kind == "month":
                message = _("Month %(number)s does not exist: 1 to %(count)s.")
            else:
                message = _("Quarter %(number)s does not exist: 1 to %(count)s.")
            raise ValidationError(message % {"number": self.number, "count": count})

    @property
    def kind(self) -> str:
        return "month" if self.frequency == Measure.Frequency.MONTHLY else "quarter"

    @property
    def code(self) -> str:
        """Q2 or M7: how the import and the pages name it within its year."""
        return f"{self.kind[0].upper()}{self.number}"

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} {self.code}"

    def bounds(self, start_month: int) -> tuple[date, date]:
        """The first and last day of the period, fiscal years starting in `start_month`."""
        months = 1 if self.kind == "month" else 3
        first = _add_months(date(self.fiscal_year, start_month, 1), (self.number - 1) * months)
        after = _add_months(first, months)
        return first, date.fromordinal(after.toordinal() - 1)

    def previous(self) -> Period:
        if self.number > 1:
            return Period(self.fiscal_year, self.number - 1, self.frequency)
        return Period(self.fiscal_year - 1, periods_per_year(self.frequency), self.frequency)

    @classmethod
    def parse(cls, text: str, *, fiscal_year: int, frequency: str) -> Period:
        """ "Q2", "q2" or "2" for a quarterly measure; "M7" or "7" for a monthly one."""
        raw = str(text).strip().upper()
        letter = "M" if frequency == Measure.Frequency.MONTHLY else "Q"
        count = periods_per_year(frequency)
        digits = raw[1:] if raw[:1] == letter else raw
        if digits.endswith(".0"):  # a spreadsheet's number
            digits = digits[:-2]
        if not digits.isdigit() or not 1 <= int(digits) <= count:
            if letter == "Q":
                message = _(
                    "period “%(period)s” does not exist: this measure is reported quarterly, "
                    "Q1 to Q4"
                )
            else:
                message = _(
                    "period “%(period)s” does not exist: this measure is reported monthly, "
                    "M1 to M12"
                )
            raise ValidationError(message % {"period": text})
        return cls(fiscal_year, int(digits), frequency)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def company_calendar(company: CompanySettings, *, now=None) -> tuple[int, date]:
    """The month the company's fiscal years start in and today (the day of `now`) in its time
    zone, from its settings row (already read): FISCAL_YEAR_START_MONTH and TIME_ZONE where it
    sets none."""
    return company.start_month, timezone.localdate(now or timezone.now(), company.tzinfo)


def last_due_period(
    *, fiscal_year: int, frequency: str, today: date, start_month: int
) -> Period | None:
    """The latest period of the fiscal year that has ended by `today` (its value is due), or
    None while the first one runs."""
    due = None
    for number in range(1, periods_per_year(frequency) + 1):
        period = Period(fiscal_year, number, frequency)
        if period.bounds(start_month)[1] >= today:
            break
        due = period
    return due


# --- The plan and the status (pure) ----------------------------------------------------------


def straight_line(baseline: Decimal, target: Decimal, *, number: int, count: int) -> Decimal:
    """The planned value at the end of period `number` of `count`: baseline at the start of the
    year, target at its end, in equal steps."""
    return (baseline + (target - baseline) * number / count).quantize(CENT, ROUND_HALF_UP)


def shortfall(actual: Decimal, planned: Decimal, *, higher_is_better: bool) -> Decimal:
    """How far the actual is on the wrong side of the plan (0 or less: at or better than it)."""
    return planned - actual if higher_is_better else actual - planned


def status_for(
    actual: Decimal | None,
    planned: Decimal | None,
    *,
    baseline: Decimal,
    target: Decimal,
    higher_is_better: bool,
    tolerance_percent: float,
    off_track_percent: float,
) -> str | None:
    """On plan, behind or off track; None without a value or a plan.

    The shortfall is measured against the change the year plans (|target - baseline|): on plan
    within `tolerance_percent` of it, off track beyond `off_track_percent`, behind between. A
    measure planned to hold its level (target = baseline) is measured against the target's
    size, and one planned to hold 0 is off track at any miss.
    """
    if actual is None or planned is None:
        return None
    missed = shortfall(Decimal(actual), Decimal(planned), higher_is_better=higher_is_better)
    if missed <= 0:
        return OutcomeStatus.ON_PLAN
    scale = abs(Decimal(target) - Decimal(baseline)) or abs(Decimal(target))
    if not scale:
        return OutcomeStatus.OFF_TRACK
    percent = 100 * missed / scale
    if percent <= Decimal(str(tolerance_percent)):
        return OutcomeStatus.ON_PLAN
    if percent <= Decimal(str(off_track_percent)):
        return OutcomeStatus.BEHIND
    return OutcomeStatus.OFF_TRACK


def parse_value(raw) -> Decimal:
    """A value as typed or read from a spreadsheet: a number with a point for decimals (a
    trailing % or spaces are ignored), at most two decimals."""
    if isinstance(raw, bool):
        raise ValidationError(_("value “%(value)s” is not a number") % {"value": raw})
    if isinstance(raw, int | float | Decimal):
        text = str(raw)
    else:
        text = str(raw or "").strip().removesuffix("%").strip().replace(" ", "")
    if not text:
        raise ValidationError(_("value is empty"))
    if "," in text:
        raise ValidationError(
            _(
                "value “%(value)s” is not a number: use a point for decimals and no thousands "
                "separator"
            )
            % {"value": raw}
        )
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("value “%(value)s” is not a number") % {"value": raw}) from None
    if not value.is_finite():
        raise ValidationError(_("value “%(value)s” is not a number") % {"value": raw})
    if value != value.quantize(CENT, ROUND_HALF_UP):
        raise ValidationError(_("value “%(value)s” has more than two decimals") % {"value": raw})
    value = value.quantize(CENT)
    if abs(value) >= Decimal("1e12"):
        raise ValidationError(_("value “%(value)s” is too large") % {"value": raw})
    return value


# --- Reading a measure's path ----------------------------------------------------------------


def measure_fiscal_year(measure: Measure) -> int:
    """Its position's year; the `fiscal_year` it was read with, where it was."""
    year = measure.__dict__.get("fiscal_year")
    return year if year is not None else measure.objective.position.fiscal_year


def measure_lineage(measure: Measure) -> list[Measure]:
    """The measure and the ones it continues through the annual refreshes, oldest first: one
    query, however many earlier years."""
    return measures_lineages([measure])[measure.pk]


def measure_plan(measure: Measure, *, points=None) -> dict[int, Decimal]:
    """Period number → planned value for every period of the measure's fiscal year: the plan
    points where there are some, the straight line from baseline to target elsewhere. Pass
    the measure's plan `points` when they have been read."""
    count = measure.periods_per_year
    points = measure.plan_points.all() if points is None else points
    points = {p.period: p.value for p in points if p.period <= count}
    return {
        number: points.get(number)
        if number in points
        else straight_line(measure.baseline, measure.target, number=number, count=count)
        for number in range(1, count + 1)
    }


def measure_planned_value(measure: Measure, period: Period) -> Decimal | None:
    if period.fiscal_year != measure_fiscal_year(measure):
        return None  # another year's plan is its own measure's (see measure_lineage)
    return measure_plan(measure).get(period.number)


def measure_actual(measure: Measure, period: Period) -> MeasureActual | None:
    return MeasureActual.objects.filter(
        measure=measure, fiscal_year=period.fiscal_year, period=period.number
    ).first()


def measure_status(
    measure: Measure, period: Period, *, company: CompanySettings | None = None
) -> str | None:
    """On plan, behind or off track in `period`, with the company's thresholds; None when the
    period has no value."""
    company = company or CompanySettings.read()
    actual = measure_actual(measure, period)
    return status_for(
        actual.value if actual else None,
        measure_planned_value(measure, period),
        baseline=measure.baseline,
        target=measure.target,
        higher_is_better=measure.higher_is_better,
        tolerance_percent=company.plan_tolerance_percent,
        off_track_percent=company.off_track_percent,
    )


def measure_last_due_period(measure: Measure, *, today: date) -> Period | None:
    return last_due_period(
        fiscal_year=measure_fiscal_year(measure),
        frequency=measure.frequency,
        today=today,
        start_month=fiscal_start_month(),
    )


def measure_is_stale(measure: Measure, *, today: date) -> bool:
    """The last period whose value is due (it has ended) has none."""
    due = measure_last_due_period(measure, today=today)
    return due is not None and measure_actual(measure, due) is None


@dataclass(frozen=True)
class SeriesPoint:
    period: Period
    actual: Decimal | None
    planned: Decimal | None
    measure_id: int  # the lineage's measure of that year
    comment: str = ""  # the value's, where it has one


def measure_series(measure: Measure) -> list[SeriesPoint]:
    """Every period of the measure and of those it continues (annual refreshes), oldest
    first, with the value reached (None where there is none) and the value planned: each year
    under its own measure's plan and frequency."""
    return measures_series([measure])[measure.pk]


class _LineageIds(Func):
    """The ids of the measures `ids` and of all those they continue, however far back: one
    recursive subquery (for `pk__in`), its depth bounded by `limit` (a refresh cannot make a
    cycle; a guard all the same). The ids (as a JSON list) and the bound are parameters,
    compiled into the constant templates below."""

    output_field = models.IntegerField()
    chain = (
        "WITH RECURSIVE chain(id, previous_id, depth) AS ("
        "SELECT m.id, m.previous_id, 1 FROM alignment_measure m WHERE m.%(of)s IN (%(members)s) "
        "UNION SELECT m.id, m.previous_id, c.depth + 1 "
        "FROM alignment_measure m JOIN chain c ON m.id = c.previous_id WHERE c.depth < %(limit)s"
        ") SELECT id FROM chain"
    )
    ids_templates = {
        "postgresql": "SELECT (value)::bigint FROM JSONB_ARRAY_ELEMENTS_TEXT(%(ids)s::jsonb)",
        "sqlite": "SELECT value FROM JSON_EACH(%(ids)s)",
    }

    def __init__(self, ids: set[int], limit: int, *, of_objectives: bool = False):
        super().__init__(Value(json.dumps(sorted(ids))), Value(limit))
        # `ids` are the measures', or their objectives' (every measure of those objectives).
        self.of = "objective_id" if of_objectives else "id"

    def as_sql(self, compiler, connection, **extra):
        ids, ids_params = compiler.compile(self.source_expressions[0])
        limit, limit_params = compiler.compile(self.source_expressions[1])
        members = self.ids_templates[connection.vendor] % {"ids": ids}
        sql = self.chain % {"members": members, "limit": limit, "of": self.of}
        return sql, (*ids_params, *limit_params)


def measures_lineages(measures: list[Measure]) -> dict[int, list[Measure]]:
    """measure_lineage of many measures at once: at most one query, however many measures and
    years (each `measure.objective.position` should be read with it; last year's measure read
    with it, `select_related("previous__objective__position")`, makes two years cost none)."""
    chains = {m.pk: [m] for m in measures}
    known = {m.pk: m for m in measures}
    for measure in measures:
        if measure.previous_id and Measure.previous.is_cached(measure):
            known.setdefault(measure.previous_id, measure.previous)
    missing = {m.previous_id for m in known.values() if m.previous_id} - known.keys()
    if missing:
        earlier = Measure.objects.filter(pk__in=_LineageIds(missing, LINEAGE_LIMIT))
        for found in earlier.select_related("objective__position"):
            known.setdefault(found.pk, found)
    for chain in chains.values():
        seen = {chain[0].pk}
        while len(chain) < LINEAGE_LIMIT:
            previous = chain[-1].previous_id
            if previous not in known or previous in seen:
                break
            chain.append(known[previous])
            seen.add(previous)
    return {pk: list(reversed(chain)) for pk, chain in chains.items()}


def recorded_values(*, as_of: datetime | None = None):
    """The values recorded (MeasureActual rows), or as they stood at `as_of` (from their
    history: a closed review's reports show what was known when it closed)."""
    return MeasureActual.history.as_of(as_of) if as_of is not None else MeasureActual.objects


def measures_series(
    measures: list[Measure], *, as_of: datetime | None = None
) -> dict[int, list[SeriesPoint]]:
    """measure_series of many measures, in one query whatever their number and however many
    years they continue: measure pk → its series; the values as they stood at `as_of` if
    given (recorded_values)."""
    if not measures:
        return {}
    lineage = _LineageIds({m.pk for m in measures}, LINEAGE_LIMIT)
    nothing = {
        "year": Cast(Value(None), models.IntegerField()),
        "number": Cast(Value(None), models.IntegerField()),
        "decimal": Cast(Value(None), models.DecimalField(max_digits=14, decimal_places=2)),
        "text": Cast(Value(None), models.CharField()),
    }
    # The values, the plan points and every measure of the lineages (the earlier years': the
    # year, plan and frequency their values are read under) in one query: a page's queries are
    # counted. Typed NULLs: PostgreSQL matches a union's columns pair by pair.
    actuals = (
        recorded_values(as_of=as_of)
        .filter(measure_id__in=lineage)
        .values_list(
            Value(_ACTUAL),
            "measure_id",
            "fiscal_year",
            "period",
            "value",
            nothing["number"],
            nothing["decimal"],
            Cast("comment", models.CharField()),
        )
    )
    plans = MeasurePlanPoint.objects.filter(measure_id__in=lineage).values_list(
        Value(_PLAN),
        "measure_id",
        nothing["year"],
        "period",
        "value",
        nothing["number"],
        nothing["decimal"],
        nothing["text"],
    )
    years = Measure.objects.filter(pk__in=lineage).values_list(
        Value(_MEASURE),
        "pk",
        "objective__position__fiscal_year",
        nothing["number"],
        "baseline",
        "previous_id",
        "target",
        "frequency",
    )
    known = {m.pk: m for m in measures}
    values, points = {}, defaultdict(list)
    rows = actuals.order_by().union(plans.order_by(), years.order_by(), all=True)
    for kind, pk, year, number, value, previous, target, text in rows:
        if kind == _ACTUAL:
            values[(pk, year, number)] = (value, text or "")
        elif kind == _PLAN:
            points[pk].append(MeasurePlanPoint(measure_id=pk, period=number, value=value))
        elif pk not in known:  # an earlier year's measure: what its values are read under
            earlier = Measure(
                pk=pk, previous_id=previous, baseline=value, target=target, frequency=text
            )
            earlier.fiscal_year = year
            known[pk] = earlier
    return _series_of(measures, known, values, points)


def _series_of(measures, known: dict, values: dict, points: dict) -> dict[int, list[SeriesPoint]]:
    """measures_series from what it read: every measure of the lineages by pk (`known`), the
    values by (measure pk, year, period) as (value, comment), and the plan points by pk."""
    result = {}
    for measure in measures:
        chain, seen = [measure], {measure.pk}
        while len(chain) < LINEAGE_LIMIT:
            previous = chain[-1].previous_id
            if previous not in known or previous in seen:
                break
            chain.append(known[previous])
            seen.add(previous)
        series = []
        for year_measure in reversed(chain):
            year = measure_fiscal_year(year_measure)
            plan = measure_plan(year_measure, points=points[year_measure.pk])
            for number, planned in plan.items():
                period = Period(year, number, year_measure.frequency)
                actual, comment = values.get((year_measure.pk, year, number), (None, ""))
                series.append(SeriesPoint(period, actual, planned, year_measure.pk, comment))
        result[measure.pk] = series
    return result


_ACTUAL, _PLAN, _MEASURE = "actual", "plan", "measure"


class _Status:
    status: str | None

    @property
    def status_label(self) -> str:
        return OutcomeStatus(self.status).label if self.status else ""

    @property
    def is_at_risk(self) -> bool:
        return self.status in (OutcomeStatus.BEHIND, OutcomeStatus.OFF_TRACK)


@dataclass
class MeasureOutcome(_Status):
    """What the strategy pages show of a measure: its year's values beside the plan, the
    status of the latest period with a value, and whether the last due period has one."""

    measure: Measure
    series: list[SeriesPoint]  # the lineage's, oldest first (the chart)
    year: list[SeriesPoint]  # the measure's own fiscal year (the table)
    last_due: Period | None
    latest: SeriesPoint | None  # the latest period of the year with a value
    status: str | None
    is_stale: bool


def _latest_status(measure: Measure, latest: SeriesPoint | None, company) -> str | None:
    """The status of the measure's latest value of its year, with the company's thresholds."""
    if latest is None:
        return None
    return status_for(
        latest.actual,
        latest.planned,
        baseline=measure.baseline,
        target=measure.target,
        higher_is_better=measure.higher_is_better,
        tolerance_percent=company.plan_tolerance_percent,
        off_track_percent=company.off_track_percent,
    )


def measures_outcomes(
    measures: list[Measure],
    *,
    company: CompanySettings,
    today: date,
    start_month: int,
    as_of: datetime | None = None,
) -> list[MeasureOutcome]:
    """MeasureOutcome of each measure, in the order given, in a few queries whatever their
    number (each `measure.objective.position` should be read with it); with `as_of`, the
    values as they stood then (`today` should be that day)."""
    all_series = measures_series(measures, as_of=as_of)
    return [
        _outcome(measure, all_series[measure.pk], company, today=today, start_month=start_month)
        for measure in measures
    ]


def _outcome(measure: Measure, series, company, *, today: date, start_month: int):
    fiscal_year = measure_fiscal_year(measure)
    year = [p for p in series if p.measure_id == measure.pk]
    last_due = last_due_period(
        fiscal_year=fiscal_year,
        frequency=measure.frequency,
        today=today,
        start_month=start_month,
    )
    reached = [p for p in year if p.actual is not None]
    latest = reached[-1] if reached else None
    status = _latest_status(measure, latest, company)
    due_value = next((p.actual for p in year if p.period == last_due), None)
    is_stale = last_due is not None and due_value is None
    return MeasureOutcome(measure, series, year, last_due, latest, status, is_stale)


# Every column of objectives_outcomes's one read, with its type: each part of its union gives
# the ones it has and a typed NULL for the others (PostgreSQL matches a union's columns pair by
# pair).
_READ_COLUMNS = {
    "kind": models.CharField(),
    "pk": models.IntegerField(),
    "year": models.IntegerField(),
    "number": models.IntegerField(),
    "value": models.DecimalField(max_digits=14, decimal_places=2),
    "previous": models.IntegerField(),
    "target": models.DecimalField(max_digits=14, decimal_places=2),
    "text": models.CharField(),
    "name": models.CharField(),
    "unit": models.CharField(),
    "direction": models.CharField(),
    "objective": models.IntegerField(),
    "team": models.IntegerField(),
    "team_name": models.CharField(),
}
_COMPANY = "company"


def _read_part(queryset, kind: str, **columns):
    return queryset.order_by().values_list(
        Value(kind),
        *(
            Cast(columns[name], output) if name in columns else Cast(Value(None), output)
            for name, output in list(_READ_COLUMNS.items())[1:]
        ),
    )


def objectives_outcomes(
    objective_ids: list[int],
    *,
    now: datetime,
    as_of: datetime | None = None,
    earlier_years: bool = True,
) -> tuple[CompanySettings, list[MeasureOutcome]]:
    """The company settings, and MeasureOutcome of every measure of these objectives (in the
    order of `objective_ids`, then as made), judged with the company's thresholds and calendar
    on the day of `now`; with `as_of`, the values as they stood then (recorded_values), judged
    on that day. In one query, whatever the number of measures and years: a page that shows
    them beside much else (the report's print view) has its queries counted. Each measure has
    its reporting team (its name) and its year (`fiscal_year`), not its objective. Without
    `earlier_years`, each series is the measure's own year alone (what a table of this year's
    periods needs; a chart shows last years' too): no lineage to follow, fewer rows."""
    if earlier_years:
        lineage = _LineageIds(set(objective_ids), LINEAGE_LIMIT, of_objectives=True)
    else:
        lineage = Measure.objects.filter(objective_id__in=objective_ids).values("pk")
    company_part = _read_part(
        CompanySettings.objects.filter(pk=1),
        _COMPANY,
        year="fiscal_year_start_month",
        number="plan_tolerance_percent",
        previous="off_track_percent",
        text="name",
        unit="time_zone",
    )
    actuals = _read_part(
        recorded_values(as_of=as_of).filter(measure_id__in=lineage),
        _ACTUAL,
        pk="measure_id",
        year="fiscal_year",
        number="period",
        value="value",
        text="comment",
    )
    plans = _read_part(
        MeasurePlanPoint.objects.filter(measure_id__in=lineage),
        _PLAN,
        pk="measure_id",
        number="period",
        value="value",
    )
    years = _read_part(
        Measure.objects.filter(pk__in=lineage),
        _MEASURE,
        pk="pk",
        year="objective__position__fiscal_year",
        number="customer_felt",  # 1 or 0: a measure's row has no period
        value="baseline",
        previous="previous_id",
        target="target",
        text="frequency",
        name="name",
        unit="unit",
        direction="direction",
        objective="objective_id",
        team="reporting_team_id",
        team_name="reporting_team__name",
    )
    company = CompanySettings(pk=1, **CompanySettings.defaults())
    wanted = {pk: n for n, pk in enumerate(objective_ids)}
    own, known, values, points = [], {}, {}, defaultdict(list)
    rows = company_part.union(actuals, plans, years, all=True)
    for kind, pk, year, number, value, previous, target, text, *more in rows:
        name, unit, direction, objective, team, team_name = more
        # Two decimals, as the fields have them: SQLite's union keeps no scale.
        value = None if value is None else Decimal(value).quantize(CENT)
        target = None if target is None else Decimal(target).quantize(CENT)
        if kind == _COMPANY:
            company.fiscal_year_start_month, company.time_zone = year, unit
            company.plan_tolerance_percent, company.off_track_percent = number, previous
            company.name = text
        elif kind == _ACTUAL:
            values[(pk, year, number)] = (value, text or "")
        elif kind == _PLAN:
            points[pk].append(MeasurePlanPoint(measure_id=pk, period=number, value=value))
        else:
            measure = Measure(
                pk=pk,
                objective_id=objective,
                name=name,
                unit=unit,
                baseline=value,
                target=target,
                direction=direction,
                frequency=text,
                previous_id=previous,
                reporting_team_id=team,
                customer_felt=bool(number),
            )
            measure.fiscal_year = year
            if team is not None:
                measure.reporting_team = Unit(pk=team, name=team_name)
            known[pk] = measure
            if objective in wanted:
                own.append(measure)
    own.sort(key=lambda m: (wanted[m.objective_id], m.pk))
    start_month, today = company_calendar(company, now=as_of or now)
    all_series = _series_of(own, known, values, points)
    return company, [
        _outcome(m, all_series[m.pk], company, today=today, start_month=start_month) for m in own
    ]


# --- The latest status alone ------------------------------------------------------------------


@dataclass
class MeasureStatus(_Status):
    """A measure's status in the latest period of its year with a value, without its values
    and plan (MeasureOutcome has them): what the position page shows of a promise at risk."""

    measure: Measure
    latest: SeriesPoint | None
    status: str | None


@prepared
def _year_values_read(*, measures, fiscal_year):
    actuals = (
        MeasureActual.objects.filter(measure_id__in=measures, fiscal_year=fiscal_year)
        .annotate(kind=models.Value("actual", output_field=models.CharField()))
        .order_by()
        .values_list("measure_id", "period", "value", "kind")
    )
    plans = (
        MeasurePlanPoint.objects.filter(measure_id__in=measures)
        .annotate(kind=models.Value("plan", output_field=models.CharField()))
        .order_by()
        .values_list("measure_id", "period", "value", "kind")
    )
    return actuals.union(plans, all=True)


def _year_values(measure_ids: list[int], *, fiscal_year: int):
    """The values of `fiscal_year` (measure pk, period → value) and the plan points (measure pk
    → points) of these measures: one prepared read (strategy.prepared), as a page's queries
    are counted and this one would cost more to build than to run."""
    values, points = {}, {pk: [] for pk in measure_ids}
    if not points:
        return values, points
    for m, p, v, kind in _year_values_read(measures=sorted(points), fiscal_year=fiscal_year):
        if kind == "actual":
            values[(m, p)] = v
        else:
            points[m].append(MeasurePlanPoint(measure_id=m, period=p, value=v))
    return values, points


def measures_statuses(
    measures: list[Measure], *, company: CompanySettings, fiscal_year: int
) -> list[MeasureStatus]:
    """MeasureStatus of each measure of `fiscal_year`'s position, in the order given, in one
    query whatever their number: the status MeasureOutcome has, from this year's values alone
    (not last years' nor the whole plan)."""
    values, points = _year_values([m.pk for m in measures], fiscal_year=fiscal_year)
    found = []
    for measure in measures:
        count = measure.periods_per_year
        reached = [n for n in range(1, count + 1) if (measure.pk, n) in values]
        latest = None
        if reached:
            number = reached[-1]
            planned = next((p.value for p in points[measure.pk] if p.period == number), None)
            if planned is None:
                planned = straight_line(
                    measure.baseline, measure.target, number=number, count=count
                )
            latest = SeriesPoint(
                Period(fiscal_year, number, measure.frequency),
                values[(measure.pk, number)],
                planned,
                measure.pk,
            )
        found.append(MeasureStatus(measure, latest, _latest_status(measure, latest, company)))
    return found


# --- Writing values --------------------------------------------------------------------------


def measure_entry_refusal(measure: Measure) -> str:
    """Why no value of the measure may be recorded now ("" when one may): its strategy is a
    draft, or its objective is retired. The one text of that rule, for every way in (the
    objective and team pages, the import, the API); who may record it is the rules' (roles).
    Read with `objective__position`."""
    objective = measure.objective
    position = objective.position
    if not position.is_published:
        return _("The FY%(year)s strategy is a draft: its measures take values once published.") % {
            "year": position.fiscal_year
        }
    if objective.is_retired:
        return _("Objective “%(title)s” is retired: its measures take no more values.") % {
            "title": objective.title
        }
    return ""


def _measure_of_year(measure: Measure, fiscal_year: int) -> Measure:
    """The measure of the lineage that belongs to `fiscal_year`: a value of last year entered
    after the refresh goes to last year's measure, under last year's plan."""
    if measure_fiscal_year(measure) == fiscal_year:
        return measure
    for earlier in measure_lineage(measure):
        if measure_fiscal_year(earlier) == fiscal_year:
            return earlier
    raise ValidationError(
        _("“%(measure)s” is measured in FY%(year)s, not FY%(other_year)s.")
        % {"measure": measure.name, "year": measure_fiscal_year(measure), "other_year": fiscal_year}
    )


@transaction.atomic
def measure_actual_record(
    *,
    measure: Measure,
    period: Period,
    value,
    by,
    source: str = MeasureActual.Source.ENTERED,
    comment: str | None = None,
) -> MeasureActual:
    """Record the value of a measure in a period, or correct it. Recording what is already
    there changes nothing (no new history row); a correction keeps the old value in the
    history. `comment` None keeps the comment the value has. Checks the period and the value,
    not who may enter them (roles: alignment.enter_measure_actuals)."""
    value = parse_value(value)
    measure = _measure_of_year(measure, period.fiscal_year)
    if period.frequency != measure.frequency:
        if measure.frequency == Measure.Frequency.MONTHLY:
            message = _("“%(measure)s” is reported monthly: give a month.")
        else:
            message = _("“%(measure)s” is reported quarterly: give a quarter.")
        raise ValidationError(message % {"measure": measure.name})
    actual = (
        MeasureActual.objects.select_for_update()
        .filter(measure=measure, fiscal_year=period.fiscal_year, period=period.number)
        .first()
    )
    if comment is None:
        comment = actual.comment if actual is not None else ""
    comment = comment.strip()
    if actual is not None and actual.value == value and actual.comment == comment:
        return actual
    if actual is None:
        actual = MeasureActual(
            measure=measure, fiscal_year=period.fiscal_year, period=period.number
        )
    actual.value, actual.comment, actual.source = value, comment, source
    actual.entered_by, actual.entered_at = by, timezone.now()
    actual._history_user = by
    actual.save()
    return actual


@transaction.atomic
def measure_plan_set(*, measure: Measure, values: dict[int, object], by) -> None:
    """Plan a value per period: {period number: value}; None (or "") for a period returns it
    to the straight line."""
    count = measure.periods_per_year
    existing = {p.period: p for p in measure.plan_points.select_for_update()}
    for number, raw in values.items():
        if not 1 <= int(number) <= count:
            raise ValidationError(
                _("Period %(number)s does not exist: 1 to %(count)s.")
                % {"number": number, "count": count}
            )
        point = existing.get(int(number))
        if raw in (None, ""):
            if point is not None:
                point._history_user = by
                point.delete()
            continue
        value = parse_value(raw)
        if point is None:
            point = MeasurePlanPoint(measure=measure, period=int(number))
        elif point.value == value:
            continue
        point.value = value
        point._history_user = by
        point.save()
