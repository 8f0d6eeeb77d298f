"""Test data builders, in one place."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from strategy import services
from strategy.models import (
    Commitment,
    Competitor,
    CustomerPriority,
    Lever,
    Measure,
    Membership,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Theme,
    Unit,
    company_tzinfo,
    fiscal_start_month,
)
from strategy.roles import EXECUTIVE

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()


def make_executive(**fields):
    return UserFactory(groups=[EXECUTIVE], **fields)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"Team {n}")
    code = factory.LazyAttribute(lambda u: u.name.lower().replace(" ", "-"))
    level = Unit.Level.FUNCTIONAL
    kind = Unit.Kind.TEAM


def make_head(unit: Unit, **fields):
    user = UserFactory(**fields)
    services.membership_set(unit=unit, user=user, role=Membership.Role.HEAD)
    return user


def make_member(unit: Unit, **fields):
    user = UserFactory(**fields)
    services.membership_set(unit=unit, user=user, role=Membership.Role.MEMBER)
    return user


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategicPosition

    fiscal_year = factory.Sequence(lambda n: 2026 + n)
    statement = "We win on service: the right product, on the promised date, with advice."


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PositioningTheme

    position = factory.SubFactory(PositionFactory)
    theme = Theme.SERVICE
    weight = 100


class PriorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerPriority

    position = factory.SubFactory(PositionFactory)
    rank = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Priority {n}")


class CompetitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competitor

    position = factory.SubFactory(PositionFactory)
    name = factory.Sequence(lambda n: f"Rival {n}")
    positioning = "Cheapest in town"
    our_difference = "We deliver on the promised date"


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    position = factory.SubFactory(PositionFactory)
    title = factory.Sequence(lambda n: f"Objective {n}")
    owner = factory.SubFactory(UserFactory)
    priority_weight = 20
    theme = Theme.SERVICE
    internal_message = "Every order ships on the date we promised."
    external_promise = "Your order arrives on the date we promise."
    order = factory.Sequence(lambda n: n)


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    objective = factory.SubFactory(ObjectiveFactory)
    name = factory.Sequence(lambda n: f"Measure {n}")
    unit = "%"
    baseline = Decimal("80")
    target = Decimal("95")


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    unit = factory.SubFactory(UnitFactory)
    objective = factory.SubFactory(ObjectiveFactory)
    lever = Lever.PEOPLE
    statement = "Train every picker on the new scanners."
    target = "100% trained"
    due_on = factory.LazyAttribute(lambda c: date(c.objective.position.fiscal_year, 6, 30))


def make_published_position(*, fiscal_year: int = 2026, by=None, objectives: int = 2):
    """A published, current position with a theme, a priority and some objectives."""
    position = PositionFactory(fiscal_year=fiscal_year)
    ThemeFactory(position=position, theme=Theme.SERVICE, weight=70)
    ThemeFactory(position=position, theme=Theme.PRICE, weight=30)
    priority = PriorityFactory(position=position, rank=1, title="On-time delivery")
    owner = by or make_executive()
    for _ in range(objectives):
        ObjectiveFactory(position=position, owner=owner, customer_priority=priority)
    return services.position_publish(position=position, by=owner, switch_now=True)


def make_draft_position(*, fiscal_year: int = 2027, owner=None, objectives: int = 1):
    """A draft that could be published as it stands: one theme at 100%, a priority, objectives."""
    position = PositionFactory(fiscal_year=fiscal_year)
    ThemeFactory(position=position, theme=Theme.SERVICE, weight=100)
    priority = PriorityFactory(position=position, rank=1, title="Advice at the counter")
    owner = owner or make_executive()
    for _ in range(objectives):
        ObjectiveFactory(position=position, owner=owner, customer_priority=priority)
    return position


# --- POST payloads, as the browser sends them -----------------------------------------------


def formset_data(prefix: str, rows: list[dict], *, initial: int = 0) -> dict:
    """An inline formset's management form and rows; the first `initial` rows are existing."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = "" if value is None else str(value)
    return data


