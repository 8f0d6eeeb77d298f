"""The sustain app's models arrive from reviews; their tables keep their names
(db_table), and their content types follow them."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

MODELS = ("historicalsignalsettings", "signalsettings", "storedboard", "storedsignal")


def _move_content_types(apps, from_label, to_label):
    # The content types (and so the permissions and admin log entries) follow the models.
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=to_label, model=model).exists():
            ContentType.objects.filter(app_label=from_label, model=model).update(app_label=to_label)
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _move_content_types(apps, "reviews", "sustain")


def backwards(apps, schema_editor):
    _move_content_types(apps, "sustain", "reviews")


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0011_deliveries_reports_signals_move_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HistoricalSignalSettings",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "window",
                            models.PositiveSmallIntegerField(
                                default=4,
                                help_text="How many closed quarters the roller-coaster and lateness signals look at.",
                                validators=[
                                    django.core.validators.MinValueValidator(3),
                                    django.core.validators.MaxValueValidator(12),
                                ],
                                verbose_name="quarters looked at",
                            ),
                        ),
                        (
                            "roller_min_change",
                            models.FloatField(
                                default=15,
                                help_text="Points out of 100, on average from one quarter to the next.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(100),
                                ],
                                verbose_name="roller-coaster: mean change of at least",
                            ),
                        ),
                        (
                            "roller_min_reversals",
                            models.PositiveSmallIntegerField(
                                default=2,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(10),
                                ],
                                verbose_name="roller-coaster: direction changes at least",
                            ),
                        ),
                        (
                            "target_score",
                            models.FloatField(
                                default=75,
                                help_text="Out of 100: a quarter at or above it extends a streak; promises need teams scoring at least this.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(100),
                                ],
                                verbose_name="target score",
                            ),
                        ),
                        (
                            "funding_min_ratio",
                            models.FloatField(
                                default=0.5,
                                help_text="0.5: an objective with 30% of the weight and less than 15% of the funding.",
                                validators=[
                                    django.core.validators.MinValueValidator(0.05),
                                    django.core.validators.MaxValueValidator(1),
                                ],
                                verbose_name="funding: flag below this share of the weight",
                            ),
                        ),
                        (
                            "stale_quarters",
                            models.PositiveSmallIntegerField(
                                default=2,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(8),
                                ],
                                verbose_name="commitments are stale after (quarters)",
                            ),
                        ),
                        (
                            "late_cycles",
                            models.PositiveSmallIntegerField(
                                default=2,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(12),
                                ],
                                verbose_name="flag teams late or missing in at least (cycles)",
                            ),
                        ),
                        (
                            "close_grace_days",
                            models.PositiveSmallIntegerField(
                                default=14,
                                validators=[django.core.validators.MaxValueValidator(90)],
                                verbose_name="a review is closed on time up to (days after its due date)",
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
                        "verbose_name": "historical signal settings",
                        "verbose_name_plural": "historical signal settings",
                        "db_table": "reviews_historicalsignalsettings",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="SignalSettings",
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
                            "window",
                            models.PositiveSmallIntegerField(
                                default=4,
                                help_text="How many closed quarters the roller-coaster and lateness signals look at.",
                                validators=[
                                    django.core.validators.MinValueValidator(3),
                                    django.core.validators.MaxValueValidator(12),
                                ],
                                verbose_name="quarters looked at",
                            ),
                        ),
                        (
                            "roller_min_change",
                            models.FloatField(
                                default=15,
                                help_text="Points out of 100, on average from one quarter to the next.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(100),
                                ],
                                verbose_name="roller-coaster: mean change of at least",
                            ),
                        ),
                        (
                            "roller_min_reversals",
                            models.PositiveSmallIntegerField(
                                default=2,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(10),
                                ],
                                verbose_name="roller-coaster: direction changes at least",
                            ),
                        ),
                        (
                            "target_score",
                            models.FloatField(
                                default=75,
                                help_text="Out of 100: a quarter at or above it extends a streak; promises need teams scoring at least this.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(100),
                                ],
                                verbose_name="target score",
                            ),
                        ),
                        (
                            "funding_min_ratio",
                            models.FloatField(
                                default=0.5,
                                help_text="0.5: an objective with 30% of the weight and less than 15% of the funding.",
                                validators=[
                                    django.core.validators.MinValueValidator(0.05),
                                    django.core.validators.MaxValueValidator(1),
                                ],
                                verbose_name="funding: flag below this share of the weight",
                            ),
                        ),
                        (
                            "stale_quarters",
                            models.PositiveSmallIntegerField(
                                default=2,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(8),
                                ],
                                verbose_name="commitments are stale after (quarters)",
                            ),
                        ),
                        (
                            "late_cycles",
                            models.PositiveSmallIntegerField(
                                default=2,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(12),
                                ],
                                verbose_name="flag teams late or missing in at least (cycles)",
                            ),
                        ),
                        (
                            "close_grace_days",
                            models.PositiveSmallIntegerField(
                                default=14,
                                validators=[django.core.validators.MaxValueValidator(90)],
                                verbose_name="a review is closed on time up to (days after its due date)",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "signal settings",
                        "db_table": "reviews_signalsettings",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("pk", 1)), name="one_signal_settings_row"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="StoredBoard",
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
                        ("computed_at", models.DateTimeField(blank=True, null=True)),
                        ("stale_since", models.DateTimeField(blank=True, null=True)),
                        ("generation", models.PositiveIntegerField(default=0)),
                        ("stored_generation", models.PositiveIntegerField(default=0)),
                        ("signal_count", models.PositiveIntegerField(default=0)),
                        ("top_streaks", models.JSONField(default=list)),
                        ("summary", models.JSONField(default=dict)),
                    ],
                    options={
                        "db_table": "reviews_storedboard",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("pk", 1)), name="one_stored_board_row"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="StoredSignal",
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
                        ("order", models.PositiveIntegerField()),
                        ("kind", models.CharField(max_length=20)),
                        ("label", models.CharField(max_length=60)),
                        ("subject", models.CharField(max_length=300)),
                        ("reason", models.TextField()),
                        ("link", models.CharField(blank=True, max_length=300)),
                        ("team", models.PositiveIntegerField(blank=True, null=True)),
                        ("objective", models.PositiveIntegerField(blank=True, null=True)),
                        ("region", models.PositiveIntegerField(blank=True, null=True)),
                        ("flagged", models.BooleanField(default=True)),
                    ],
                    options={
                        "db_table": "reviews_storedsignal",
                        "ordering": ["order"],
                        "indexes": [
                            models.Index(fields=["team", "order"], name="storedsignal_team"),
                            models.Index(
                                fields=["objective", "order"], name="storedsignal_objective"
                            ),
                            models.Index(fields=["kind", "order"], name="storedsignal_kind"),
                            models.Index(fields=["region", "order"], name="storedsignal_region"),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
