"""The check form as a browser would post it, read from the check page's HTML.

Shared by `python -m bench` (in-process autosaves) and bench.loadgen (the load test's users);
it imports no Django. The page is the product's own HTML, so regular expressions over the
form's tags read it: the load generator opens two hundred checks of 75 kB as it starts, and
an HTML parser spent seconds of the cores it shares with the server on them.
"""

from __future__ import annotations

import re
from html import unescape

SCORE_FIELD = re.compile(r"^item-(\d+)-score_(\w+)$")
VERSION = re.compile(r'id="check-version" value="(\d+)"')

# The tags of the fields: an input; a select with its options; a textarea with its text.
FIELD = re.compile(
    r"<input\b(?P<input>[^>]*)>"
    r"|<select\b(?P<select>[^>]*)>(?P<options>.*?)</select>"
    r"|<textarea\b(?P<textarea>[^>]*)>(?P<text>.*?)</textarea>",
    re.S,
)
OPTION = re.compile(r"<option\b([^>]*)>", re.S)
SELECTED = re.compile(r"<option\b([^>]*\bselected\b[^>]*)>", re.S)
ATTRIBUTE = re.compile(r'([^\s=/>]+)(?:\s*=\s*"([^"]*)")?')
NOT_POSTED = ("submit", "button")


def _attributes(text: str) -> dict[str, str | None]:
    return {
        name.lower(): unescape(value) if value is not None else None
        for name, value in ATTRIBUTE.findall(text)
    }


def check_fields(html: str) -> dict[str, str]:
    """The check form's fields and values; empty if the page has no editable check form."""
    start = html.find('id="check-form"')
    form = html[start : html.find("</form>", start)] if start >= 0 else ""
    fields: dict[str, str] = {}
    for tag in FIELD.finditer(form):
        if tag["input"] is not None:
            a = _attributes(tag["input"])
            if a.get("name") and a.get("type") not in NOT_POSTED:
                fields[a["name"]] = a.get("value") or ""
        elif tag["select"] is not None:
            name = _attributes(tag["select"]).get("name")
            # A select posts its selected option, or its first one when none is selected.
            chosen = SELECTED.search(tag["options"]) or OPTION.search(tag["options"])
            if name and chosen is not None:
                fields[name] = _attributes(chosen[1]).get("value") or ""
        else:
            name = _attributes(tag["textarea"]).get("name")
            if name:
                # A textarea's first newline is not part of its value.
                fields[name] = unescape(tag["text"]).removeprefix("\n")
    if not any(SCORE_FIELD.match(name) for name in fields) or "version" not in fields:
        return {}
    return fields
