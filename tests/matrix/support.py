"""Helpers of the matrix tests: the people in column order and a snapshot of every project row."""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver

# The people every page is asked about, in the order of the tables' columns.
PEOPLE = ("anonymous", "outsider", "member", "head_a", "head_b", "executive", "admin")

# Sessions, axes' attempts and the last-login (and a token's last-use) time are bookkeeping, not
# what the project knows.
SNAPSHOT_APPS = (
    "alignment", "reviews", "notifications", "reports", "sustain", "api", "auth", "admin"
)  # fmt: skip
IGNORED_COLUMNS = {"auth.user": {"last_login"}, "api.accesstoken": {"last_used_at"}}
API_PREFIX = "api/v1/"  # the REST API's endpoints: their own table, test_api_matrix.py


def api_endpoint_names(resolver=None, namespace: str = "", route: str = "") -> set[str]:
    """The URL names of the REST API's endpoints (under /api/v1/), namespaced."""
    found = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        here = route + str(pattern.pattern).removeprefix("^")
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= api_endpoint_names(pattern, inner, here)
        elif isinstance(pattern, URLPattern) and here.startswith(API_PREFIX):
            found.add(f"{namespace}{pattern.name}")
    return found


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
