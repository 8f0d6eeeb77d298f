"""The company settings: name and base currency, and the exchange rates per fiscal year, edited
by executives in the browser; amounts shown with thousands separators and their currency."""

import importlib
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from strategy.models import (
    CompanySettings,
    ExchangeRate,
    Lever,
    company_tzinfo,
    fiscal_year_of,
    fiscal_year_span,
    fiscal_year_start,
    start_month_or_default,
)
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
        ({"time_zone": "Europe/Atlantis"}, "time_zone", "Select a valid choice."),
        ({"fiscal_year_start_month": "13"}, "fiscal_year_start_month", "Select a valid choice."),
        ({"fiscal_year_start_month": ""}, "fiscal_year_start_month", "This field is required."),
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
    assert (after.fiscal_year_start_month, after.time_zone) == (
        before.fiscal_year_start_month,
        before.time_zone,
    )
    assert not ExchangeRate.objects.exists()


def test_a_bad_time_zone_is_refused_with_a_message_next_to_its_field(login, executive):
    response = login(executive).post(URL, company_data(time_zone="Europe/Atlantis"))

    assert response.status_code == 200
    assertContains(response, "Nothing was saved: please correct the errors below.")
    error = "Select a valid choice."
    assert error in response.context["form"].errors["time_zone"][0]
    # The message is rendered inside the field's own block, tied to its input.
    html = response.content.decode()
    block = html[html.index('id="div_id_time_zone"') :]
    block = block[: block.find('id="div_id_', 1)]
    assert f'<span id="error_1_id_time_zone"><strong>{error}' in block
    assert 'aria-invalid="true"' in block
    assert re.search('aria-describedby="[^"]*id_time_zone_error', block)
    assert CompanySettings.read().time_zone == ""


# --- The calendar ----------------------------------------------------------------------------


def test_the_calendar_is_the_settings_until_an_executive_sets_it(login, executive, settings):
    settings.FISCAL_YEAR_START_MONTH, settings.TIME_ZONE = 4, "Europe/Paris"
    client = login(executive)

    form = client.get(URL).context["form"]
    assert (form["fiscal_year_start_month"].value(), form["time_zone"].value()) == (
        4,
        "Europe/Paris",
    )
    assert (fiscal_year_start(2026), company_tzinfo().key) == (date(2026, 4, 1), "Europe/Paris")

    client.post(URL, company_data(fiscal_year_start_month=7, time_zone="Asia/Tokyo"))

    company = CompanySettings.read()
    assert (company.fiscal_year_start_month, company.time_zone) == (7, "Asia/Tokyo")
    assert (fiscal_year_start(2026), company_tzinfo().key) == (date(2026, 7, 1), "Asia/Tokyo")
    assert fiscal_year_of(date(2027, 6, 30)) == 2026


def test_a_row_without_its_calendar_follows_the_settings(settings):
    settings.FISCAL_YEAR_START_MONTH, settings.TIME_ZONE = 4, "Europe/Paris"
    unset = CompanySettings(fiscal_year_start_month=None, time_zone="")
    company = CompanySettings(fiscal_year_start_month=7, time_zone="Asia/Tokyo")

    assert (unset.start_month, unset.tzinfo.key) == (4, "Europe/Paris")
    assert (company.start_month, company.tzinfo.key) == (7, "Asia/Tokyo")
    # A month read with another row (a cycle's, say) falls back the same way.
    assert (start_month_or_default(None), start_month_or_default(10)) == (4, 10)


def test_the_calendar_is_read_once_per_question(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert fiscal_year_span(2026)[0] == date(2026, 1, 1)


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


def test_a_new_fiscal_calendar_moves_the_planned_reviews_but_not_dates_chosen_by_hand(
    login, executive
):
    from reviews import cadence
    from reviews.models import CadenceSettings, ReviewCycle
    from tests.factories import PositionFactory, ReviewCycleFactory

    config = CadenceSettings.load()
    days = {
        "open_days": config.open_days_after_quarter_end,
        "due_days": config.due_days_after_opening,
    }
    position = PositionFactory(fiscal_year=2027)
    on_plan = ReviewCycleFactory(position=position, quarter=2)
    on_plan.opens_on, on_plan.due_on = cadence.quarter_opening(2027, 2, first_month=1, **days)
    on_plan.save()
    by_hand = ReviewCycleFactory(position=position, quarter=3)  # opens 28 Sep, not the plan
    chosen = (by_hand.opens_on, by_hand.due_on)

    response = login(executive).post(URL, company_data(fiscal_year_start_month=4), follow=True)

    assertContains(response, "Company settings saved. 1 planned review moved to the new fiscal")
    on_plan.refresh_from_db()
    by_hand.refresh_from_db()
    # FY2027 starting in April: its second quarter ends on 30 September 2027.
    assert (on_plan.opens_on, on_plan.due_on) == cadence.quarter_opening(
        2027, 2, first_month=4, **days
    )
    assert on_plan.opens_on == date(2027, 9, 30) + timedelta(days=days["open_days"])
    assert (by_hand.opens_on, by_hand.due_on) == chosen
    assert ReviewCycle.objects.filter(state=ReviewCycle.State.PLANNED).count() == 2


def test_saving_the_same_calendar_moves_nothing(login, executive):
    from tests.factories import ReviewCycleFactory

    cycle = ReviewCycleFactory()
    before = (cycle.opens_on, cycle.due_on)

    response = login(executive).post(URL, company_data(), follow=True)

    assertContains(response, "Company settings saved.")
    assertNotContains(response, "moved to the new fiscal")
    cycle.refresh_from_db()
    assert (cycle.opens_on, cycle.due_on) == before
