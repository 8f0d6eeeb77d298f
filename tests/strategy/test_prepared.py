"""strategy.prepared: a read compiled once returns what the ORM returns, and refuses what it
could not run again safely."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q
from django.utils import timezone

from strategy.models import Commitment, Measure, Objective
from strategy.prepared import prepared
from tests.factories import (
    CommitmentFactory,
    MeasureFactory,
    UnitFactory,
    UserFactory,
    make_published_position,
)

pytestmark = pytest.mark.django_db


def _commitments(*, unit, objectives, status):
    return (
        Commitment.objects.filter(unit_id=unit, objective_id__in=objectives)
        .exclude(status=status)
        .order_by("pk")
        .values_list("pk", "objective_id", "statement", "due_on", "amount", "created_at")
    )


read_commitments = prepared(_commitments)


@pytest.fixture
def position():
    return make_published_position(objectives=3)


def test_a_prepared_read_returns_the_rows_the_orm_returns(position, django_assert_num_queries):
    a, b, c = position.objectives.all()
    team, other = UnitFactory(), UnitFactory()
    for objective in (a, b, c):
        CommitmentFactory(unit=team, objective=objective, amount=Decimal("12.50"))
    CommitmentFactory(unit=other, objective=a)
    CommitmentFactory(unit=team, objective=b, status=Commitment.Status.DROPPED)

    values = {"unit": team.pk, "objectives": [a.pk, b.pk], "status": "dropped"}
    with django_assert_num_queries(1):
        rows = read_commitments(**values)

    assert rows == list(_commitments(**values))
    assert len(rows) == 2
    assert rows[0][4] == Decimal("12.50")  # through the ORM's converters where it has any
    # Other values, same shape: the same SQL, the new values.
    values |= {"objectives": [c.pk, a.pk]}
    assert read_commitments(**values) == list(_commitments(**values))


def test_each_shape_has_its_sql_and_an_empty_list_reads_nothing(
    position, django_assert_num_queries
):
    a, b, c = position.objectives.all()
    team = UnitFactory()
    for objective in (a, b, c):
        CommitmentFactory(unit=team, objective=objective)
    read = prepared(_commitments)

    assert len(read(unit=team.pk, objectives=[a.pk], status="dropped")) == 1
    assert len(read(unit=team.pk, objectives=[a.pk, b.pk, c.pk], status="dropped")) == 3
    with django_assert_num_queries(0):
        assert read(unit=team.pk, objectives=[], status="dropped") == []
    assert len(read.plans) == 3


def test_an_aggregate_over_a_join_reads_as_the_orm_does(position):
    objective = position.objectives.first()
    MeasureFactory(objective=objective)
    MeasureFactory(objective=objective)

    def build(*, position, title):
        return (
            Objective.objects.filter(Q(position_id=position) | Q(title=title))
            .annotate(measure_count=Count("measures"))
            .order_by("pk")
            .values_list("pk", "measure_count")
        )

    read = prepared(build)

    assert read(position=position.pk, title="none") == list(
        build(position=position.pk, title="none")
    )
    assert (objective.pk, 2) in read(position=position.pk, title="none")


def test_a_value_that_a_lookup_transforms_is_refused(position):
    read = prepared(
        lambda *, text: Objective.objects.filter(title__icontains=text).values_list("pk")
    )

    with pytest.raises(ImproperlyConfigured, match="unchanged"):
        read(text="deliver")


def test_a_read_of_the_clock_inside_is_refused(position):
    read = prepared(
        lambda *, position: Measure.objects.filter(
            objective__position_id=position, objective__retired_at__lt=timezone.now()
        ).values_list("pk")
    )

    with pytest.raises(ImproperlyConfigured):
        read(position=position.pk)


def test_sql_that_depends_on_a_value_is_refused(position):
    def build(*, position):
        objectives = Objective.objects.filter(position_id=position)
        if position % 2:  # a shape that depends on the value: what a prepared read cannot keep
            objectives = objectives.filter(retired_at__isnull=True)
        return objectives.values_list("pk")

    with pytest.raises(ImproperlyConfigured, match="depends on its values"):
        prepared(build)(position=position.pk)


def test_only_values_lists_of_ints_and_strs_are_prepared(position):
    with pytest.raises(ImproperlyConfigured, match="values_list"):
        prepared(lambda *, position: Objective.objects.filter(position_id=position))(
            position=position.pk
        )
    with pytest.raises(TypeError):
        read_commitments(unit=1, objectives=[timezone.localdate()], status="dropped")
    with pytest.raises(TypeError):
        read_commitments(unit=None, objectives=[1], status="dropped")


def test_an_id_beyond_any_integer_column_reads_nothing(position, django_assert_num_queries):
    read = prepared(lambda *, pk: Objective.objects.filter(pk=pk).values_list("title"))

    with django_assert_num_queries(0):
        assert read(pk=2**70) == []
    assert read(pk=position.objectives.first().pk) != []


@pytest.mark.parametrize("fields", [None, {"title": "Title", "order": "Order"}])
def test_the_newest_history_read_prepared_is_the_newest_history_read_by_the_orm(position, fields):
    from strategy import history

    a, b, _ = position.objectives.all()
    owner = UserFactory()
    for n in range(4):  # more changes than the limit, each with the one before it
        a.title, a.order = f"Title {n}", n
        a._history_user = owner
        a.save()
    b.title = "Renamed"
    b.save()
    options = {"limit": 3, "fields": fields, "known": [position]}

    prepared_entries = history.newest_entries_of(
        Objective, key="position_id", value=position.pk, **options
    )

    assert prepared_entries == history.newest_entries(
        Objective.history.filter(position_id=position.pk), **options
    )
    entries, more = prepared_entries
    assert more and len(entries) == 3
    assert entries[1].who == (owner.get_full_name() or owner.username)
