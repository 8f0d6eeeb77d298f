"""The template strings nobody marked for translation.

A template's text outside {% translate %} / {% blocktranslate %}, and the values of the
attributes people read (title, aria-label, placeholder, alt, data-confirm, a button's value),
are unmarked when they contain a letter once the template's own tags and variables are taken
out, unless they are only the few words of ALLOWED. Script and style elements, and template
comments, are not read.

    python tests/i18n/template_lint.py     the count of unmarked strings per template folder
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import BLOCK_TAG_START, COMMENT_TAG_START, VARIABLE_TAG_START, tag_re

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Words that are the same in every language: formats, acronyms, the symbols between words.
ALLOWED = {"CSV", "XLSX", "PDF", "API", "JSON", "SVG", "URL", "ID", "×", "—", "·", "…"}
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-confirm"}
# Stands in for what the template fills in: no letter, so a variable alone is not a string.
HOLE = "\x1a"
LETTER = re.compile(r"[^\W\d_]")
SKIPPED_BLOCKS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans"}
SKIPPED_BLOCKS |= {"comment": "endcomment", "verbatim": "endverbatim"}


@dataclass(frozen=True)
class Unmarked:
    path: str  # relative to templates/
    line: int
    text: str

    def __str__(self) -> str:
        return f"templates/{self.path}:{self.line}: {self.text}"


def _skeleton(source: str) -> str:
    """The template as HTML with its tags, variables, comments and blocktranslate texts blanked
    out (to HOLE, keeping newlines), so that line numbers still match."""
    out: list[str] = []
    closing: str | None = None
    for bit in tag_re.split(source):
        is_tag = bit[:2] in (BLOCK_TAG_START, VARIABLE_TAG_START, COMMENT_TAG_START)
        if not is_tag and closing is None:
            out.append(bit)
            continue
        if bit.startswith(BLOCK_TAG_START):
            name = (bit[2:-2].split() or [""])[0]
            if closing is None and name in SKIPPED_BLOCKS:
                closing = SKIPPED_BLOCKS[name]
            elif name == closing:
                closing = None
        out.append(re.sub(r"[^\n]", HOLE, bit))
    return "".join(out)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style"):
            self.skip_depth += 1
        line = self.getpos()[0]
        attributes = dict(attrs)
        for name, value in attrs:
            readable = name in READ_ATTRIBUTES or (
                name == "value"
                and tag in ("input", "button")
                and attributes.get("type") in ("submit", "button", "reset")
            )
            if readable and value:
                self._check(line, value)

    def handle_endtag(self, tag) -> None:
        if tag in ("script", "style") and self.skip_depth:
            self.skip_depth -= 1

    def handle_data(self, data) -> None:
        if self.skip_depth:
            return
        start = self.getpos()[0]
        # Each piece of text between the template's tags on its own, on its own line.
        for piece in re.finditer(f"[^{HOLE}]+", data):
            self._check(start + data.count("\n", 0, piece.start()), piece.group())

    def _check(self, line: int, text: str) -> None:
        line += text[: len(text) - len(text.lstrip())].count("\n")
        words = " ".join(text.replace(HOLE, " ").split())
        if LETTER.search(words) and not all(_allowed(w) for w in words.split()):
            self.found.append((line, words))


def _allowed(word: str) -> bool:
    """A word of ALLOWED, a path or an address, or no word at all."""
    if word.startswith(("/", "http://", "https://", "mailto:")):
        return True
    return word.strip(".,:;()[]!?+-%'\"“”") in ALLOWED | {""}


def unmarked(path: Path) -> list[Unmarked]:
    reader = _Reader()
    reader.feed(_skeleton(path.read_text(encoding="utf-8")))
    reader.close()
    name = path.relative_to(TEMPLATES).as_posix()
    return [Unmarked(name, line, text) for line, text in reader.found]


def templates_under(entry: str) -> list[Path]:
    """The templates of a folder of templates/ ("reviews") or one template ("base.html")."""
    target = TEMPLATES / entry
    if target.is_file():
        return [target]
    return sorted(p for p in target.rglob("*") if p.is_file() and p.suffix in (".html", ".txt"))


def folder_of(path: Path) -> str:
    parts = path.relative_to(TEMPLATES).parts
    return parts[0] if len(parts) > 1 else "(top level)"


if __name__ == "__main__":
    counts: Counter[str] = Counter()
    for template in templates_under(""):
        counts[folder_of(template)] += len(unmarked(template))
    for folder, count in sorted(counts.items()):
        print(f"{folder:20} {count}")
    print(f"{'total':20} {sum(counts.values())}")
