"""The calendar left the cadence settings for the company settings (0012 copied it there)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0012_calendar_to_company_settings"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="cadencesettings",
            name="fiscal_year_start_month",
        ),
        migrations.RemoveField(
            model_name="cadencesettings",
            name="time_zone",
        ),
        migrations.RemoveField(
            model_name="historicalcadencesettings",
            name="fiscal_year_start_month",
        ),
        migrations.RemoveField(
            model_name="historicalcadencesettings",
            name="time_zone",
        ),
    ]
