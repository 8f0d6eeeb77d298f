"""The company settings get the company's calendar: the month fiscal years start in and the time
zone (empty: FISCAL_YEAR_START_MONTH and TIME_ZONE say). reviews 0012 copies them from the
cadence settings."""

from django.db import migrations, models

import strategy.models


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0008_acknowledgement_in_cadence_settings_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="companysettings",
            name="fiscal_year_start_month",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (1, "January"),
                    (2, "February"),
                    (3, "March"),
                    (4, "April"),
                    (5, "May"),
                    (6, "June"),
                    (7, "July"),
                    (8, "August"),
                    (9, "September"),
                    (10, "October"),
                    (11, "November"),
                    (12, "December"),
                ],
                help_text="Fiscal years are named after the calendar year they start in.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="companysettings",
            name="time_zone",
            field=models.CharField(
                blank=True,
                choices=strategy.models._time_zone_choices,
                help_text="Review dates and the times of reminders follow it.",
                max_length=64,
            ),
        ),
        migrations.AddField(
            model_name="historicalcompanysettings",
            name="fiscal_year_start_month",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (1, "January"),
                    (2, "February"),
                    (3, "March"),
                    (4, "April"),
                    (5, "May"),
                    (6, "June"),
                    (7, "July"),
                    (8, "August"),
                    (9, "September"),
                    (10, "October"),
                    (11, "November"),
                    (12, "December"),
                ],
                help_text="Fiscal years are named after the calendar year they start in.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="historicalcompanysettings",
            name="time_zone",
            field=models.CharField(
                blank=True,
                choices=strategy.models._time_zone_choices,
                help_text="Review dates and the times of reminders follow it.",
                max_length=64,
            ),
        ),
    ]
