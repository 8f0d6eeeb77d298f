"""Reads that pages make on every request, compiled to SQL once per process.

Django builds and compiles a queryset's SQL anew each time it runs: for the small reads of a
busy page (a check's items, a user's roles) that Python work costs several times what the
database does. `@prepared` keeps the SQL that Django compiles for a queryset and runs it again
with other values, the way a prepared statement would:

    @prepared
    def _commitments(*, unit, objectives):
        return Commitment.objects.filter(unit_id=unit, objective_id__in=objectives).values_list(
            "id", "statement", "status"
        )

    rows = _commitments(unit=check.unit_id, objectives=[1, 2, 3])  # a list of tuples

The function returns a `values_list()` queryset. Its values are keyword arguments, each an int
or a str, or a list of them, that go into the query unchanged: ids, codes, states, years
(not dates, times or text searches, which lookups transform). An int beyond 64 bits (an id in
a made-up URL) reads no row, as Django's lookups of it do. The SQL is kept per shape (the
names given and the length of each list) and per database; everything that varies from one
call to the next must be an argument, never the clock or a setting read inside the function.

The SQL is the ORM's own, every value a query parameter, and the rows go through the ORM's
converters (SQLite's decimals, booleans and datetimes): a read returns what `list(queryset)`
would. To find where each value goes, the function is compiled twice with two sets of marker
values; the compiled texts must be the same and the parameters must differ exactly where the
markers are, or the function is refused (a value transformed on its way, or SQL that depends
on a value rather than on the shape).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from itertools import count

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections, models, router
from django.db.models.query import ValuesListIterable

# Two disjoint sets of markers, small enough for every integer column (a small integer's
# lookups treat a value out of its range as matching nothing), of other parities and lengths
# so that SQL which depends on a value rather than on the shape tends to come out different.
_MARKERS = ({int: 30001, str: "prepared-a-"}, {int: 31002, str: "prepared-bb-"})
_MAX_VALUES = 999  # per call, so that the two sets never meet
_INT64 = (-(2**63), 2**63 - 1)


class _Plan:
    """One shape's SQL: its text, where each value goes, and how rows are converted."""

    def __init__(self, sql, slots, alias, converters):
        self.sql, self.slots, self.alias, self.converters = sql, slots, alias, converters


_EMPTY = _Plan(None, (), None, ())  # an empty list: Django runs no query either


def prepared(build: Callable[..., models.QuerySet]) -> Callable[..., list[tuple]]:
    """Wrap `build(**values) -> values_list queryset` into `read(**values) -> rows`."""
    plans: dict[tuple, _Plan] = {}

    @functools.wraps(build)
    def read(**values) -> list[tuple]:
        shape = tuple(sorted(_shape(name, value) for name, value in values.items()))
        if any(kind is int and not _in_range(values[name]) for name, _, kind in shape):
            return []  # as Django's lookups of an id beyond any integer column: no row
        plan = plans.get(shape)
        if plan is None:
            plan = plans[shape] = _plan(build, shape)
        if plan is _EMPTY:
            return []
        params = [
            constant if name is None else values[name] if index is None else values[name][index]
            for name, index, constant in plan.slots
        ]
        connection = connections[plan.alias]
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if plan.converters:
            rows = [_converted(row, plan.converters, connection) for row in rows]
        return rows

    read.plans = plans  # for the tests
    return read


def _converted(row, converters, connection) -> tuple:
    """A row as SQLCompiler.apply_converters gives it, with this thread's connection."""
    row = list(row)
    for position, (functions, expression) in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return tuple(row)


def _in_range(value) -> bool:
    values = value if isinstance(value, list | tuple) else [value]
    return all(_INT64[0] <= v <= _INT64[1] for v in values)


def _shape(name: str, value) -> tuple[str, int | None, type]:
    """(name, length or None for a single value, int or str)."""
    single = not isinstance(value, list | tuple)
    values = [value] if single else value
    kinds = {type(v) for v in values}
    if not kinds <= {int, str} or len(kinds) > 1:
        raise TypeError(f"{name}: a prepared read takes an int or a str, or a list of either")
    if len(values) > _MAX_VALUES:
        raise ValueError(f"{name}: at most {_MAX_VALUES} values")
    return name, None if single else len(values), kinds.pop() if kinds else int


def _marked(shape: tuple, markers: dict) -> tuple[dict, dict]:
    """Marker values for every argument, and which (name, index) each marker stands for."""
    numbers = count()
    values, where = {}, {}

    def marker(kind, name, index):
        n = next(numbers)
        value = markers[int] + n if kind is int else f"{markers[str]}{n}"
        where[value] = (name, index)
        return value

    for name, length, kind in shape:
        values[name] = (
            marker(kind, name, None)
            if length is None
            else [marker(kind, name, i) for i in range(length)]
        )
    return values, where


def _compile(build, shape: tuple, markers: dict):
    values, where = _marked(shape, markers)
    queryset = build(**values)
    if queryset._iterable_class is not ValuesListIterable:  # not flat, not named: tuples
        raise ImproperlyConfigured(f"{build.__qualname__} must return a values_list() queryset")
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    return queryset.db, compiler, sql, list(params), where


def _plan(build, shape: tuple) -> _Plan:
    try:
        compiled = [_compile(build, shape, m) for m in _MARKERS]
    except EmptyResultSet:
        return _EMPTY
    (alias, compiler, sql, params_a, where_a), (_, _, sql_b, params_b, where_b) = compiled
    name = build.__qualname__
    if sql != sql_b or len(params_a) != len(params_b):
        raise ImproperlyConfigured(f"{name}: its SQL depends on its values, not on their shape")
    # A value may be in no slot: a condition on an empty list is left out, as Django does.
    slots = []
    for a, b in zip(params_a, params_b, strict=True):
        if a == b:
            slots.append((None, None, a))
            continue
        if a not in where_a or where_a[a] != where_b.get(b):
            raise ImproperlyConfigured(
                f"{name}: a value does not reach the SQL unchanged, or the SQL reads something "
                f"that is not an argument ({a!r} / {b!r})"
            )
        slots.append((*where_a[a], None))
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(fields):
        raise ImproperlyConfigured(f"{name}: composite fields are not read as tuples here")
    return _Plan(sql, tuple(slots), alias, tuple(compiler.get_converters(fields).items()))


def as_models(model: type[models.Model], fields, rows) -> list[models.Model]:
    """Instances of `model` from rows whose columns are `fields` (attnames, in any order; the
    model's other fields deferred), as the ORM loads them (Model.from_db)."""
    db = router.db_for_read(model)
    names = [f.attname for f in model._meta.concrete_fields if f.attname in fields]
    if len(names) != len(fields):
        raise ValueError(f"not fields of {model.__name__}: {set(fields) - set(names)}")
    where = [list(fields).index(name) for name in names]  # from_db takes the model's order
    return [model.from_db(db, names, [row[i] for i in where]) for row in rows]
