"""A large, realistic organisation built in bulk, for benchmarks and query-count tests.

`build()` writes rows with bulk_create (plus their history rows, as the pages show history)
instead of calling a service per row, and uses the real services only where they are cheap
and do the work in bulk anyway: opening a cycle creates its checks and items, closing it
freezes the snapshot and the FrozenScore rows. 500 teams × 12 objectives × 8 quarters take a
few seconds on SQLite.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from notifications.models import Delivery, Notification, WebhookEndpoint
from reports.models import ReportDownload, ReportFile
from reviews import services
from reviews.announce import Kind
from reviews.models import (
    LEVERS,
    NOT_APPLICABLE,
    Action,
    AlignmentCheck,
    CheckItem,
    CheckReopening,
    ExecutiveScore,
    FrozenScore,
    LiveScore,
    ReviewCycle,
    quarter_end,
)
from strategy.models import (
    Acknowledgement,
    Commitment,
    Competitor,
    CustomerPriority,
    Lever,
    Measure,
    MeasureActual,
    MeasurePlanPoint,
    Membership,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Theme,
    Unit,
    fiscal_year_of,
    fiscal_year_start,
)
from strategy.roles import DEPARTMENT_HEAD, EXECUTIVE
from sustain.models import StoredBoard, StoredSignal

PASSWORD = "bench-pass-2026"  # noqa: S105  (benchmark data only)
USERNAME_PREFIX = "bench-"
BATCH = 2000
DEPARTMENTS = [
    "Logistics",
    "Finance",
    "HR",
    "Purchasing",
    "Operations",
    "Inside sales",
    "Outside sales",
    "Service desk",
    "Quality",
    "Marketing",
]
OBJECTIVE_TITLES = [
    "Deliver on the promised date",
    "Keep the right inventory in stock",
    "Skilled people where customers meet us",
    "Reward the behaviours that serve customers",
    "Fund the service promise",
    "Answer every call within the hour",
    "Fair prices, no surprises",
    "Fewer returns, fewer defects",
    "One named contact per account",
    "Know our products",
    "Plan with our customers",
    "Fix it right the first time",
]
SCORE_FIELDS = [f"score_{lever}" for lever in LEVERS]
EVIDENCE = "Checked in the quarterly report; see the team's dashboard."
BLOCKERS = "Waiting for budget approval."
SUBMITTED_SHARE_OPEN = 0.7  # the open cycle: the rest is split between draft and not started
SUBMITTED_SHARE_CLOSED = 0.95  # a few teams always miss the deadline


@dataclass
class Dataset:
    """What was built, with the rows the benchmark and the tests request pages for."""

    executive: object
    head: object  # head of `team`
    team: Unit  # its check in the open cycle is a draft, so its head can edit it
    position: StrategicPosition
    objective: Objective
    cycles: list[ReviewCycle] = field(default_factory=list)  # oldest first; the last is open
    check: AlignmentCheck | None = None  # `team`'s check in the open cycle

    @property
    def open_cycle(self) -> ReviewCycle:
        return self.cycles[-1]


def _quarters(today: date, count: int) -> list[tuple[int, int]]:
    """The `count` quarters up to the one that ended last, oldest first."""
    fy = fiscal_year_of(today)
    start = fiscal_year_start(fy)
    months = (today.year - start.year) * 12 + today.month - start.month
    year, quarter = fy, months // 3 + 1
    result = []
    for _ in range(count):
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        result.append((year, quarter))
    return list(reversed(result))


def _at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@transaction.atomic
def build(
    teams: int, objectives: int = 12, quarters: int = 8, *, seed: int = 2026, today=None
) -> Dataset:
    """Build an organisation of `teams` teams into an empty database (see `clear()`)."""
    if teams < 1 or objectives < 1 or quarters < 2:
        raise ValueError("build at least 1 team, 1 objective and 2 quarters")
    rng = random.Random(seed)
    today = today or timezone.localdate()
    User = get_user_model()
    groups = dict(Group.objects.values_list("name", "pk"))
    password = make_password(PASSWORD)  # hashing once: a hash per user would take minutes

    # People: an executive who owns the objectives, and a head per team.
    executive = User.objects.create(
        username=f"{USERNAME_PREFIX}exec",
        first_name="Erika",
        last_name="Exec",
        email="bench-exec@example.com",
        password=password,
    )
    heads = User.objects.bulk_create(
        [
            User(
                username=f"{USERNAME_PREFIX}head-{i:04d}",
                first_name=f"Head{i}",
                last_name=DEPARTMENTS[i % len(DEPARTMENTS)],
                email=f"bench-head-{i:04d}@example.com",
                password=password,
            )
            for i in range(teams)
        ],
        batch_size=BATCH,
    )
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=executive.pk, group_id=groups[EXECUTIVE])]
        + [User.groups.through(user_id=h.pk, group_id=groups[DEPARTMENT_HEAD]) for h in heads],
        batch_size=BATCH,
    )

    # The strategy.
    position_year = fiscal_year_of(today)
    hist = {"default_user": executive, "batch_size": BATCH}
    (position,) = bulk_create_with_history(
        [
            StrategicPosition(
                fiscal_year=position_year,
                statement="We win on service: the right product, on the promised date.",
                status=StrategicPosition.Status.PUBLISHED,
                is_current=True,
                published_at=_at(fiscal_year_start(position_year)),
                published_by=executive,
            )
        ],
        StrategicPosition,
        **hist,
    )
    bulk_create_with_history(
        [
            PositioningTheme(position=position, theme=Theme.SERVICE, weight=60),
            PositioningTheme(position=position, theme=Theme.QUALITY, weight=25),
            PositioningTheme(position=position, theme=Theme.PRICE, weight=15),
        ],
        PositioningTheme,
        **hist,
    )
    (priority,) = bulk_create_with_history(
        [CustomerPriority(position=position, rank=1, title="On-time delivery as promised")],
        CustomerPriority,
        **hist,
    )
    bulk_create_with_history(
        [
            Competitor(
                position=position,
                name="PartsDirect Online",
                positioning="Lowest list prices, web only, no advice.",
                our_difference="We keep the delivery date we confirm.",
            )
        ],
        Competitor,
        **hist,
    )
    themes = [Theme.SERVICE, Theme.QUALITY, Theme.PRICE]
    objective_rows = bulk_create_with_history(
        [
            Objective(
                position=position,
                title=f"{OBJECTIVE_TITLES[j % len(OBJECTIVE_TITLES)]} ({j + 1})",
                owner=executive,
                priority_weight=rng.randint(5, 40),
                customer_priority=priority,
                theme=themes[j % len(themes)],
                internal_message="What staff must understand about this objective.",
                external_promise="What customers are told about this objective.",
                order=j,
            )
            for j in range(objectives)
        ],
        Objective,
        **hist,
    )

    # The organisation: a company with `teams` functional teams, each with its head.
    (company,) = bulk_create_with_history(
        [
            Unit(
                code="bench-company",
                name="Bench Distribution",
                level=Unit.Level.BUSINESS,
                kind=Unit.Kind.COMPANY,
            )
        ],
        Unit,
        **hist,
    )
    units = bulk_create_with_history(
        [
            Unit(
                code=f"team-{i:04d}",
                name=f"{DEPARTMENTS[i % len(DEPARTMENTS)]} {i:04d}",
                level=Unit.Level.FUNCTIONAL,
                kind=Unit.Kind.TEAM,
                parent=company,
            )
            for i in range(teams)
        ],
        Unit,
        **hist,
    )
    bulk_create_with_history(
        [
            Membership(unit=u, user=h, role=Membership.Role.HEAD)
            for u, h in zip(units, heads, strict=True)
        ],
        Membership,
        **hist,
    )

    _measures(rng, position, objective_rows, units, _quarters(today, quarters), hist)

    # Commitments: each team commits to 4-6 objectives, on mixed levers.
    statuses = [
        Commitment.Status.PLANNED,
        Commitment.Status.ON_TRACK,
        Commitment.Status.ON_TRACK,
        Commitment.Status.AT_RISK,
        Commitment.Status.DONE,
    ]
    commitments = []
    for unit in units:
        chosen = rng.sample(objective_rows, min(len(objective_rows), rng.randint(4, 6)))
        spread = (1, 1, 1, 2)
        if unit is units[0]:
            # The team whose pages the tests count: more objectives, more commitments.
            chosen, spread = objective_rows[:6], (1,)
        for objective in chosen:
            for lever in rng.sample(LEVERS, rng.choice(spread)):
                is_funding = lever == Lever.FUNDING
                commitments.append(
                    Commitment(
                        unit=unit,
                        objective=objective,
                        lever=lever,
                        statement=f"{unit.name} acts on {objective.title.lower()} ({lever}).",
                        target="Measured every quarter",
                        due_on=today + timedelta(days=rng.randint(-60, 240)),
                        status=rng.choice(statuses),
                        amount=Decimal(rng.randint(1, 50) * 1000) if is_funding else None,
                        currency="EUR" if is_funding else "",
                    )
                )
    bulk_create_with_history(commitments, Commitment, **hist)

    # The quarters: every one is opened through the service; all but the last are closed.
    team, head = units[0], heads[0]
    head_of = Membership.objects.filter(unit=OuterRef("unit"), role=Membership.Role.HEAD)
    tendency = {u.pk: rng.uniform(1.6, 4.6) for u in units}
    cycles = []
    for index, (year, quarter) in enumerate(_quarters(today, quarters)):
        is_last = index == quarters - 1
        opens_on = quarter_end(year, quarter) + timedelta(days=1)
        cycle = ReviewCycle.objects.create(
            fiscal_year=year,
            quarter=quarter,
            position=position,
            opens_on=opens_on,
            due_on=opens_on + timedelta(days=14),
        )
        services.cycle_open(cycle=cycle, now=_at(opens_on))
        share = SUBMITTED_SHARE_OPEN if is_last else SUBMITTED_SHARE_CLOSED
        states = {}
        for unit in units:
            roll = rng.random()
            if roll < share:
                states[unit.pk] = AlignmentCheck.State.SUBMITTED
            elif roll < share + (1 - share) / 2:
                states[unit.pk] = AlignmentCheck.State.DRAFT
            else:
                states[unit.pk] = AlignmentCheck.State.NOT_STARTED
        if is_last:
            states[team.pk] = AlignmentCheck.State.DRAFT
        _fill_scores(rng, cycle, states, tendency, drift=0.15 * index)
        for state in (AlignmentCheck.State.SUBMITTED, AlignmentCheck.State.DRAFT):
            chosen = [pk for pk, s in states.items() if s == state]
            updates = {
                "state": state,
                "version": 1,
                "updated_at": _at(opens_on + timedelta(days=5)),
                "updated_by_id": Subquery(head_of.values("user_id")[:1]),
            }
            if state == AlignmentCheck.State.SUBMITTED:
                updates |= {
                    "submitted_at": _at(opens_on + timedelta(days=rng.randint(3, 20))),
                    "submitted_by_id": Subquery(head_of.values("user_id")[:1]),
                }
            cycle.checks.filter(unit_id__in=chosen).update(**updates)
        _executive_scores(rng, cycle, executive, states)
        _actions(rng, cycle, executive, objective_rows, units, is_closed=not is_last)
        if not is_last:
            services.cycle_close(cycle=cycle, by=executive, now=_at(cycle.due_on + timedelta(7)))
        else:  # checks were submitted in bulk, not through check_save
            services.live_scores_rebuild(cycle=cycle)
        cycle.refresh_from_db()
        cycles.append(cycle)

    _deliveries(rng, cycles[-1], heads)
    check = AlignmentCheck.objects.get(cycle=cycles[-1], unit=team)
    CheckReopening.objects.create(
        alignment_check=check, reason="Scores need evidence.", by=executive
    )
    # Two saves by its head through the service, so the check's page has a score history.
    for n, day in enumerate((6, 7), start=1):
        services.check_save(
            check=check,
            version=check.version,
            items={
                item.pk: services.ItemInput(
                    scores=item.lever_scores() | {"people": n + 2},
                    evidence=f"Evidence, save {n}.",
                    blockers="",
                )
                for item in check.items.all()
            },
            statuses={},
            by=head,
            now=_at(cycles[-1].opens_on + timedelta(days=day)),
        )
        check.refresh_from_db()
    return Dataset(
        executive=executive,
        head=head,
        team=team,
        position=position,
        objective=objective_rows[0],
        cycles=cycles,
        check=check,
    )


def _deliveries(rng, cycle: ReviewCycle, heads: list) -> None:
    """The open review's reminders, as the operations page lists them: each head reminded a
    week before it is due (one in twenty failed), and the webhook request of its opening to a
    receiver since switched off."""
    opened, reminded = _at(cycle.opens_on), _at(cycle.due_on - timedelta(days=7))
    endpoint = WebhookEndpoint.objects.create(
        name="Bench receiver",
        url="https://hooks.example.com/bench",
        secret="bench",  # noqa: S106  (benchmark data only; never signs a request)
        events=[WebhookEndpoint.Event.CYCLE_OPENED],
        is_active=False,  # what the timed pages do tells it nothing
    )
    rows = [
        Delivery(
            cycle=cycle,
            endpoint=endpoint,
            kind=WebhookEndpoint.Event.CYCLE_OPENED,
            step=f"cycle-{cycle.pk}",
            payload={},
            state=Delivery.State.SENT,
            attempts=1,
            created_at=opened,
            sent_at=opened,
        )
    ]
    for head in heads:
        failed = rng.random() < 0.05
        rows.append(
            Delivery(
                cycle=cycle,
                recipient=head,
                kind=Kind.CHECK_REMINDER,
                step="before-7",
                state=Delivery.State.FAILED if failed else Delivery.State.SENT,
                attempts=3 if failed else 1,
                last_error="550 5.1.1 mailbox unavailable" if failed else "",
                created_at=reminded,
                sent_at=None if failed else reminded,
            )
        )
    Delivery.objects.bulk_create(rows, batch_size=BATCH)


# Three measures per objective: (name, unit, baseline, target, direction, frequency).
MEASURES = [
    ("On-time share", "%", "80", "95", Measure.Direction.HIGHER, Measure.Frequency.QUARTERLY),
    ("Days late", "days", "10", "4", Measure.Direction.LOWER, Measure.Frequency.QUARTERLY),
    ("Orders complete", "%", "85", "97", Measure.Direction.HIGHER, Measure.Frequency.MONTHLY),
]


def _measures(rng, position, objectives, units, quarters, hist) -> None:
    """Each objective's three measures, reported by a team, with a value in every period of
    the `quarters` (some behind plan, some riding up and down): an earlier year's belong to
    that year's measure, which the next year's continues (Measure.previous), under that year's
    position (published, not current)."""
    # Every earlier year the quarters span (8 quarters span three fiscal years unless they
    # start with one), and always the one before this: a measure's past at every size.
    this_year = position.fiscal_year
    years = sorted({y for y, _ in quarters if y < this_year} | {this_year - 1})
    chains = {}  # (objective index, measure index) → the measure of each year, oldest first
    for year in years:
        (earlier,) = bulk_create_with_history(
            [
                StrategicPosition(
                    fiscal_year=year,
                    statement=f"FY{year} strategy.",
                    status=StrategicPosition.Status.PUBLISHED,
                    published_at=_at(fiscal_year_start(year)),
                    published_by=hist["default_user"],
                )
            ],
            StrategicPosition,
            **hist,
        )
        copies = bulk_create_with_history(
            [
                Objective(
                    position=earlier,
                    title=o.title,
                    owner=o.owner,
                    priority_weight=o.priority_weight,
                    theme=o.theme,
                    order=o.order,
                )
                for o in objectives
            ],
            Objective,
            **hist,
        )
        for j, o in enumerate(copies):
            for k in range(len(MEASURES)):
                chains.setdefault((j, k), []).append((year, o))
    for j, o in enumerate(objectives):
        for k in range(len(MEASURES)):
            chains.setdefault((j, k), []).append((position.fiscal_year, o))
    actuals = []
    previous = {}
    for year in [*years, position.fiscal_year]:
        rows = []
        for (j, k), chain in sorted(chains.items()):
            objective = dict(chain)[year]
            name, unit, baseline, target, direction, frequency = MEASURES[k]
            rows.append(
                Measure(
                    objective=objective,
                    name=name,
                    unit=unit,
                    baseline=Decimal(baseline),
                    target=Decimal(target),
                    direction=direction,
                    frequency=frequency,
                    reporting_team=_reporting_team(
                        units, (j, k), this_year=year == position.fiscal_year
                    ),
                    previous=previous.get((j, k)),
                )
            )
        created = bulk_create_with_history(rows, Measure, **hist)
        for key, measure in zip(sorted(chains), created, strict=True):
            previous[key] = measure
            base, goal = float(measure.baseline), float(measure.target)
            for y, q in quarters:
                if y != year:
                    continue
                months = (q * 3 - 2, q * 3 - 1, q * 3) if frequency_of(measure) else (q,)
                # Entered in the quarter's review, before it closed: a closed review's reports
                # read the values as they stood then (their history).
                entered = min(_at(quarter_end(y, q) + timedelta(days=3)), timezone.now())
                for period in months:
                    share = period / (12 if frequency_of(measure) else 4)
                    planned = base + (goal - base) * share
                    value = planned - (goal - base) * rng.uniform(-0.2, 0.6)
                    actual = MeasureActual(
                        measure=measure,
                        fiscal_year=y,
                        period=period,
                        value=Decimal(f"{value:.2f}"),
                        entered_by=hist["default_user"],
                        entered_at=entered,
                    )
                    actual._history_date = entered  # read by bulk_create_with_history
                    actuals.append(actual)
    bulk_create_with_history(actuals, MeasureActual, **hist)


def frequency_of(measure: Measure) -> bool:
    """True for a monthly measure."""
    return measure.frequency == Measure.Frequency.MONTHLY


def _reporting_team(units: list[Unit], key: tuple[int, int], *, this_year: bool) -> Unit | None:
    """The team that reports measure `key` (objective index, measure index): dealt round the
    teams; this year, the bench head's team (the first) reports exactly the first objective's
    first quarterly and first monthly measures, so its check page shows one of each beside
    the scores, and the measures the deal gives it besides go to the second team."""
    j, k = key
    team = units[(j * len(MEASURES) + k) % len(units)]
    if not this_year:
        return team
    frequencies = [m[5] for m in MEASURES]
    reported = {
        (0, frequencies.index(Measure.Frequency.QUARTERLY)),
        (0, frequencies.index(Measure.Frequency.MONTHLY)),
    }
    if key in reported:
        return units[0]
    if team is units[0]:
        return units[1] if len(units) > 1 else None
    return team


def _fill_scores(rng, cycle, states, tendency, *, drift: float) -> None:
    """Lever scores around each team's tendency: complete when submitted, partial in draft."""
    checks = dict(cycle.checks.values_list("pk", "unit_id"))
    items = CheckItem.objects.filter(alignment_check__cycle=cycle).values_list(
        "pk", "alignment_check_id"
    )
    rows = []
    for pk, check_id in items:
        unit_id = checks[check_id]
        state = states[unit_id]
        if state == AlignmentCheck.State.NOT_STARTED:
            continue
        centre = min(4.8, tendency[unit_id] + drift)
        scores = []
        for _ in SCORE_FIELDS:
            if state == AlignmentCheck.State.DRAFT and rng.random() < 0.5:
                scores.append(None)
            elif rng.random() < 0.08:
                scores.append(NOT_APPLICABLE)
            else:
                scores.append(max(1, min(5, round(rng.gauss(centre, 0.8)))))
        evidence = EVIDENCE if rng.random() < 0.5 else ""
        blockers = BLOCKERS if rng.random() < 0.1 else ""
        rows.append((*scores, evidence, blockers, pk))
    _update_rows(CheckItem, [*SCORE_FIELDS, "evidence", "blockers"], rows)


