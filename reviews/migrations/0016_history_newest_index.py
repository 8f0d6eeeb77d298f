# The record before each of a history's newest (strategy.history.newest_entries_of): its row's
# latest record older than it, read by this index on each history table, where a window over
# every record of a page's rows grew with every save.

from django.db import migrations

TABLES = [
    "reviews_historicalreviewcycle",
    "reviews_historicalalignmentcheck",
    "reviews_historicalcheckitem",
    "reviews_historicalexecutivescore",
    "reviews_historicalrubricquestion",
    "reviews_historicalaction",
    "alignment_historicalcadencesettings",
]
EXTRA = [
    (
        "reviews_historicalcheckitem_check_newest",
        "reviews_historicalcheckitem",
        "alignment_check_id, history_date, history_id",
    ),
]  # (name, table, columns): the newest records of a key, read as often


def _index(name: str, table: str, columns: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"


INDEXES = [(f"{t}_newest", t, "id, history_date, history_id") for t in TABLES] + EXTRA


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0015_model_verbose_names"),
    ]

    operations = [
        migrations.RunSQL(
            [_index(*index) for index in INDEXES],
            [f"DROP INDEX IF EXISTS {name}" for name, _, _ in INDEXES],
        )
    ]
