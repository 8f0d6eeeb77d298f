"""Every string a person reads in a template is marked for translation.

The check runs on the folders (or single templates) of templates/ listed in FOLDERS_MARKED:
add a folder once its strings are marked, and it must stay so.
`python tests/i18n/template_lint.py` counts what is still unmarked in each folder.
"""

import pytest

from tests.i18n import template_lint

# The parts of templates/ whose strings are all marked: a folder ("reviews") or one template.
FOLDERS_MARKED = {
    "base.html",
    "403.html",
    "404.html",
    "500.html",
    "_history.html",
    "_page_footer.html",
    "_page_header.html",
    "admin",
    "api",
    "emails",
    "notifications",
    "reports",
    "registration",
    "reviews",
    "strategy",
    "sustain",
    "twofactor",
}


@pytest.mark.parametrize("entry", sorted(FOLDERS_MARKED))
def test_every_string_a_person_reads_is_marked(entry):
    templates = template_lint.templates_under(entry)
    assert templates, f"templates/{entry} has no template"
    unmarked = [str(u) for template in templates for u in template_lint.unmarked(template)]
    assert not unmarked, "Strings not marked for translation:\n" + "\n".join(unmarked)


def test_the_check_finds_text_and_read_attributes_outside_translate(tmp_path, monkeypatch):
    monkeypatch.setattr(template_lint, "TEMPLATES", tmp_path)
    page = tmp_path / "page.html"
    page.write_text(
        "{% load i18n %}<h1>{% translate 'Marked' %}</h1>\n"
        "<p>Plain words {{ name }}</p>\n"
        '<a title="Open it" aria-label="{% translate \'Fine\' %}" href="/x/">{{ n }}%</a>\n'
        "{% blocktranslate trimmed with n=name %}Check of {{ n }}{% endblocktranslate %}\n"
        "{# Not shown #}{% comment %}Not shown either{% endcomment %}\n"
        '<input placeholder="Search" value="{{ q }}"><img alt="Logo" src="/l.svg">\n'
        "<td>CSV · XLSX — PDF</td><td>{{ a }} × {{ b }}</td><code>/api/v1/</code>\n"
        "<script>var notText = 1;</script>"
        '<form data-confirm="Really?"><button type="submit" value="Go">…</button></form>\n',
        encoding="utf-8",
    )

    found = [(u.line, u.text) for u in template_lint.unmarked(page)]

    assert found == [
        (2, "Plain words"),
        (3, "Open it"),
        (6, "Search"),
        (6, "Logo"),
        (8, "Really?"),
        (8, "Go"),
    ]
