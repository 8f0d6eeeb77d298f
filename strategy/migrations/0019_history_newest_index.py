# The record before each of a history's newest (strategy.history.newest_entries_of): its row's
# latest record older than it, read by this index on each history table, where a window over
# every record of a page's rows grew with every save.

from django.db import migrations

TABLES = [
    "alignment_historicalcompanysettings",
    "alignment_historicalexchangerate",
    "alignment_historicalstrategicposition",
    "alignment_historicalpositioningtheme",
    "alignment_historicalcustomerpriority",
    "alignment_historicalcompetitor",
    "alignment_historicalobjective",
    "alignment_historicalmeasure",
    "alignment_historicalmeasureplanpoint",
    "alignment_historicalmeasureactual",
    "alignment_historicalunit",
    "alignment_historicalmembership",
    "alignment_historicalcommitment",
    "alignment_historicalssoidentity",
    "alignment_historicalcontenttranslation",
]
EXTRA = []  # (name, table, columns): the newest records of a key, read as often


def _index(name: str, table: str, columns: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"


INDEXES = [(f"{t}_newest", t, "id, history_date, history_id") for t in TABLES] + EXTRA


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0018_model_verbose_names"),
    ]

    operations = [
        migrations.RunSQL(
            [_index(*index) for index in INDEXES],
            [f"DROP INDEX IF EXISTS {name}" for name, _, _ in INDEXES],
        )
    ]
