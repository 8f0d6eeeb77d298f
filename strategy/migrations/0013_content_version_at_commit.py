"""The content version moves on once per transaction, at its commit (PostgreSQL).

Migration 0011's statement triggers updated the version's one row in the writer's statement:
the row then stayed locked until the writer's commit, so a long import held up every other
writer of the strategy tables for as long as it ran, and two transactions that each wrote a
row the other then wrote waited for each other (a deadlock, one of them failed). Here the
triggers are constraint triggers deferred to the commit: the row is written as the writer
commits, after every other row it locked, and once however many rows and statements it
wrote (the first deferred event of a COMMIT marks the transaction, the others see the mark).
A reader still never sees the data of a commit with the version before it: both are in it.

SQLite needs nothing: it has one writer at a time, whose statement triggers stay.
"""

import importlib

from django.db import migrations

CONTENT_VERSION = importlib.import_module("strategy.migrations.0011_content_version")
TABLES = CONTENT_VERSION.TABLES
# The names of the constraint triggers (SET CONSTRAINTS takes them: tests that run inside one
# transaction, never committed, fire them at each statement instead).
CONSTRAINT_TRIGGERS = [f"{table}_content_version" for table in TABLES] + [
    "auth_user_content_version",
    "auth_user_name_content_version",
]
# Once per firing statement: at the commit, every deferred event fires within the COMMIT,
# which has one statement_timestamp(); set_config(..., true) forgets the mark at the
# transaction's end.
FUNCTION = f"""CREATE OR REPLACE FUNCTION alignment_content_version_bump_once() RETURNS trigger
AS $$
BEGIN
    IF current_setting('alignment.content_version_bumped', true)
            IS DISTINCT FROM statement_timestamp()::text THEN
        {CONTENT_VERSION.BUMP};
        PERFORM set_config('alignment.content_version_bumped', statement_timestamp()::text, true);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql"""
AT_COMMIT = "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
USER_NAME_CHANGED = " OR ".join(
    f"OLD.{column} IS DISTINCT FROM NEW.{column}"
    for column in CONTENT_VERSION.USER_COLUMNS.split(", ")
)
CREATE = [
    FUNCTION,
    *(
        f"CREATE CONSTRAINT TRIGGER {table}_content_version "
        f"AFTER INSERT OR UPDATE OR DELETE ON {table} {AT_COMMIT} "
        "EXECUTE FUNCTION alignment_content_version_bump_once()"
        for table in TABLES
    ),
    "CREATE CONSTRAINT TRIGGER auth_user_content_version AFTER INSERT OR DELETE ON auth_user "
    f"{AT_COMMIT} EXECUTE FUNCTION alignment_content_version_bump_once()",
    "CREATE CONSTRAINT TRIGGER auth_user_name_content_version "
    f"AFTER UPDATE OF {CONTENT_VERSION.USER_COLUMNS} ON auth_user {AT_COMMIT} "
    f"WHEN ({USER_NAME_CHANGED}) EXECUTE FUNCTION alignment_content_version_bump_once()",
]
DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_content_version ON {table}" for table in TABLES),
    "DROP TRIGGER IF EXISTS auth_user_content_version ON auth_user",
    "DROP TRIGGER IF EXISTS auth_user_name_content_version ON auth_user",
]


def at_commit(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in [*DROP, "DROP FUNCTION IF EXISTS alignment_content_version_bump()", *CREATE]:
        schema_editor.execute(statement)


def at_each_statement(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in [
        *DROP,
        "DROP FUNCTION IF EXISTS alignment_content_version_bump_once()",
        *CONTENT_VERSION.POSTGRESQL,
    ]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0012_measure_customer_felt"),
    ]

    operations = [
        migrations.RunPython(at_commit, at_each_statement),
    ]