def _update_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """UPDATE … WHERE pk = %s for each row (its field values, then its pk), in one executemany.

    QuerySet.bulk_update builds a CASE expression per field and row, which takes about 20 s
    for the 20,000 items of 500 teams × 8 quarters; executemany takes a fraction of a second.
    """
    qn = connection.ops.quote_name
    columns = ", ".join(f"{qn(model._meta.get_field(f).column)} = %s" for f in fields)
    sql = f"UPDATE {qn(model._meta.db_table)} SET {columns} WHERE {qn(model._meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _executive_scores(rng, cycle, executive, states) -> None:
    submitted = [pk for pk, state in states.items() if state == AlignmentCheck.State.SUBMITTED]
    pairs = list(
        CheckItem.objects.filter(
            alignment_check__cycle=cycle, alignment_check__unit_id__in=submitted[:20]
        ).values_list("alignment_check__unit_id", "objective_id")
    )
    ExecutiveScore.objects.bulk_create(
        [
            ExecutiveScore(
                cycle=cycle, unit_id=u, objective_id=o, score=rng.randint(1, 5), by=executive
            )
            for u, o in rng.sample(pairs, min(len(pairs), 10))
        ]
    )


def _actions(rng, cycle, executive, objectives, units, *, is_closed: bool) -> None:
    Action.objects.bulk_create(
        [
            Action(
                cycle=cycle,
                kind=rng.choice(Action.Kind.values),
                title=f"Follow up on {cycle.label}, point {n + 1}",
                objective=rng.choice(objectives),
                owner=rng.choice(units),
                due_on=cycle.due_on + timedelta(days=60),
                created_by=executive,
                completed_at=_at(cycle.due_on + timedelta(days=30))
                if is_closed and rng.random() < 0.6
                else None,
            )
            for n in range(3)
        ]
    )


