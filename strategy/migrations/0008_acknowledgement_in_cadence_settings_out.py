"""Acknowledgement arrives from reviews, CadenceSettings (and its history) leaves for
reviews; no table changes (db_table keeps each one's name)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ("acknowledgement",)


def _move_content_types(apps, from_label, to_label):
    # The content types (and so the permissions and admin log entries) follow the models.
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=to_label, model=model).exists():
            ContentType.objects.filter(app_label=from_label, model=model).update(app_label=to_label)
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _move_content_types(apps, "reviews", "alignment")


def backwards(apps, schema_editor):
    _move_content_types(apps, "alignment", "reviews")


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0007_cadence_date_window"),
        ("reviews", "0006_acknowledgement_moves_to_strategy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Acknowledgement",
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
                        ("at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "position",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="acknowledgements",
                                to="alignment.strategicposition",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="acknowledgements",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_acknowledgement",
                    },
                ),
                migrations.AddConstraint(
                    model_name="acknowledgement",
                    constraint=models.UniqueConstraint(
                        fields=("user", "position"), name="one_acknowledgement"
                    ),
                ),
                migrations.DeleteModel(
                    name="CadenceSettings",
                ),
                migrations.DeleteModel(
                    name="HistoricalCadenceSettings",
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
