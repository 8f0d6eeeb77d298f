"""Sentences the product writes and keeps, shown in the reader's language.

A sentence stored as text (a signal's reason, a line of a frozen snapshot) stays in the language
it was written in. A `Phrase` keeps what the sentence is made of instead: its msgid (with its
plural and the name of the parameter that counts, or its context) and its parameters, which
may be phrases themselves, numbers, strings (names, figures already formatted) or lists of
phrases joined by a separator (`joined`). `str()` renders it with gettext, ngettext or pgettext
in the language active then; `to_json()` and `from_json()` store it (a JSONField, a snapshot).

The constructors are called like the gettext functions makemessages knows, so every msgid is
extracted where it is written (plurals as plural entries), with its `# Translators:` comment:

    phrases.gettext_lazy("%(team)s: every lever scored 5 in %(latest)s.", team=..., latest=...)
    phrases.ngettext_lazy("%(count)s amount...", "%(count)s amounts...", "count", count=n, ...)
    phrases.pgettext_lazy("promise topic", "delivery")
    phrases.npgettext_lazy("context", "one ...", "%(count)s ...", "count", count=n)

As with Django's ngettext_lazy given a name instead of a number, the third argument of
ngettext_lazy is the name of the parameter whose value chooses the plural form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from django.utils.translation import gettext, ngettext, npgettext, pgettext

_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True, slots=True)
class Phrase:
    msgid: str
    params: Mapping = field(default_factory=dict)
    plural: str = ""  # the plural msgid; `count` names the parameter that chooses the form
    count: str = ""
    context: str = ""
    lower: bool = False  # lower-cased once rendered (a label inside a sentence)
    suffix: str = ""  # punctuation put after it, not translated

    def __str__(self) -> str:
        if self.plural:
            number = self.params[self.count]
            if self.context:
                text = npgettext(self.context, self.msgid, self.plural, number)
            else:
                text = ngettext(self.msgid, self.plural, number)
        elif self.context:
            text = pgettext(self.context, self.msgid)
        else:
            text = gettext(self.msgid)
        if self.params:
            values = {name: _render(value) for name, value in self.params.items()}  # numbers stay
            try:
                text = text % values
            except (KeyError, ValueError, TypeError):
                # A translation whose placeholders do not match its msgid's: the English.
                plural = self.plural and self.params[self.count] != 1
                text = (self.plural if plural else self.msgid) % values
        if self.lower:
            text = text.lower()
        return text + self.suffix

    def to_json(self) -> dict:
        data = {"msgid": self.msgid}
        if self.plural:
            data["plural"] = self.plural
            data["count"] = self.count
        if self.context:
            data["context"] = self.context
        if self.lower:
            data["lower"] = True
        if self.suffix:
            data["suffix"] = self.suffix
        if self.params:
            data["params"] = {name: _encode(value) for name, value in self.params.items()}
        return data

    @classmethod
    def from_json(cls, data: Mapping) -> Phrase:
        return cls(
            data["msgid"],
            {name: _decode(value) for name, value in data.get("params", {}).items()},
            plural=data.get("plural", ""),
            count=data.get("count", ""),
            context=data.get("context", ""),
            lower=data.get("lower", False),
            suffix=data.get("suffix", ""),
        )

    def ending(self, suffix: str) -> Phrase:
        """The same phrase with punctuation after it ("." closing a sentence)."""
        return replace(self, suffix=self.suffix + suffix)

    def lowered(self) -> Phrase:
        """The same phrase lower-cased once rendered (a label inside a sentence)."""
        return replace(self, lower=True)


@dataclass(frozen=True, slots=True)
class Joined:
    """Parameters rendered one after the other with a separator between them: a phrase when it
    is a word (" and "), a string when it is punctuation (", ")."""

    items: tuple
    separator: Phrase | str = ", "

    def __str__(self) -> str:
        return str(self.separator).join(str(item) for item in self.items)


def gettext_lazy(message: str, /, **params) -> Phrase:
    return Phrase(message, params)


def ngettext_lazy(singular: str, plural: str, count: str, /, **params) -> Phrase:
    if count not in params:
        raise TypeError(f"the parameter {count!r} that chooses the plural form is missing")
    return Phrase(singular, params, plural=plural, count=count)


def pgettext_lazy(context: str, message: str, /, **params) -> Phrase:
    return Phrase(message, params, context=context)


def npgettext_lazy(context: str, singular: str, plural: str, count: str, /, **params) -> Phrase:
    return replace(ngettext_lazy(singular, plural, count, **params), context=context)


def joined(items: Iterable, separator: Phrase | str = ", ") -> Joined:
    return Joined(tuple(items), separator)


def _render(value):
    return str(value) if isinstance(value, (Phrase, Joined)) else value


def _encode(value):
    if isinstance(value, Phrase):
        return {"phrase": value.to_json()}
    if isinstance(value, Joined):
        return {"join": [_encode(item) for item in value.items], "sep": _encode(value.separator)}
    if isinstance(value, _SCALARS):
        return value
    # A lazy string or a model would be stored as the words of the language it is read in.
    raise TypeError(f"a phrase cannot store a {type(value).__name__}: give a Phrase or a value")


def _decode(value):
    if isinstance(value, dict):
        if "phrase" in value:
            return Phrase.from_json(value["phrase"])
        if "join" in value:
            return Joined(tuple(_decode(item) for item in value["join"]), _decode(value["sep"]))
    return value


def text(data: Mapping | None, fallback: str = "") -> str:
    """A stored phrase rendered in the active language; `fallback` (the text stored beside it)
    for a row or a snapshot written before phrases were kept, or a phrase that cannot be read."""
    if not data:
        return fallback
    try:
        return str(Phrase.from_json(data))
    except (KeyError, TypeError, ValueError, AttributeError):
        return fallback
