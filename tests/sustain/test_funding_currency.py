"""Funding in several currencies: converted to the company's base currency with the rates of
the strategy's fiscal year, and an amount without a rate is never dropped without a word.

The `org` fixture: Finance funds A (weight 60) with 6,000 and B (weight 40) with 4,000 EUR.
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from strategy.models import Commitment, CompanySettings, ExchangeRate, Lever
from sustain import board
from tests.factories import CommitmentFactory
from tests.sustain.support import FY, reasons, text

pytestmark = pytest.mark.django_db


def base_currency(code: str) -> None:
    CompanySettings.objects.update_or_create(pk=1, defaults={"base_currency": code})


def test_a_company_that_commits_in_usd_sees_its_funding_counted(org, login, executive):
    base_currency("USD")
    Commitment.objects.filter(lever=Lever.FUNDING).update(currency="USD")

    result = board.board(now=timezone.now())

    shares = {f.title: (f.funding_share, f.amount, f.flagged) for f in result["funding"]}
    assert shares == {
        "Deliver on the promised date": (60, Decimal("6000"), False),
        "Advise every customer": (40, Decimal("4000"), False),
    }
    assert result["misallocation"] == 0
    assert reasons(result, "funding") == []
    page = text(login(executive).get(reverse("sustain:signals")))
    assert "Amounts in USD" in page
    assert "6,000 USD" in page and "4,000 USD" in page
    assert "no rate" not in page


def test_amounts_without_a_rate_are_not_counted_and_the_page_says_so(org, login, executive):
    base_currency("USD")  # the fixture's money is in EUR, and FY2026 has no EUR rate
    CommitmentFactory(
        unit=org.finance,
        objective=org.b,
        lever=Lever.FUNDING,
        amount=Decimal("500"),
        currency="USD",
    )

    result = board.board(now=timezone.now())

    expected = "2 amounts in EUR have no rate for FY2026 and are not counted (10,000 EUR)."
    assert reasons(result, "funding") == [
        "“Deliver on the promised date” carries 60% of the priority weight but gets 0% of the "
        "committed funding and 0% of the people-and-skills commitments.",
        expected,
    ]
    (signal,) = [s for s in result["signals"] if s["subject"] == "Funding in EUR"]
    assert signal["link"] == reverse("sustain:signals") + "#funding-heading"
    assert {f.title: f.amount for f in result["funding"]} == {
        "Deliver on the promised date": 0,
        "Advise every customer": Decimal("500"),
    }
    assert expected in text(login(executive).get(reverse("sustain:signals")))


def test_other_currencies_are_converted_with_the_rate_of_the_strategys_year(org):
    base_currency("USD")
    ExchangeRate.objects.create(fiscal_year=FY, currency="EUR", rate=Decimal("1.1"))
    ExchangeRate.objects.create(fiscal_year=FY - 1, currency="EUR", rate=Decimal("5"))
    CommitmentFactory(
        unit=org.finance,
        objective=org.a,
        lever=Lever.FUNDING,
        amount=Decimal("22000"),
        currency="USD",
    )

    result = board.board(now=timezone.now())

    # A: 6,000 EUR × 1.1 + 22,000 USD = 28,600; B: 4,000 × 1.1 = 4,400 → 13% < 0.5 × 40.
    amounts = {f.title: (f.amount, f.flagged) for f in result["funding"]}
    assert amounts == {
        "Deliver on the promised date": (Decimal("28600"), False),
        "Advise every customer": (Decimal("4400"), True),
    }
    assert not [r for r in reasons(result, "funding") if "no rate" in r]