def position_data(
    *,
    fiscal_year: int = 2027,
    statement: str = "We win on advice: experts at every counter.",
    themes=(("service", 70), ("price", 30)),
    priorities=((1, "On-time delivery"), (2, "Expert advice")),
    competitors=(("BudgetCo", "Lowest price, slow delivery", "We deliver on time"),),
) -> dict:
    """The new-position form with its three formsets."""
    return {
        "fiscal_year": str(fiscal_year),
        "statement": statement,
        **formset_data("themes", [{"theme": t, "weight": w} for t, w in themes]),
        **formset_data("priorities", [{"rank": r, "title": t} for r, t in priorities]),
        **formset_data(
            "competitors",
            [{"name": n, "positioning": p, "our_difference": d} for n, p, d in competitors],
        ),
    }


def position_edit_data(position: StrategicPosition) -> dict:
    """The edit form of a position posted back unchanged; tests change the keys they need."""
    themes = [{"id": t.pk, "theme": t.theme, "weight": t.weight} for t in position.themes.all()]
    priorities = [
        {"id": p.pk, "rank": p.rank, "title": p.title, "description": p.description}
        for p in position.priorities.all()
    ]
    competitors = [
        {
            "id": c.pk,
            "name": c.name,
            "positioning": c.positioning,
            "our_difference": c.our_difference,
        }
        for c in position.competitors.all()
    ]
    return {
        "fiscal_year": str(position.fiscal_year),
        "statement": position.statement,
        **formset_data("themes", themes, initial=len(themes)),
        **formset_data("priorities", priorities, initial=len(priorities)),
        **formset_data("competitors", competitors, initial=len(competitors)),
    }


def objective_data(*, owner, title: str = "Advise every customer", measures=(), **fields) -> dict:
    """The objective form with its measures formset; `measures` are (name, unit, base, target)."""
    data = {
        "title": title,
        "description": "",
        "owner": str(owner.pk),
        "priority_weight": "30",
        "customer_priority": "",
        "theme": Theme.SERVICE,
        "internal_message": "Ask before you sell.",
        "external_promise": "We help you choose.",
        **{name: "" if value is None else str(value) for name, value in fields.items()},
    }
    rows = [measure_row(*m) if isinstance(m, tuple) else measure_row(**m) for m in measures]
    return data | formset_data("measures", rows)


def measure_row(
    name,
    unit,
    baseline,
    target,
    *,
    direction="higher",
    reporting_team=None,
    frequency="quarterly",
    plan=None,
    customer_felt=True,
    **extra,
) -> dict:
    """One row of the objective form's measures: `plan` is {period: value} where the plan is
    not the straight line; `reporting_team` a unit (or its pk); `customer_felt` the checkbox,
    sent checked as the form shows it for a new measure."""
    team = getattr(reporting_team, "pk", reporting_team)
    row = {
        "name": name,
        "unit": unit,
        "baseline": baseline,
        "target": target,
        "direction": direction,
        "reporting_team": "" if team is None else str(team),
        "frequency": frequency,
    }
    if customer_felt:
        row["customer_felt"] = "on"
    row |= {f"plan_{n}": "" for n in range(1, 13)}
    row |= {f"plan_{n}": str(v) for n, v in (plan or {}).items()}
    return row | extra


def objective_edit_data(objective: Objective, **fields) -> dict:
    """The edit form of an objective posted back unchanged, apart from `fields`."""
    data = objective_data(
        owner=objective.owner,
        title=objective.title,
        description=objective.description,
        priority_weight=objective.priority_weight,
        customer_priority=objective.customer_priority_id,
        theme=objective.theme,
        internal_message=objective.internal_message,
        external_promise=objective.external_promise,
    )
    measures = [
        measure_row(
            m.name,
            m.unit,
            m.baseline,
            m.target,
            direction=m.direction,
            reporting_team=m.reporting_team_id,
            frequency=m.frequency,
            customer_felt=m.customer_felt,
            plan={p.period: p.value for p in m.plan_points.all()},
            id=m.pk,
        )
        for m in objective.measures.all()
    ]
    data |= formset_data("measures", measures, initial=len(measures))
    data |= {name: "" if value is None else str(value) for name, value in fields.items()}
    return data


def commitment_data(objective: Objective, **fields) -> dict:
    """A valid commitment form: a people commitment due mid-year; `fields` override."""
    data = {
        "objective": str(objective.pk),
        "lever": Lever.PEOPLE,
        "statement": "Train every picker on the new scanners.",
        "target": "100% trained",
        "due_on": date(objective.position.fiscal_year, 6, 30).isoformat(),
        "status": Commitment.Status.PLANNED,
        "amount": "",
        "currency": "",
    }
    return data | {name: "" if value is None else str(value) for name, value in fields.items()}


