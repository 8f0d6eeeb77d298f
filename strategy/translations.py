"""The strategy's texts in other languages, as executives write them.

What executives write (a position's statement, its customer priorities, competitors, objectives
and measures) is the company's own words: the product never machine-translates it. An executive
may enter each text in another of the product's languages (LANGUAGES); a reader of that
language then sees the translation, with the original one click away. A translation made
before its original last changed says so, until someone looks at it again.

`TEXTS` names the texts by kind and field; `texts_of` lists a position's, in the order of its
page; `shown_in` reads a language's translations of a position in one query and says, for each
text, what to show.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from strategy.models import (
    Competitor,
    ContentTranslation,
    CustomerPriority,
    Measure,
    Objective,
    StrategicPosition,
)

Kind = ContentTranslation.Kind

# The texts that may be translated, by kind: the model and its fields.
TEXTS: dict[str, tuple[type, tuple[str, ...]]] = {
    Kind.POSITION: (StrategicPosition, ("statement",)),
    Kind.PRIORITY: (CustomerPriority, ("title", "description")),
    Kind.COMPETITOR: (Competitor, ("positioning", "our_difference")),
    Kind.OBJECTIVE: (Objective, ("title", "description", "internal_message", "external_promise")),
    Kind.MEASURE: (Measure, ("name",)),
}
KIND_OF_MODEL = {model: kind for kind, (model, _) in TEXTS.items()}

Key = tuple[str, int, str]  # (kind, object id, field)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def language_name(code: str) -> str:
    return dict(settings.LANGUAGES)[code]


def is_language(code: str) -> bool:
    return code in dict(settings.LANGUAGES)


@dataclass(frozen=True)
class Text:
    """One text of a position that may be translated, and the row it is a field of."""

    kind: str
    row: object
    field: str

    @property
    def key(self) -> Key:
        return (self.kind, self.row.pk, self.field)

    @property
    def original(self) -> str:
        return getattr(self.row, self.field)

    @property
    def max_length(self) -> int | None:
        return self.row._meta.get_field(self.field).max_length

    @property
    def label(self) -> str:
        return str(self.row._meta.get_field(self.field).verbose_name)

    @property
    def heading(self) -> str:
        """What the row is, as the form groups its texts under it."""
        row = self.row
        if self.kind == Kind.POSITION:
            return gettext("The position")
        if self.kind == Kind.PRIORITY:
            return gettext("Customer priority %(rank)s: %(title)s") % {
                "rank": row.rank,
                "title": row.title,
            }
        if self.kind == Kind.COMPETITOR:
            return gettext("Competitor: %(name)s") % {"name": row.name}
        if self.kind == Kind.OBJECTIVE:
            return gettext("Objective: %(title)s") % {"title": row.title}
        return gettext("Measure: %(name)s") % {"name": row.name}


def texts_of(position: StrategicPosition) -> list[Text]:
    """Every text of `position` that has words, in its page's order: the statement, the
    priorities, the competitors, then each active objective followed by its measures."""
    rows: list[tuple[str, object]] = [(Kind.POSITION, position)]
    rows += [(Kind.PRIORITY, p) for p in position.priorities.order_by("rank")]
    rows += [(Kind.COMPETITOR, c) for c in position.competitors.order_by("name")]
    for objective in (
        position.objectives.active().prefetch_related("measures").order_by("order", "pk")
    ):
        rows.append((Kind.OBJECTIVE, objective))
        rows += [(Kind.MEASURE, m) for m in objective.measures.order_by("pk")]
    return [
        Text(kind, row, field)
        for kind, row in rows
        for field in TEXTS[kind][1]
        if getattr(row, field).strip()
    ]


def translations_of(position_id: int, language: str) -> dict[Key, ContentTranslation]:
    """A position's translations into `language`, by text, in one query."""
    return {
        (t.kind, t.object_id, t.field): t
        for t in ContentTranslation.objects.filter(position_id=position_id, language=language)
    }


@dataclass(frozen=True)
class Shown:
    """What a reader sees of one text: the translation into their language where there is
    one (the original one click away), else the original."""

    text: str
    original: str = ""
    language: str = ""
    is_older: bool = False  # translated before the original last changed

    @property
    def is_translated(self) -> bool:
        return bool(self.language)

    def __str__(self) -> str:
        return self.text


