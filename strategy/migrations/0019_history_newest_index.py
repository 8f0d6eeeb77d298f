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


def _index(name: str, table: str, columns: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"


def history_indexes(tables: list[str], extra: list[tuple] = ()) -> migrations.RunSQL:
    """The index on (id, history_date, history_id) of each table, and `extra` ones; reversible.
    The reviews and sustain apps' migrations of the same name use it for their tables."""
    indexes = [(f"{t}_newest", t, "id, history_date, history_id") for t in tables] + list(extra)
    return migrations.RunSQL(
        [_index(*index) for index in indexes],
        [f"DROP INDEX IF EXISTS {name}" for name, _, _ in indexes],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0018_model_verbose_names"),
    ]

    operations = [history_indexes(TABLES)]
