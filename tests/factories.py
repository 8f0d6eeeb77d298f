"""Test data builders, in one place."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from alignment import services
from alignment.models import (
    EXECUTIVE,
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
)

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
    return services.position_publish(position=position, by=owner)
