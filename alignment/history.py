"""Readable change logs from django-simple-history records: who, when, before and after."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import formats, timezone

SKIPPED_FIELDS = {"id", "created_at", "updated_at"}
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


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
    record: object
    changes: list[Change] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return str(self.record.instance)


def _display(record, model_field: models.Field) -> str:
    value = getattr(record, model_field.attname)
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        try:
            related = getattr(record, model_field.name)
        except ObjectDoesNotExist:
            related = None
        if related is None:
            return f"#{value} (deleted)"
        if hasattr(related, "get_full_name"):
            return related.get_full_name() or related.get_username()
        return str(related)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def entries(*querysets, limit: int = 50) -> list[Entry]:
    """Merge the history of several historical querysets, newest first, with field diffs."""
    records = chain.from_iterable(
        qs.select_related("history_user").order_by("history_date", "history_id") for qs in querysets
    )
    result, previous = [], {}
    for record in sorted(records, key=lambda r: r.history_date):
        model = record.instance_type
        key = (model, record.id)
        before = previous.get(key)
        fields = [f for f in model._meta.concrete_fields if f.name not in SKIPPED_FIELDS]
        changes = []
        if record.history_type != "-":
            for f in fields:
                after_value = getattr(record, f.attname)
                before_value = getattr(before, f.attname) if before is not None else None
                if before is None and after_value in (None, ""):
                    continue
                if before is None or before_value != after_value:
                    changes.append(
                        Change(
                            f.verbose_name,
                            _display(before, f) if before is not None else "—",
                            _display(record, f),
                        )
                    )
        previous[key] = record
        if record.history_type == "~" and not changes:
            continue
        user = record.history_user
        result.append(
            Entry(
                when=record.history_date,
                who=(user.get_full_name() or user.username) if user else "system",
                action=ACTIONS[record.history_type],
                record=record,
                kind=str(model._meta.verbose_name),
                changes=changes,
            )
        )
    result.reverse()
    return result[:limit]
