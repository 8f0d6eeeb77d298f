"""The company settings: name and base currency, and the exchange rates per fiscal year, edited
by executives in the browser; amounts shown with thousands separators and their currency."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from strategy.models import CompanySettings, ExchangeRate, Lever
from strategy.money import format_money
from tests.factories import CommitmentFactory, company_data

pytestmark = pytest.mark.django_db

URL = reverse("strategy:company-edit")


def test_an_executive_names_the_company_and_sets_its_currency_and_rates(login, executive):
    data = company_data(
        name="Northwind Distribution", base_currency="usd", rates=[(2026, "eur", "1.08")]
    )

    response = login(executive).post(URL, data, follow=True)

    assertContains(response, "Company settings saved.")
    company = CompanySettings.load()
    assert (company.name, company.base_currency) == ("Northwind Distribution", "USD")
    rate = ExchangeRate.objects.get()
    assert (rate.fiscal_year, rate.currency, rate.rate) == (2026, "EUR", Decimal("1.08"))
    # The header names the company; the footer still names the product.
    assertContains(response, '<a class="navbar-brand" href="/">Northwind Distribution</a>')
    assertContains(response, "Northwind Distribution · Alignment Reviews")


def test_the_page_is_linked_from_the_executives_menu_only(login, executive, admin_user, head):
    assertContains(login(executive).get(reverse("home")), f'href="{URL}"')
    assertNotContains(login(admin_user).get(reverse("home")), f'href="{URL}"')
    assertNotContains(login(head).get(reverse("home")), f'href="{URL}"')


def test_a_company_without_a_name_shows_the_product_name_in_the_header(login, executive):
    CompanySettings.objects.filter(pk=1).update(name="")

    response = login(executive).get(reverse("home"))

    assertContains(response, '<a class="navbar-brand" href="/">Alignment Reviews</a>')


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"base_currency": "us1"}, "base_currency", "Enter a three-letter currency code"),
        ({"name": "   "}, "name", "This field is required."),
    ],
)
def test_bad_settings_are_refused_on_their_field_and_nothing_is_saved(
    login, executive, changes, field, message
):
    before = CompanySettings.load()
    data = company_data(rates=[(2026, "USD", "0.92")]) | changes

    response = login(executive).post(URL, data)

    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assertContains(response, 'value="us1"' if field == "base_currency" else "0.92")
    after = CompanySettings.load()
    assert (after.name, after.base_currency) == (before.name, before.base_currency)
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ((2026, "EUR", "1.1"), "EUR is the base currency: it needs no rate."),
        ((2026, "USD", "0"), "Ensure this value is greater than or equal to 0.000001."),
        ((2026, "US", "0.9"), "Enter a three-letter currency code, such as EUR."),
    ],
)
def test_a_bad_rate_is_refused_on_its_row(login, executive, rate, message):
    response = login(executive).post(URL, company_data(base_currency="EUR", rates=[rate]))

    assert response.status_code == 200
    errors = [e for form in response.context["rates"] for e in form.errors.values()]
    assert [message] in errors
    assert not ExchangeRate.objects.exists()


def test_two_rates_for_the_same_currency_and_year_are_refused(login, executive):
    data = company_data(rates=[(2026, "USD", "0.92"), (2026, "usd", "0.93")])

    response = login(executive).post(URL, data)

    assert response.status_code == 200
    assert response.context["rates"].non_form_errors() == [
        "Two rows give a rate for USD in FY2026: keep one of them."
    ]
    assert not ExchangeRate.objects.exists()


def test_the_row_is_made_from_the_settings_existing_installs_run_with(settings):
    migration = importlib.import_module("strategy.migrations.0006_company_settings_row")
    CompanySettings.objects.all().delete()
    settings.DEFAULT_CURRENCY = "USD"
    settings.COMPANY_NAME = "Alignment Reviews"  # the product's name: not the company's

    migration.create_row(apps, None)

    company = CompanySettings.objects.get()
    assert (company.name, company.base_currency) == ("", "USD")


def test_a_new_funding_commitment_proposes_the_base_currency(login, head, current_position):
    CompanySettings.objects.filter(pk=1).update(base_currency="USD")

    response = login(head).get(reverse("strategy:commitment-create", args=["logistics"]))

    assert response.context["form"].initial["currency"] == "USD"


# --- Amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("12500"), "EUR", "12,500 EUR"),
        (Decimal("12500.50"), "USD", "12,500.50 USD"),
        ("1234567.00", "EUR", "1,234,567 EUR"),
        (Decimal("950"), "", "950"),
        (None, "EUR", ""),
    ],
)
def test_amounts_have_thousands_separators_and_their_currency(amount, currency, shown):
    assert format_money(amount, currency) == shown


def test_the_team_page_shows_amounts_with_separators(login, head, logistics, current_position):
    CommitmentFactory(
        unit=logistics,
        objective=current_position.objectives.first(),
        lever=Lever.FUNDING,
        amount=Decimal("25000"),
        currency="USD",
    )

    response = login(head).get(logistics.get_absolute_url())

    assertContains(response, "25,000 USD")
