"""Helpers of the matrix tests: the people in column order and a snapshot of every project row."""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import connection, transaction

# The people every page is asked about, in the order of the tables' columns.
PEOPLE = ("anonymous", "outsider", "member", "head_a", "head_b", "executive", "admin")

# Sessions, axes' attempts and the last-login time are bookkeeping, not what the project knows.
SNAPSHOT_APPS = ("alignment", "reviews", "notifications", "reports", "sustain", "auth", "admin")
IGNORED_COLUMNS = {"auth.user": {"last_login"}}


def reset_token(user) -> str:
    """A password reset token valid now (it depends on the last login, which logging in moves)."""
    return default_token_generator.make_token(get_user_model().objects.get(pk=user.pk))


def snapshot_models() -> list:
    models = []
    for label in SNAPSHOT_APPS:
        models += apps.get_app_config(label).get_models(include_auto_created=True)
    return models


@functools.cache
def _queries() -> tuple[tuple[str, str], ...]:
    """One plain SELECT per table: the snapshot runs around every request, so it skips the ORM."""
    queries = []
    for model in snapshot_models():
        label = model._meta.label_lower
        ignored = IGNORED_COLUMNS.get(label, set())
        columns = [f.column for f in model._meta.concrete_fields if f.attname not in ignored]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        queries.append((label, f"SELECT {quoted} FROM {table} ORDER BY {pk}"))
    return tuple(queries)


def snapshot() -> dict[str, list]:
    """Every row of every project table (minus login bookkeeping), to compare before and after."""
    rows = {}
    with connection.cursor() as cursor:
        for label, sql in _queries():
            cursor.execute(sql)
            rows[label] = cursor.fetchall()
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    """The tables whose rows differ between two snapshots."""
    return sorted(
        label for label in before.keys() | after.keys() if before.get(label) != after.get(label)
    )


@contextmanager
def undone(client) -> Iterator[None]:
    """Requests made inside are rolled back (a savepoint) and the cookies they set forgotten, so
    the next request meets the same world, session and CSRF cookie."""
    cookies = deepcopy(client.cookies)
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
