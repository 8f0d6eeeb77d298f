"""Acknowledgement moves to the strategy app (label alignment); its table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0005_signals"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name="Acknowledgement",
                ),
            ],
        ),
    ]