class Reading:
    """A position's texts as a reader of one language sees them: `of(row, field)`."""

    def __init__(self, found: dict[Key, ContentTranslation]):
        self.found = found

    def of(self, row, field: str) -> Shown:
        original = getattr(row, field)
        found = self.found.get((KIND_OF_MODEL[type(row)], row.pk, field))
        if found is None:
            return Shown(original)
        return Shown(
            found.text,
            original=original,
            language=found.language,
            is_older=found.original_digest != digest(original),
        )


NO_TRANSLATIONS = Reading({})


def reading(position_id: int | None, language: str | None = None) -> Reading:
    """The active language's (or `language`'s) translations of a position; none to read for
    the product's default language when nobody translated into it, or without a position."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    if position_id is None:
        return NO_TRANSLATIONS
    return Reading(translations_of(position_id, language))


@dataclass(frozen=True)
class LanguageCount:
    code: str
    name: str
    translated: int
    texts: int
    url: str


def languages_with_counts(position: StrategicPosition, *, texts: int = 0) -> list[LanguageCount]:
    """Each of the product's languages with how many of the position's `texts` it has a
    translation of (one query), and the page to translate into it."""
    counts = dict(
        ContentTranslation.objects.filter(position_id=position.pk)
        .values_list("language")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        LanguageCount(
            code,
            name,
            counts.get(code, 0),
            texts,
            reverse("strategy:position-translations", args=[position.fiscal_year, code]),
        )
        for code, name in settings.LANGUAGES
    ]


def saved_message(*, written: int, removed: int, language: str) -> str:
    name = language_name(language)
    if not written and not removed:
        return gettext("Nothing changed in the %(language)s texts.") % {"language": name}
    parts = []
    if written:
        parts.append(
            ngettext(
                "%(count)d translation into %(language)s saved.",
                "%(count)d translations into %(language)s saved.",
                written,
            )
            % {"count": written, "language": name}
        )
    if removed:
        parts.append(
            ngettext("%(count)d translation removed.", "%(count)d translations removed.", removed)
            % {"count": removed}
        )
    return " ".join(parts)


@transaction.atomic
def translations_save(
    *, position: StrategicPosition, language: str, entered: dict[Key, str], by
) -> tuple[int, int]:
    """Write what an executive entered for `language`: a text with words is the translation
    of its original as it is now; an emptied one removes the translation. Only the position's
    own texts are taken. Returns how many were written and removed."""
    texts = {text.key: text for text in texts_of(position)}
    existing = translations_of(position.pk, language)
    written = removed = 0
    for key, value in entered.items():
        text = texts.get(key)
        if text is None:
            continue
        value = value.strip()
        found = existing.get(key)
        if not value:
            if found is not None:
                found.delete()
                removed += 1
            continue
        original_digest = digest(text.original)
        if found is not None and found.text == value and found.original_digest == original_digest:
            continue  # unchanged: neither its history nor the content version moves
        kind, object_id, field = key
        ContentTranslation.objects.update_or_create(
            kind=kind,
            object_id=object_id,
            field=field,
            language=language,
            defaults={
                "position": position,
                "text": value,
                "original_digest": original_digest,
                "translated_by": by,
            },
        )
        written += 1
    return written, removed


def translations_copy(*, pairs: dict[tuple[str, int], int], source_id: int, target_id: int) -> None:
    """Copy a position's translations to its copy for the next year: `pairs` maps each
    (kind, row id) of the source to the id of its copy (the annual refresh)."""
    copies = [
        ContentTranslation(
            position_id=target_id,
            language=t.language,
            kind=t.kind,
            object_id=pairs[(t.kind, t.object_id)],
            field=t.field,
            text=t.text,
            original_digest=t.original_digest,
            translated_by_id=t.translated_by_id,
        )
        for t in ContentTranslation.objects.filter(position_id=source_id)
        if (t.kind, t.object_id) in pairs
    ]
    ContentTranslation.objects.bulk_create(copies)
