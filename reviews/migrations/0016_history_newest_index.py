# The record before each of a history's newest (strategy.history.newest_entries_of): its row's
# latest record older than it, read by this index on each history table (the operation of
# alignment 0019_history_newest_index, for this app's tables).

import importlib

from django.db import migrations

history_indexes = importlib.import_module(
    "strategy.migrations.0019_history_newest_index"
).history_indexes

TABLES = [
    "reviews_historicalreviewcycle",
    "reviews_historicalalignmentcheck",
    "reviews_historicalcheckitem",
    "reviews_historicalexecutivescore",
    "reviews_historicalrubricquestion",
    "reviews_historicalaction",
    "alignment_historicalcadencesettings",
]
# The newest records of a check, read at every check page.
EXTRA = [
    (
        "reviews_historicalcheckitem_check_newest",
        "reviews_historicalcheckitem",
        "alignment_check_id, history_date, history_id",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0015_model_verbose_names"),
        ("alignment", "0019_history_newest_index"),
    ]

    operations = [history_indexes(TABLES, EXTRA)]
