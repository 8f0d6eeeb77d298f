# The record before each of a history's newest (strategy.history.newest_entries_of): its row's
# latest record older than it, read by this index on each history table, where a window over
# every record of a page's rows grew with every save.

from django.db import migrations

TABLES = [
    "reviews_historicalsignalsettings",
]
EXTRA = []  # (name, table, columns): the newest records of a key, read as often


def _index(name: str, table: str, columns: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"


INDEXES = [(f"{t}_newest", t, "id, history_date, history_id") for t in TABLES] + EXTRA


class Migration(migrations.Migration):
    dependencies = [
        ("sustain", "0006_signal_reason_phrase"),
    ]

    operations = [
        migrations.RunSQL(
            [_index(*index) for index in INDEXES],
            [f"DROP INDEX IF EXISTS {name}" for name, _, _ in INDEXES],
        )
    ]
