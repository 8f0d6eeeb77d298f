from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from strategy.models import (
    Commitment,
    Objective,
    SingletonModel,
    StrategicPosition,
    Unit,
    fiscal_year_end,
    fiscal_year_of,
    fiscal_year_start,
)
from tests.factories import (
    CommitmentFactory,
    ObjectiveFactory,
    PositionFactory,
    PriorityFactory,
    UnitFactory,
    make_published_position,
)

pytestmark = pytest.mark.django_db


# --- Fiscal years ---------------------------------------------------------------------------


def test_a_calendar_fiscal_year_runs_from_january_to_december(settings):
    settings.FISCAL_YEAR_START_MONTH = 1

    assert fiscal_year_start(2026) == date(2026, 1, 1)
    assert fiscal_year_end(2026) == date(2026, 12, 31)
    assert fiscal_year_of(date(2026, 1, 1)) == 2026
    assert fiscal_year_of(date(2026, 12, 31)) == 2026
    assert fiscal_year_of(date(2025, 12, 31)) == 2025


def test_an_april_fiscal_year_is_named_after_the_year_it_starts_in(settings):
    settings.FISCAL_YEAR_START_MONTH = 4

    assert fiscal_year_start(2026) == date(2026, 4, 1)
    assert fiscal_year_end(2026) == date(2027, 3, 31)
    assert fiscal_year_of(date(2026, 4, 1)) == 2026
    assert fiscal_year_of(date(2027, 3, 31)) == 2026
    assert fiscal_year_of(date(2026, 3, 31)) == 2025


def test_a_fiscal_year_ending_in_february_of_a_leap_year_ends_on_the_29th(settings):
    settings.FISCAL_YEAR_START_MONTH = 3

    assert fiscal_year_end(2023) == date(2024, 2, 29)
    assert fiscal_year_end(2024) == date(2025, 2, 28)


def test_a_position_spans_its_fiscal_year(settings):
    settings.FISCAL_YEAR_START_MONTH = 4
    position = PositionFactory(fiscal_year=2026)

    assert (position.starts_on, position.ends_on) == (date(2026, 4, 1), date(2027, 3, 31))


# --- The current position -------------------------------------------------------------------


def test_the_current_position_is_the_published_one_in_force_not_a_later_draft():
    current = make_published_position(fiscal_year=2026)
    PositionFactory(fiscal_year=2027)

    assert StrategicPosition.objects.current() == current


def test_there_is_no_current_position_before_one_is_published():
    PositionFactory(fiscal_year=2026)

    assert StrategicPosition.objects.current() is None


# --- Database constraints -------------------------------------------------------------------


def test_the_database_refuses_a_second_current_position():
    make_published_position(fiscal_year=2026)
    later = PositionFactory(fiscal_year=2027, status=StrategicPosition.Status.PUBLISHED)

    with pytest.raises(IntegrityError), transaction.atomic():
        StrategicPosition.objects.filter(pk=later.pk).update(is_current=True)

    assert list(StrategicPosition.objects.filter(is_current=True)) == [
        StrategicPosition.objects.get(fiscal_year=2026)
    ]


def test_the_database_refuses_a_current_draft():
    with pytest.raises(IntegrityError), transaction.atomic():
        PositionFactory(status=StrategicPosition.Status.DRAFT, is_current=True)

    assert not StrategicPosition.objects.exists()


def test_two_non_current_positions_are_allowed():
    PositionFactory(fiscal_year=2026)
    PositionFactory(fiscal_year=2027)

    assert StrategicPosition.objects.filter(is_current=False).count() == 2


def test_the_database_refuses_two_priorities_with_the_same_rank_in_a_position():
    first = PriorityFactory(rank=1)
    PriorityFactory(rank=1)  # another position may use the same rank

    with pytest.raises(IntegrityError), transaction.atomic():
        PriorityFactory(position=first.position, rank=1)

    assert first.position.priorities.count() == 1


def test_the_database_refuses_a_negative_commitment_amount():
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitmentFactory(lever="funding", amount=Decimal("-0.01"), currency="EUR")

    assert not Commitment.objects.exists()


