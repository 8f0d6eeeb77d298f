"""The company settings row, from the settings existing installs already run with: the base
currency is DEFAULT_CURRENCY (funding in it keeps counting as before) and the name COMPANY_NAME,
unless that is the product's name, which the header showed when none was set."""

from django.conf import settings
from django.db import migrations

PRODUCT_NAME = "Alignment Reviews"


def create_row(apps, schema_editor):
    CompanySettings = apps.get_model("alignment", "CompanySettings")
    name = settings.COMPANY_NAME.strip()
    CompanySettings.objects.get_or_create(
        pk=1,
        defaults={
            "name": "" if name == PRODUCT_NAME else name,
            "base_currency": (settings.DEFAULT_CURRENCY or "EUR").strip().upper()[:3],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("alignment", "0005_company_settings_and_rates")]

    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
