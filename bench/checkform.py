"""The check form as a browser would post it, read from the check page's HTML.

Shared by `python -m bench` (in-process autosaves) and bench.loadgen (the load test's users);
it imports no Django.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

SCORE_FIELD = re.compile(r"^item-(\d+)-score_(\w+)$")
VERSION = re.compile(r'id="check-version" value="(\d+)"')


class CheckForm(HTMLParser):
    """The fields of the check form with the values a browser would post."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._in_form = a.get("id") == "check-form"
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            self.fields[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            # A select posts its selected option, or its first one when none is selected.
            if "selected" in a or self._select not in self.fields:
                self.fields[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def check_fields(html: str) -> dict[str, str]:
    """The check form's fields and values; empty if the page has no editable check form."""
    form = CheckForm()
    form.feed(html)
    fields = {k: v.removeprefix("\n") for k, v in form.fields.items()}
    if not any(SCORE_FIELD.match(name) for name in fields) or "version" not in fields:
        return {}
    return fields
