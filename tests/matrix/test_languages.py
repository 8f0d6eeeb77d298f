"""Every page each person reaches, read in German, French and Spanish, shows none of the
catalogue's English: a string that was marked but is shown without passing through gettext
(stored English, a sentence built before the language was active) is found here.

Each person follows the links from the home page (two clicks deep, as tests/matrix/test_links.py
does) with their browser asking for the language; the text a reader sees (text nodes, and the
title, aria-label, placeholder and alt attributes) must contain no English msgid of the
catalogue whose translation differs from it.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from tests.matrix.test_links import links_of

pytestmark = pytest.mark.django_db

LANGUAGES = ("de", "fr", "es")
PEOPLE = ("member", "head_a", "executive", "admin")
SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
# The product's documentation (docs/*.md, served under /reviews/help/) is written in English;
# its pages say so (lang="en").
ENGLISH_PAGES = "/reviews/help/"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|<[^>]+>|&\w+;")
# English fragments this short or with fewer words are too likely to be names, codes or words
# both languages share ("Status", "API", "Logistics").
SHORTEST = 12
FEWEST_WORDS = 2


class _Shown(HTMLParser):
    """The text a reader sees of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = _Shown()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_fragments(language: str) -> set[str]:
    """The catalogue's English that a reader of `language` must never see: each msgid (and
    plural) cut at its placeholders and tags, the fragments long enough to be sentences,
    where the translation is not the same words."""
    path = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    found = set()
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs = [(ids[0], strings[0]), (ids[-1], strings[-1])]
        for english, translated in pairs:
            if not translated or " ".join(english.split()) == " ".join(translated.split()):
                continue
            for fragment in PLACEHOLDER.split(english):
                fragment = " ".join(fragment.split()).strip(" .,:;·")
                words = re.findall(r"[A-Za-z]{2,}", fragment)
                long_enough = len(fragment) >= SHORTEST and len(words) >= FEWEST_WORDS
                if long_enough and fragment not in translated:
                    found.add(fragment)
    return found


def pages_reached(client, language: str, depth: int = 2) -> dict[str, str]:
    """URL → the text shown, for every HTML page reached from the home page."""
    shown: dict[str, str] = {}
    pages, seen = ["/"], {"/"}
    for _ in range(depth + 1):
        next_pages = []
        for page in pages:
            response = client.get(page, follow=True, HTTP_ACCEPT_LANGUAGE=language)
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            html = response.content.decode()
            if not page.startswith(ENGLISH_PAGES):
                shown[page] = shown_text(html)
            for link in links_of(html):
                if link not in seen:
                    seen.add(link)
                    next_pages.append(link)
        pages = next_pages
    return shown


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("person", PEOPLE)
def test_no_page_shows_the_catalogue_s_english(world, client, person, language):
    client.force_login(world.people[person])
    english = english_fragments(language)
    assert len(english) > 100  # the catalogue is the product's, translated

    untranslated = {
        page: sorted(fragment for fragment in english if fragment in text)
        for page, text in pages_reached(client, language).items()
    }

    assert {page: found for page, found in untranslated.items() if found} == {}
