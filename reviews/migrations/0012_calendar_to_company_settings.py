"""The company's calendar (the month fiscal years start in, the time zone) moves from the cadence
settings to the company settings (alignment 0009 added its fields there); 0013 then removes it
from the cadence settings.

Where the cadence settings had no row, the calendar was FISCAL_YEAR_START_MONTH and TIME_ZONE:
the company settings' fields stay empty, which reads the same.
"""

import importlib

from django.conf import settings
from django.db import migrations


def _company_row(apps):
    # The row alignment 0006 made; a database whose row was deleted gets it back, made the same way.
    importlib.import_module("strategy.migrations.0006_company_settings_row").create_row(apps, None)
    return apps.get_model("alignment", "CompanySettings").objects.get(pk=1)


def forwards(apps, schema_editor):
    cadence = apps.get_model("reviews", "CadenceSettings").objects.filter(pk=1).first()
    if cadence is None:
        return
    company = _company_row(apps)
    company.fiscal_year_start_month = cadence.fiscal_year_start_month
    company.time_zone = cadence.time_zone
    company.save(update_fields=["fiscal_year_start_month", "time_zone"])


def backwards(apps, schema_editor):
    company = apps.get_model("alignment", "CompanySettings").objects.filter(pk=1).first()
    if company is None or (company.fiscal_year_start_month is None and not company.time_zone):
        return  # no calendar set: FISCAL_YEAR_START_MONTH and TIME_ZONE say, as they did
    cadence, _ = apps.get_model("reviews", "CadenceSettings").objects.get_or_create(pk=1)
    cadence.fiscal_year_start_month = company.fiscal_year_start_month
    cadence.time_zone = company.time_zone or settings.TIME_ZONE
    cadence.save(update_fields=["fiscal_year_start_month", "time_zone"])


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0011_deliveries_reports_signals_move_out"),
        ("alignment", "0009_company_calendar"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
