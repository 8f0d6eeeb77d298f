"""The company's calendar (the month fiscal years start in, the time zone) moves from the cadence
settings (reviews) to the company settings (strategy): alignment 0009 adds the fields, reviews 0012
copies the values, reviews 0013 removes them from the cadence settings and their history.

A database filled before the move reads the same calendar after it, and migrating back puts it
where it was.
"""

from datetime import date

import pytest

from reviews.models import CadenceSettings
from strategy.models import CompanySettings, company_tzinfo, fiscal_year_start
from tests.migrating import migrate

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("reviews", "0011_deliveries_reports_signals_move_out"),
    ("alignment", "0008_acknowledgement_in_cadence_settings_out"),
]


@pytest.fixture
def before_the_move(migrated_back):
    return migrated_back(BEFORE)


def test_the_cadence_settings_calendar_is_the_company_settings_after_the_move(before_the_move):
    old = before_the_move
    old.get_model("alignment", "CompanySettings").objects.filter(pk=1).update(name="Northwind")
    old.get_model("reviews", "CadenceSettings").objects.create(
        pk=1, fiscal_year_start_month=4, time_zone="Europe/Paris", reminder_hour=9
    )

    migrate(None)

    company = CompanySettings.objects.get()
    assert (company.name, company.fiscal_year_start_month, company.time_zone) == (
        "Northwind",
        4,
        "Europe/Paris",
    )
    assert CadenceSettings.objects.get().reminder_hour == 9
    assert (fiscal_year_start(2026), company_tzinfo().key) == (date(2026, 4, 1), "Europe/Paris")


def test_without_cadence_settings_the_calendar_stays_the_settings(before_the_move, settings):
    settings.FISCAL_YEAR_START_MONTH, settings.TIME_ZONE = 10, "America/New_York"

    migrate(None)

    company = CompanySettings.objects.get()
    assert (company.fiscal_year_start_month, company.time_zone) == (None, "")
    assert not CadenceSettings.objects.exists()  # migrating makes no cadence row
    assert (fiscal_year_start(2026), company_tzinfo().key) == (
        date(2026, 10, 1),
        "America/New_York",
    )


def test_a_database_without_company_settings_gets_them_with_the_calendar(before_the_move):
    old = before_the_move
    old.get_model("alignment", "CompanySettings").objects.all().delete()
    old.get_model("reviews", "CadenceSettings").objects.create(
        pk=1, fiscal_year_start_month=7, time_zone="Asia/Tokyo"
    )

    migrate(None)

    company = CompanySettings.objects.get()
    assert (company.fiscal_year_start_month, company.time_zone) == (7, "Asia/Tokyo")


def test_migrating_back_puts_the_calendar_in_the_cadence_settings_again(before_the_move):
    migrate(None)
    CompanySettings.objects.filter(pk=1).update(fiscal_year_start_month=3, time_zone="Europe/Oslo")

    old = migrate(BEFORE)

    config = old.get_model("reviews", "CadenceSettings").objects.get()
    assert (config.fiscal_year_start_month, config.time_zone) == (3, "Europe/Oslo")
    assert old.get_model("alignment", "CompanySettings").objects.filter(pk=1).exists()
