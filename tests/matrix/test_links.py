"""Every link a person is shown opens: no page links to one that answers 403 or 404.

Starting from the home page, each person follows every link of the site's pages they reach
(two clicks deep), in the shared world of tests/matrix/conftest.py.
"""

from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

pytestmark = pytest.mark.django_db

SKIPPED_PREFIXES = ("/static/", "/media/")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        url, _ = urldefrag(href)
        parts = urlsplit(url)
        on_site = url.startswith("/") and not parts.scheme and not parts.netloc
        if on_site and not url.startswith(SKIPPED_PREFIXES):
            found.append(url)
    return found


def broken_links(client, *, depth: int = 2) -> dict[str, str]:
    """Link → "status, on page" for every link that does not answer 200 (after redirects)."""
    responses = {}
    broken: dict[str, str] = {}
    pages = ["/"]
    for _ in range(depth + 1):
        next_pages = []
        for page in pages:
            response = responses.setdefault(page, client.get(page, follow=True))
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            for link in links_of(response.content.decode()):
                if link not in responses:
                    responses[link] = client.get(link, follow=True)
                    next_pages.append(link)
                if responses[link].status_code != 200:
                    broken.setdefault(link, f"{responses[link].status_code}, on {page}")
        pages = next_pages
    return broken


@pytest.mark.parametrize("person", ["member", "head_a", "head_b", "executive", "admin"])
def test_every_link_a_person_sees_opens(world, client, person):
    client.force_login(world.people[person])

    assert broken_links(client) == {}
