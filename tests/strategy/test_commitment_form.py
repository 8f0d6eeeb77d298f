from datetime import date

import pytest

from strategy.forms import CommitmentForm
from strategy.models import Commitment, Objective
from tests.factories import ObjectiveFactory, PositionFactory, commitment_data

pytestmark = pytest.mark.django_db


def commitment_form(objective, **fields) -> CommitmentForm:
    return CommitmentForm(
        commitment_data(objective, **fields),
        objectives=Objective.objects.all(),
        instance=Commitment(),
    )


@pytest.fixture
def objective():
    return ObjectiveFactory(position=PositionFactory(fiscal_year=2026))


def test_a_funding_commitment_needs_an_amount_and_a_currency(objective):
    form = commitment_form(objective, lever="funding", amount="", currency="")

    assert not form.is_valid()
    assert form.errors["amount"] == ["A funding commitment needs an amount."]
    assert form.errors["currency"] == ["A funding commitment needs a currency."]


def test_a_funding_commitment_with_amount_and_currency_is_accepted(objective):
    form = commitment_form(objective, lever="funding", amount="25000", currency="EUR")

    assert form.is_valid(), form.errors


def test_only_funding_commitments_carry_an_amount(objective):
    form = commitment_form(objective, lever="people", amount="100", currency="EUR")

    assert not form.is_valid()
    assert form.errors["amount"] == ["Only funding commitments carry an amount."]


def test_a_commitment_that_is_not_funding_drops_the_currency(objective):
    form = commitment_form(objective, lever="people", currency="EUR")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["currency"] == ""


def test_a_negative_amount_is_refused(objective):
    form = commitment_form(objective, lever="funding", amount="-1", currency="EUR")

    assert not form.is_valid()
    assert form.errors["amount"] == ["Ensure this value is greater than or equal to 0."]


def test_a_due_date_before_the_fiscal_year_is_refused_with_its_start(objective):
    form = commitment_form(objective, due_on="2025-12-31")

    assert not form.is_valid()
    assert form.errors["due_on"] == [
        "The due date is before fiscal year 2026, which starts on 01 January 2026."
    ]


def test_a_due_date_in_the_following_fiscal_year_is_accepted(objective):
    assert commitment_form(objective, due_on="2027-12-31").is_valid()


def test_a_due_date_more_than_a_year_after_the_fiscal_year_is_refused(objective):
    form = commitment_form(objective, due_on="2028-01-01")

    assert not form.is_valid()
    assert form.errors["due_on"] == ["The due date is more than a year after this fiscal year."]


def test_the_due_date_follows_the_configured_fiscal_year(objective, settings):
    settings.FISCAL_YEAR_START_MONTH = 4

    assert not commitment_form(objective, due_on="2026-03-31").is_valid()
    assert commitment_form(objective, due_on=date(2026, 4, 1)).is_valid()


def test_the_currency_is_normalised_to_upper_case(objective):
    form = commitment_form(objective, lever="funding", amount="10", currency=" usd ")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["currency"] == "USD"


THREE_LETTERS = "Enter a three-letter currency code, such as EUR."


@pytest.mark.parametrize(
    ("currency", "message"),
    [
        ("E1R", THREE_LETTERS),
        ("EU", THREE_LETTERS),
        ("€", THREE_LETTERS),
        ("EURO", "Ensure this value has at most 3 characters (it has 4)."),
    ],
)
def test_a_currency_must_be_three_letters(objective, currency, message):
    form = commitment_form(objective, lever="funding", amount="10", currency=currency)

    assert not form.is_valid()
    assert form.errors["currency"][0] == message


def test_a_commitment_can_only_be_made_to_the_objectives_offered(objective):
    other = ObjectiveFactory()
    form = CommitmentForm(
        commitment_data(other), objectives=Objective.objects.filter(pk=objective.pk)
    )

    assert not form.is_valid()
    assert "objective" in form.errors