def test_a_commitment_without_an_amount_passes_the_amount_constraint():
    CommitmentFactory(amount=None)
    CommitmentFactory(lever="funding", amount=Decimal("0"), currency="EUR")

    assert Commitment.objects.count() == 2


# --- Objectives -----------------------------------------------------------------------------


def test_retiring_an_objective_twice_keeps_the_first_retirement_time():
    objective = ObjectiveFactory()
    objective.retire()
    first = objective.retired_at

    objective.retire()
    Objective.objects.get(pk=objective.pk).retire()  # a fresh copy read from the database

    objective.refresh_from_db()
    assert first is not None
    assert objective.retired_at == first
    assert objective.is_retired
    assert list(Objective.objects.active()) == []


# --- Commitments ----------------------------------------------------------------------------


def test_open_commitments_are_those_neither_done_nor_dropped():
    planned = CommitmentFactory(status=Commitment.Status.PLANNED)
    on_track = CommitmentFactory(status=Commitment.Status.ON_TRACK)
    at_risk = CommitmentFactory(status=Commitment.Status.AT_RISK)
    CommitmentFactory(status=Commitment.Status.DONE)
    CommitmentFactory(status=Commitment.Status.DROPPED)

    assert set(Commitment.objects.open()) == {planned, on_track, at_risk}


def test_overdue_commitments_are_open_and_due_before_today():
    today = date(2026, 7, 1)
    late = CommitmentFactory(due_on=date(2026, 6, 30))
    CommitmentFactory(due_on=today)
    CommitmentFactory(due_on=date(2026, 7, 2))
    CommitmentFactory(due_on=date(2026, 6, 1), status=Commitment.Status.DONE)
    CommitmentFactory(due_on=date(2026, 6, 1), status=Commitment.Status.DROPPED)

    assert list(Commitment.objects.overdue(today=today)) == [late]


def test_a_dropped_commitment_is_no_longer_open_and_the_drop_is_in_its_history():
    commitment = CommitmentFactory(status=Commitment.Status.ON_TRACK)

    commitment.drop()

    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.DROPPED
    assert not Commitment.objects.open().exists()
    assert commitment.history.first().status == Commitment.Status.DROPPED


# --- Units ----------------------------------------------------------------------------------


def test_a_units_ancestors_run_from_the_top_down():
    company = UnitFactory(name="Acme", level=Unit.Level.BUSINESS, kind=Unit.Kind.COMPANY)
    region = UnitFactory(name="North", level=Unit.Level.BUSINESS, parent=company)
    branch = UnitFactory(name="Leeds", level=Unit.Level.BUSINESS, parent=region)

    assert branch.ancestors() == [company, region]
    assert region.ancestors() == [company]
    assert company.ancestors() == []


def test_ancestors_stop_at_a_cycle_in_the_tree():
    a = UnitFactory(name="A")
    b = UnitFactory(name="B", parent=a)
    Unit.objects.filter(pk=a.pk).update(parent=b)  # a bad import could do this
    b = Unit.objects.get(pk=b.pk)

    assert b.ancestors() == [a]


# --- Settings tables of one row -------------------------------------------------------------


def _singletons() -> list[type[SingletonModel]]:
    return [m for m in apps.get_models() if issubclass(m, SingletonModel)]


def test_every_settings_table_of_one_row_shares_the_singleton_base():
    assert {m.__name__ for m in _singletons()} == {
        "CadenceSettings",
        "CompanySettings",
        "ContentVersion",
        "SignalSettings",
    }


@pytest.mark.parametrize("model", _singletons(), ids=lambda m: m.__name__)
def test_reading_settings_writes_no_row_and_loading_makes_the_one_row(model):
    model.objects.all().delete()  # a migration makes the company's row

    assert model.read().pk == 1
    assert not model.objects.exists()

    assert model.load() == model.load()
    assert list(model.objects.values_list("pk", flat=True)) == [1]


@pytest.mark.parametrize("model", _singletons(), ids=lambda m: m.__name__)
def test_the_database_refuses_a_second_settings_row(model):
    model.load()

    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(pk=2)

    assert model.objects.count() == 1
