"""Readable change logs from django-simple-history records: who, when, before and after.

Diffs are computed on raw values; related rows (owners, units...) are then looked up in one
query per related model for the entries shown, so a page's query count does not grow with
its history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from itertools import chain
from types import SimpleNamespace

from django.db import models
from django.db.models import F, Window
from django.db.models.functions import Lag
from django.utils import formats, timezone

from strategy.prepared import prepared

SKIPPED_FIELDS = {"id", "created_at", "updated_at"}
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# The field that names a row in the log, by preference.
SUBJECT_FIELDS = ("title", "name", "statement", "text", "user", "theme", "fiscal_year", "objective")


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class Entry:
    when: datetime
    who: str
    action: str
    kind: str
    subject: str = ""
    changes: list[Change] = field(default_factory=list)


@dataclass
class _Pending:
    record: object
    fields: list[tuple[models.Field, object, object, bool]]  # field, before, after, had_before


@cache
def _fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in SKIPPED_FIELDS]


@cache
def _subject_field(model) -> models.Field | None:
    names = {f.name: f for f in model._meta.concrete_fields}
    return next((names[n] for n in SUBJECT_FIELDS if n in names), None)


def _display(value, model_field: models.Field, related: dict, texts: dict | None = None) -> str:
    if texts and value in texts:
        return texts[value]
    if value is None or value == "":
        return "—"
    if isinstance(model_field, models.ForeignKey):
        obj = related.get((model_field.related_model, value))
        if obj is None:
            return f"#{value} (deleted)"
        if hasattr(obj, "get_full_name"):
            return obj.get_full_name() or obj.get_username()
        return str(obj)
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def entries(
    *querysets,
    limit: int = 50,
    fields: dict[str, str] | None = None,
    values: dict[str, dict] | None = None,
    known: Iterable[models.Model] = (),
) -> list[Entry]:
    """Merge the history of several historical querysets, newest first, with field diffs.

    `fields` keeps only these fields (by name), shown under these labels; a change to no other
    field is then no entry. `values` shows a field's raw values as texts: {name: {value: text}}.
    `known` are related rows the caller has already read: they are not read again.
    """
    values = values or {}
    records = chain.from_iterable(
        qs.select_related("history_user").order_by("history_date", "history_id") for qs in querysets
    )
    kept: list[_Pending] = []
    previous = {}
    for record in sorted(records, key=lambda r: r.history_date):
        model = record.instance_type
        before = previous.get((model, record.id))
        previous[(model, record.id)] = record
        diffs = _diffs(record, before, fields)
        if record.history_type == "~" and not diffs:
            continue
        kept.append(_Pending(record, diffs))
    return _entries(kept[::-1][:limit], fields, values, known)


def newest_entries(
    queryset,
    *,
    limit: int,
    fields: dict[str, str] | None = None,
    values: dict[str, dict] | None = None,
    known: Iterable[models.Model] = (),
) -> tuple[list[Entry], bool]:
    """The newest `limit` entries of one historical queryset as `entries` gives them, and
    whether it holds older ones.

    Reads `limit` + 1 records, each with the values its row had before (a window function
    over the row's records), not the whole history: a page shows its newest changes at the
    same cost however long their history.
    """
    model = queryset.model.instance_type
    shown = [f for f in _fields(model) if fields is None or f.name in fields]
    over = {"partition_by": [F("id")], "order_by": [F("history_date").asc(), F("history_id")]}
    records = list(
        queryset.select_related("history_user")
        .annotate(
            before_history_id=Window(Lag("history_id"), **over),
            **{f"before_{f.attname}": Window(Lag(f.attname), **over) for f in shown},
        )
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    kept = []
    for record in records[:limit]:
        before = (
            SimpleNamespace(**{f.attname: getattr(record, f"before_{f.attname}") for f in shown})
            if record.before_history_id is not None
            else None
        )
        diffs = _diffs(record, before, fields)
        if record.history_type != "~" or diffs:
            kept.append(_Pending(record, diffs))
    return _entries(kept, fields, values or {}, known), len(records) > limit


def newest_entries_of(
    model: type[models.Model],
    *,
    key: str,
    value: int,
    limit: int,
    fields: dict[str, str] | None = None,
    values: dict[str, dict] | None = None,
    known: Iterable[models.Model] = (),
) -> tuple[list[Entry], bool]:
    """newest_entries(model.history.filter(**{key: value}), ...) in a prepared read
    (strategy.prepared), for a page that shows them on every request: the same records, the
    same entries, without building and compiling the query each time."""
    names = None if fields is None else tuple(fields)
    read, shown, columns = _newest_read(model, key, names, limit)
    rows = read(value=value)
    kept = []
    for row in rows[:limit]:
        named = dict(zip(columns, row, strict=True))
        record = _Row(
            instance_type=model,
            history_user=_HistoryUser(
                named.pop("history_user__first_name"),
                named.pop("history_user__last_name"),
                named.pop("history_user__username"),
            )
            if named["history_user_id"] is not None
            else None,
            **named,
        )
        before = (
            _Row(**{f.attname: named[f"before_{f.attname}"] for f in shown})
            if record.before_history_id is not None
            else None
        )
        diffs = _diffs(record, before, fields)
        if record.history_type != "~" or diffs:
            kept.append(_Pending(record, diffs))
    return _entries(kept, fields, values or {}, known), len(rows) > limit


class _Row:
    """A record as newest_entries_of reads it: its columns as attributes."""

    def __init__(self, **columns):
        self.__dict__.update(columns)


@dataclass
class _HistoryUser:
    """Who made a change, as a history entry names them (AbstractUser.get_full_name())."""

    first_name: str
    last_name: str
    username: str

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@cache
def _newest_read(model, key: str, names: tuple[str, ...] | None, limit: int):
    """The prepared read of newest_entries for one model, key and limit; the fields it shows;
    the names of its columns."""
    shown = [f for f in _fields(model) if names is None or f.name in names]
    subject = _subject_field(model)
    attnames = [f.attname for f in shown]
    if subject is not None and subject.attname not in attnames:
        attnames.append(subject.attname)
    columns = [
        "id",
        "history_date",
        "history_type",
        "history_user_id",
        "history_user__first_name",
        "history_user__last_name",
        "history_user__username",
        *attnames,
        "before_history_id",
        *(f"before_{f.attname}" for f in shown),
    ]
    over = {"partition_by": [F("id")], "order_by": [F("history_date").asc(), F("history_id")]}

    @prepared
    def read(*, value):
        return (
            model.history.filter(**{key: value})
            .annotate(
                before_history_id=Window(Lag("history_id"), **over),
                **{f"before_{f.attname}": Window(Lag(f.attname), **over) for f in shown},
            )
            .order_by("-history_date", "-history_id")
            .values_list(*columns)[: limit + 1]
        )

    return read, shown, columns


def _diffs(record, before, fields: dict[str, str] | None) -> list:
    """The fields a record changed, from the record before it (None: it is the first)."""
    diffs = []
    if record.history_type == "-":
        return diffs
    for f in _fields(record.instance_type):
        if fields is not None and f.name not in fields:
            continue
        after = getattr(record, f.attname)
        had_before = before is not None
        old = getattr(before, f.attname) if had_before else None
        if not had_before and after in (None, ""):
            continue
        if not had_before or old != after:
            diffs.append((f, old, after, had_before))
    return diffs


def _entries(kept: list[_Pending], fields, values: dict, known) -> list[Entry]:
    # One query per related model for every foreign key shown, subjects included.
    wanted = defaultdict(set)
    for pending in kept:
        subject = _subject_field(pending.record.instance_type)
        if isinstance(subject, models.ForeignKey):
            wanted[subject.related_model].add(getattr(pending.record, subject.attname))
        for f, old, new, _ in pending.fields:
            if isinstance(f, models.ForeignKey):
                wanted[f.related_model].update(v for v in (old, new) if v is not None)
    related = {(type(obj), obj.pk): obj for obj in known}
    for model, pks in wanted.items():
        missing = {pk for pk in pks if (model, pk) not in related}
        if missing:
            for pk, obj in model._default_manager.in_bulk(missing).items():
                related[(model, pk)] = obj

    result = []
    for pending in kept:
        record = pending.record
        model = record.instance_type
        subject_field = _subject_field(model)
        subject = (
            _display(getattr(record, subject_field.attname), subject_field, related)
            if subject_field
            else f"#{record.id}"
        )
        user = record.history_user
        result.append(
            Entry(
                when=record.history_date,
                who=(user.get_full_name() or user.username) if user else "system",
                action=ACTIONS[record.history_type],
                kind=str(model._meta.verbose_name),
                subject=subject,
                changes=[
                    Change(
                        fields[f.name] if fields is not None else str(f.verbose_name),
                        _display(old, f, related, values.get(f.name)) if had_before else "—",
                        _display(new, f, related, values.get(f.name)),
                    )
                    for f, old, new, had_before in pending.fields
                ],
            )
        )
    return result
