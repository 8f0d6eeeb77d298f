"""How the signals and the scores are computed, as pages of the product (docs/*.md)."""

import re

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from reviews import docs

pytestmark = pytest.mark.django_db

SIGNALS_DOC = reverse("reviews:doc-detail", args=["signals"])


def test_the_signals_page_links_to_how_each_signal_is_computed(login, executive):
    response = login(executive).get(reverse("sustain:signals"))

    assertContains(response, f'<a href="{SIGNALS_DOC}">How each signal is computed</a>')
    assertNotContains(response, "docs/signals.md")


def test_the_signals_doc_is_a_page_with_the_headings_of_docs_signals_md(login, executive):
    response = login(executive).get(SIGNALS_DOC)

    assert response.status_code == 200
    source = (django_settings.BASE_DIR / "docs" / "signals.md").read_text()
    headings = re.findall(r"^#{1,3} (.+)$", source, flags=re.MULTILINE)
    assert len(headings) > 3
    for heading in headings:
        assertContains(response, f">{heading}</h")
    assertContains(response, "<title>Sustained alignment: the signals", html=False)
    assertContains(response, '<table class="table table-sm">')


def test_links_between_the_docs_are_links_between_their_pages(login, member):
    client = login(member)
    response = client.get(SIGNALS_DOC)

    scoring = reverse("reviews:doc-detail", args=["scoring"])
    assertContains(response, f'<a href="{scoring}">scoring.md</a>')
    assertNotContains(response, 'href="scoring.md"')
    assert client.get(scoring).status_code == 200


def test_raw_html_in_a_doc_is_shown_as_text(settings, tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "signals.md").write_text(
        "# T\n\n<script>alert(1)</script> [x](javascript:alert(1))\n"
    )
    settings.BASE_DIR = tmp_path
    docs.doc.cache_clear()
    try:
        html = docs.doc("signals").html
    finally:
        docs.doc.cache_clear()

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html


def test_only_the_listed_docs_are_pages(login, member):
    client = login(member)

    assert client.get(reverse("reviews:doc-detail", args=["architecture"])).status_code == 404
    assert client.get("/reviews/help/..%2Fpyproject/").status_code == 404
