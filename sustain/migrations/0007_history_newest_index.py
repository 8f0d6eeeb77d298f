# The record before each of a history's newest (strategy.history.newest_entries_of): its row's
# latest record older than it, read by this index on each history table (the operation of
# alignment 0019_history_newest_index, for this app's tables).

import importlib

from django.db import migrations

history_indexes = importlib.import_module(
    "strategy.migrations.0019_history_newest_index"
).history_indexes

TABLES = [
    "reviews_historicalsignalsettings",
]


class Migration(migrations.Migration):
    dependencies = [
        ("sustain", "0006_signal_reason_phrase"),
        ("alignment", "0019_history_newest_index"),
    ]

    operations = [history_indexes(TABLES)]
