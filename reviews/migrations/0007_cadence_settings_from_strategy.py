"""CadenceSettings and its history arrive from the strategy app; their tables stay."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import reviews.models

MODELS = ("cadencesettings", "historicalcadencesettings")


def _move_content_types(apps, from_label, to_label):
    # The content types (and so the permissions and admin log entries) follow the models.
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=to_label, model=model).exists():
            ContentType.objects.filter(app_label=from_label, model=model).update(app_label=to_label)
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _move_content_types(apps, "alignment", "reviews")


def backwards(apps, schema_editor):
    _move_content_types(apps, "reviews", "alignment")


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0006_acknowledgement_moves_to_strategy"),
        ("alignment", "0008_acknowledgement_in_cadence_settings_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CadenceSettings",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "fiscal_year_start_month",
                            models.PositiveSmallIntegerField(
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
                        (
                            "time_zone",
                            models.CharField(
                                choices=reviews.models._time_zone_choices,
                                default="UTC",
                                max_length=64,
                            ),
                        ),
                        (
                            "open_days_after_quarter_end",
                            models.PositiveSmallIntegerField(
                                default=5,
                                validators=[django.core.validators.MaxValueValidator(60)],
                                verbose_name="open the quarterly review this many days after the quarter ends",
                            ),
                        ),
                        (
                            "due_days_after_opening",
                            models.PositiveSmallIntegerField(
                                default=14,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(60),
                                ],
                                verbose_name="checks are due this many days after opening",
                            ),
                        ),
                        (
                            "open_early_days",
                            models.PositiveSmallIntegerField(
                                default=7,
                                help_text="0: not before the first day of the quarter.",
                                validators=[django.core.validators.MaxValueValidator(31)],
                                verbose_name="a quarterly review may open this many days before its quarter starts",
                            ),
                        ),
                        (
                            "review_window_days",
                            models.PositiveSmallIntegerField(
                                default=90,
                                help_text="Dates typed outside this window are refused; it must leave room for the opening and due dates above.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(365),
                                ],
                                verbose_name="a quarterly review opens and is due at the latest this many days after its quarter ends",
                            ),
                        ),
                        (
                            "reminder_days_before_due",
                            models.CharField(
                                default="7,1",
                                help_text="Comma-separated numbers of days, for example 7,1.",
                                max_length=40,
                                verbose_name="remind this many days before the due date",
                            ),
                        ),
                        (
                            "overdue_reminder_every_days",
                            models.PositiveSmallIntegerField(
                                default=3,
                                help_text="Days.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(30),
                                ],
                                verbose_name="while overdue, remind every",
                            ),
                        ),
                        (
                            "escalate_after_days_overdue",
                            models.PositiveSmallIntegerField(
                                default=5,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(90),
                                ],
                                verbose_name="tell the executives when a check is this many days overdue",
                            ),
                        ),
                        (
                            "reminder_hour",
                            models.PositiveSmallIntegerField(
                                default=8,
                                validators=[django.core.validators.MaxValueValidator(23)],
                                verbose_name="send reminders from this hour (local time)",
                            ),
                        ),
                        (
                            "refresh_month",
                            models.PositiveSmallIntegerField(
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
                                default=11,
                                verbose_name="annual refresh: month",
                            ),
                        ),
                        (
                            "refresh_day",
                            models.PositiveSmallIntegerField(
                                default=1,
                                help_text="The refresh for a fiscal year starts on this date before the year begins.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(28),
                                ],
                                verbose_name="annual refresh: day",
                            ),
                        ),
                        (
                            "refresh_reminder_every_days",
                            models.PositiveSmallIntegerField(
                                default=7,
                                help_text="Days.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(60),
                                ],
                                verbose_name="remind executives of an unfinished refresh every",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "cadence settings",
                        "verbose_name_plural": "cadence settings",
                        "db_table": "alignment_cadencesettings",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("pk", 1)), name="one_cadence_settings_row"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalCadenceSettings",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "fiscal_year_start_month",
                            models.PositiveSmallIntegerField(
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
                        (
                            "time_zone",
                            models.CharField(
                                choices=reviews.models._time_zone_choices,
                                default="UTC",
                                max_length=64,
                            ),
                        ),
                        (
                            "open_days_after_quarter_end",
                            models.PositiveSmallIntegerField(
                                default=5,
                                validators=[django.core.validators.MaxValueValidator(60)],
                                verbose_name="open the quarterly review this many days after the quarter ends",
                            ),
                        ),
                        (
                            "due_days_after_opening",
                            models.PositiveSmallIntegerField(
                                default=14,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(60),
                                ],
                                verbose_name="checks are due this many days after opening",
                            ),
                        ),
                        (
                            "open_early_days",
                            models.PositiveSmallIntegerField(
                                default=7,
                                help_text="0: not before the first day of the quarter.",
                                validators=[django.core.validators.MaxValueValidator(31)],
                                verbose_name="a quarterly review may open this many days before its quarter starts",
                            ),
                        ),
                        (
                            "review_window_days",
                            models.PositiveSmallIntegerField(
                                default=90,
                                help_text="Dates typed outside this window are refused; it must leave room for the opening and due dates above.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(365),
                                ],
                                verbose_name="a quarterly review opens and is due at the latest this many days after its quarter ends",
                            ),
                        ),
                        (
                            "reminder_days_before_due",
                            models.CharField(
                                default="7,1",
                                help_text="Comma-separated numbers of days, for example 7,1.",
                                max_length=40,
                                verbose_name="remind this many days before the due date",
                            ),
                        ),
                        (
                            "overdue_reminder_every_days",
                            models.PositiveSmallIntegerField(
                                default=3,
                                help_text="Days.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(30),
                                ],
                                verbose_name="while overdue, remind every",
                            ),
                        ),
                        (
                            "escalate_after_days_overdue",
                            models.PositiveSmallIntegerField(
                                default=5,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(90),
                                ],
                                verbose_name="tell the executives when a check is this many days overdue",
                            ),
                        ),
                        (
                            "reminder_hour",
                            models.PositiveSmallIntegerField(
                                default=8,
                                validators=[django.core.validators.MaxValueValidator(23)],
                                verbose_name="send reminders from this hour (local time)",
                            ),
                        ),
                        (
                            "refresh_month",
                            models.PositiveSmallIntegerField(
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
                                default=11,
                                verbose_name="annual refresh: month",
                            ),
                        ),
                        (
                            "refresh_day",
                            models.PositiveSmallIntegerField(
                                default=1,
                                help_text="The refresh for a fiscal year starts on this date before the year begins.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(28),
                                ],
                                verbose_name="annual refresh: day",
                            ),
                        ),
                        (
                            "refresh_reminder_every_days",
                            models.PositiveSmallIntegerField(
                                default=7,
                                help_text="Days.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(60),
                                ],
                                verbose_name="remind executives of an unfinished refresh every",
                            ),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical cadence settings",
                        "verbose_name_plural": "historical cadence settings",
                        "db_table": "alignment_historicalcadencesettings",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
