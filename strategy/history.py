"""Readable change logs from django-simple-history records: who, when, before and after.

Each record is read with its row's record before it (a window function names it), so a page
reads only the records it shows; diffs are computed on raw values; related rows (owners, units...)
are then looked up in one query per related model for the entries shown, so a page's query
count does not grow with its history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Window
from django.db.models.functions import Lag
from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext
from simple_history import manager
from simple_history import models as history_models

from strategy.prepared import prepared


class HistoryManager(manager.HistoryManager):
    """simple_history's manager, whose class is made once per queryset class: the library's
    descriptor makes it on every access (`Model.history`, `row.history`), and building a
    manager class (inspect.getmembers of the queryset) cost an autosave a fifth of a
    millisecond for its two history writes."""

    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        return _manager_class(cls, queryset_class, class_name)


@cache
def _manager_class(cls, queryset_class, class_name):
    return super(HistoryManager, cls).from_queryset(queryset_class, class_name)


class HistoricalRecords(history_models.HistoricalRecords):
    """simple_history's HistoricalRecords, with the HistoryManager above: every model with a
    history declares it with this one."""

    def __init__(self, *args, history_manager=HistoryManager, **kwargs):
        super().__init__(*args, history_manager=history_manager, **kwargs)


SKIPPED_FIELDS = {"id", "created_at", "updated_at"}
# What an entry says was done to its row: a code, put into words when it is shown
# (strategy/templatetags/history_tags.py).
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
            # Translators: a related row that no longer exists, by its number: "#12 (deleted)".
            return gettext("#%(id)s (deleted)") % {"id": value}
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
        return pgettext("history value", "yes") if value else pgettext("history value", "no")
    return str(value)


PER_PAGE = 50  # entries on a page of a whole history, and at most on a page that shows its newest


@dataclass(frozen=True)
class Records:
    """The history of `model`'s rows whose `key` is `value` (an id): what
    `model.history.filter(**{key: value})` holds, in a form newest_entries reads as a
    prepared read (strategy.prepared), its SQL compiled once per process."""

    model: type[models.Model]
    key: str
    value: int


def newest_entries(
    *histories,
    limit: int = PER_PAGE,
    offset: int = 0,
    fields: dict[str, str] | None = None,
    values: dict[str, dict] | None = None,
    known: Iterable[models.Model] = (),
) -> tuple[list[Entry], bool]:
    """The newest `limit` entries of these histories (after the newest `offset`), newest
    first, with field diffs, and whether there are older ones. Each history is a row (a model
    instance) for its own history, Records, or a historical queryset.

    Reads `offset + limit + 1` records of each history and the record before each of them,
    in one query per history, not the whole history: a page shows its newest changes at the
    same cost however long their history. The newest (no `offset`) of a row or Records are
    prepared reads. Records of the same time come in the order of the histories, last first.

    `fields` keeps only these fields (by name), shown under these labels; a change to no other
    field is then no entry. `values` shows a field's raw values as texts: {name: {value: text}}.
    `known` are related rows the caller has already read: they are not read again.
    """
    wanted = offset + limit + 1
    records = []
    for index, found in enumerate(histories):
        if isinstance(found, models.Model):
            found = Records(type(found), "id", found.pk)
        if isinstance(found, Records) and not offset:
            read = _prepared_newest(found, fields, wanted)
        elif isinstance(found, Records) and found.key == "id":
            read = _newest_of_row(found, wanted)
        elif isinstance(found, Records):
            read = _newest(found.model.history.filter(**{found.key: found.value}), wanted)
        else:
            read = _newest(found, wanted)
        records += [(r.history_date, index, r.history_id, r, before) for r, before in read]
    records.sort(key=lambda found: found[:3], reverse=True)
    kept = []
    for *_, record, before in records[offset : offset + limit]:
        diffs = _diffs(record, before, fields)
        if record.history_type != "~" or diffs:
            kept.append(_Pending(record, diffs))
    return _entries(kept, fields, values or {}, known), len(records) > offset + limit


def _prepared_newest(records: Records, fields: dict[str, str] | None, count: int) -> list:
    """_newest of Records through the prepared read newest_entries_of makes: (record, the
    record before it) of the newest `count`."""
    names = None if fields is None else tuple(fields)
    read, shown, columns = _newest_read(records.model, records.key, names, count - 1)
    return [
        _record_and_before(records.model, shown, columns, row) for row in read(value=records.value)
    ]


def _newest(queryset, count: int) -> list[tuple]:
    """The newest `count` records of a historical queryset, newest first, each with the
    record of its row before it (None: it is the first), read together: the newest records
    and those the window function names before them."""
    over = {"partition_by": [F("id")], "order_by": [F("history_date").asc(), F("history_id")]}
    newest = queryset.annotate(before_id=Window(Lag("history_id"), **over)).order_by(
        "-history_date", "-history_id"
    )[:count]
    read = sorted(
        queryset.filter(
            Q(history_id__in=newest.values("history_id"))
            | Q(history_id__in=newest.values("before_id"))
        ).select_related("history_user"),
        key=lambda r: (r.history_date, r.history_id),
    )
    # A row's records read are its newest and the one before them: each one's record before
    # it is the row's previous one read. Those read only as a record before are older than
    # every newest one.
    before, last = {}, {}
    for record in read:
        before[record.history_id] = last.get(record.id)
        last[record.id] = record
    return [(record, before[record.history_id]) for record in read[::-1][:count]]


def _newest_of_row(row: Records, count: int) -> list[tuple]:
    """_newest of one row's own history (Records by "id"): its records in order are each
    one's record before the next, so the newest `count` and the one before them are all it
    reads."""
    records = list(
        row.model.history.filter(id=row.value)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: count + 1]
    )
    return [
        (record, records[i + 1] if i + 1 < len(records) else None)
        for i, record in enumerate(records[:count])
    ]


def history_page(*histories, page=None, per_page: int = PER_PAGE, **options) -> dict:
    """A page of a whole history, newest first (newest_entries, with its `options`), for a
    history page's template: its entries (`history`) and its page number with those of the
    pages of newer and older changes (`history_page`). A page past the end is the first."""
    try:
        number = max(1, int(page or 1))
    except (TypeError, ValueError):
        number = 1
    found, more = newest_entries(
        *histories, limit=per_page, offset=(number - 1) * per_page, **options
    )
    if number > 1 and not found and not more:
        return history_page(*histories, page=1, per_page=per_page, **options)
    return {
        "history": found,
        "history_page": {
            "number": number,
            "newer": number - 1 if number > 1 else None,
            "older": number + 1 if more else None,
        },
    }


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
        record, before = _record_and_before(model, shown, columns, row)
        diffs = _diffs(record, before, fields)
        if record.history_type != "~" or diffs:
            kept.append(_Pending(record, diffs))
    return _entries(kept, fields, values or {}, known), len(rows) > limit


def _record_and_before(model, shown, columns, row) -> tuple:
    """A row of _newest_read as a record and the record before it (None: it is the first)."""
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
        _Row(**{f.attname: _as_stored(f, named[f"before_{f.attname}"]) for f in shown})
        if record.before_history_id is not None
        else None
    )
    return record, before


def _as_stored(model_field: models.Field, value):
    """A value read through a window function as its column gives it: PostgreSQL returns a
    decimal without its field's places (95 for 95.00)."""
    if value is not None and isinstance(model_field, models.DecimalField):
        return Decimal(value).quantize(Decimal(1).scaleb(-model_field.decimal_places))
    return value


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
        "history_id",
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

    @prepared
    def read(*, value):
        # The record before each of the newest: its row's latest record older than it, read
        # for those alone (by the (id, history_date, history_id) index each history table
        # has), not a window over every record of the key, which grew with every save.
        before = (
            model.history.filter(id=OuterRef("id"))
            .filter(
                Q(history_date__lt=OuterRef("history_date"))
                | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
            )
            .order_by("-history_date", "-history_id")
        )
        return (
            model.history.filter(**{key: value})
            .annotate(
                before_history_id=Subquery(before.values("history_id")[:1]),
                **{f"before_{f.attname}": Subquery(before.values(f.attname)[:1]) for f in shown},
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
    # The labels and texts are often lazy: translated once here, not once per change (and
    # again by every cache a lazy string is hashed for).
    if fields is not None:
        fields = {name: str(label) for name, label in fields.items()}
    values = {name: {k: str(t) for k, t in texts.items()} for name, texts in values.items()}
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

    kinds = {}  # each model's name, translated once
    result = []
    for pending in kept:
        record = pending.record
        model = record.instance_type
        if model not in kinds:
            kinds[model] = str(model._meta.verbose_name)
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
                who=(user.get_full_name() or user.username) if user else gettext("system"),
                action=ACTIONS[record.history_type],
                kind=kinds[model],
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