# --- Reviews ---------------------------------------------------------------------------------


class ReviewCycleFactory(factory.django.DjangoModelFactory):
    """A planned quarterly review of the position's fiscal year."""

    class Meta:
        model = "reviews.ReviewCycle"

    position = factory.SubFactory(PositionFactory)
    fiscal_year = factory.LazyAttribute(lambda c: c.position.fiscal_year)
    quarter = 1
    opens_on = factory.LazyAttribute(lambda c: date(c.fiscal_year, 3 * c.quarter, 28))
    due_on = factory.LazyAttribute(lambda c: c.opens_on.replace(day=28) + timedelta(days=14))


def make_open_cycle(position: StrategicPosition, **fields):
    """An opened quarterly review: one check per active functional team."""
    from reviews import services as review_services

    cycle = ReviewCycleFactory(position=position, **fields)
    review_services.cycle_open(cycle=cycle)
    cycle.refresh_from_db()
    return cycle


def fill_check(check, *, by, scores: dict | int = 4, submit: bool = True, evidence: str = ""):
    """Score every item of a check (an int for every lever, or a lever → score dict)."""
    from reviews import services as review_services
    from reviews.models import LEVERS

    per_lever = scores if isinstance(scores, dict) else dict.fromkeys(LEVERS, scores)
    items = {
        item.pk: review_services.ItemInput(scores=per_lever, evidence=evidence, blockers="")
        for item in check.items.all()
    }
    return review_services.check_save(
        check=check, version=check.version, items=items, statuses={}, by=by, submit=submit
    )


def company_data(
    *,
    name: str = "Northwind Distribution",
    base_currency: str = "EUR",
    fiscal_year_start_month=None,
    time_zone: str | None = None,
    plan_tolerance_percent: int = 10,
    off_track_percent: int = 50,
    rates=(),
):
    """The company settings form with its exchange-rate rows (fiscal year, currency, rate); the
    calendar is the one in force unless given."""
    rows = [{"fiscal_year": y, "currency": c, "rate": r} for y, c, r in rates]
    calendar = {
        "fiscal_year_start_month": (
            fiscal_start_month() if fiscal_year_start_month is None else fiscal_year_start_month
        ),
        "time_zone": company_tzinfo().key if time_zone is None else time_zone,
    }
    thresholds = {
        "plan_tolerance_percent": str(plan_tolerance_percent),
        "off_track_percent": str(off_track_percent),
    }
    return (
        {"name": name, "base_currency": base_currency}
        | calendar
        | thresholds
        | formset_data("rates", rows)
    )


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An active endpoint that wants every event, on an allowed https host of the tests."""

    class Meta:
        model = "notifications.WebhookEndpoint"

    name = factory.Sequence(lambda n: f"Receiver {n}")
    url = "https://hooks.example.com/alignment"
    secret = factory.LazyFunction(lambda: _webhooks().secret_new())
    events = factory.LazyFunction(lambda: list(_webhook_events()))


def _webhooks():
    from notifications import webhooks

    return webhooks


def _webhook_events():
    from notifications.models import WebhookEndpoint

    return WebhookEndpoint.Event.values


class ChatChannelFactory(factory.django.DjangoModelFactory):
    """A team's Slack channel; `unit=None` is the executives' channel."""

    class Meta:
        model = "notifications.ChatChannel"

    name = factory.Sequence(lambda n: f"#team-{n}")
    platform = "slack"
    url = factory.Sequence(lambda n: f"https://hooks.example.com/services/T0/B{n}/secret{n}")
    unit = factory.SubFactory(UnitFactory)


def stored_board(generation: int, signals: list[dict], **row) -> None:
    """A stored signal board of `generation` with these signals (StoredSignal fields; flagged,
    no link unless said), as sustain.board's refresh stores one; `row` overrides the board's
    fields (summary, stale_since...)."""
    from django.utils import timezone

    from sustain.models import StoredBoard, StoredSignal

    StoredBoard.objects.update_or_create(
        pk=1,
        defaults={
            "computed_at": timezone.now(),
            "generation": generation,
            "stored_generation": generation,
            "signal_count": len(signals),
            "stale_since": None,
            "summary": {},
            **row,
        },
    )
    StoredSignal.objects.all().delete()
    StoredSignal.objects.bulk_create(
        StoredSignal(order=n, **({"flagged": True, "link": ""} | fields))
        for n, fields in enumerate(signals)
    )