@transaction.atomic
def clear() -> None:
    """Delete what `build()` creates (and any other rows of those models), history included."""
    User = get_user_model()
    models = [
        StoredSignal,
        StoredBoard,
        Notification,
        Delivery,
        WebhookEndpoint,
        ReportDownload,
        ReportFile,
        Acknowledgement,
        FrozenScore,
        LiveScore,
        ExecutiveScore,
        Action,
        CheckReopening,
        CheckItem,
        AlignmentCheck,
        ReviewCycle,
        Commitment,
        Membership,
        MeasureActual,
        MeasurePlanPoint,
        Measure,
        Objective,
        Competitor,
        CustomerPriority,
        PositioningTheme,
        StrategicPosition,
    ]
    for model in models:
        model._default_manager.all()._raw_delete(model._default_manager.db)
    # Parents are protected by their children: delete the leaves level by level.
    while Unit.objects.exists():
        Unit.objects.filter(children__isnull=True)._raw_delete(Unit.objects.db)
    for model in [*models, Unit]:
        history = getattr(model, "history", None)
        if history is not None:
            history.all()._raw_delete(history.db)
    users = User.objects.filter(username__startswith=USERNAME_PREFIX)
    # The pages a benchmark requests may record who changed a settings row: that history goes.
    for model in apps.get_models():
        if model.__name__.startswith("Historical") and hasattr(model, "history_user"):
            model._default_manager.filter(history_user__in=users)._raw_delete(users.db)
    User.groups.through.objects.filter(user__in=users).delete()
    users._raw_delete(users.db)
