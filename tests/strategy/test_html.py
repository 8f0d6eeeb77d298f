"""strategy.html's format_html and format_html_join write what Django's write, for every kind
of argument: plain text with markup in it, safe text, lazy translations, objects with
__html__, numbers and None."""

import pytest
from django.utils import html as django_html
from django.utils.functional import lazy
from django.utils.safestring import SafeData
from django.utils.translation import gettext_lazy, override

from strategy import html


class Marked:
    """Not Django's SafeData, but HTML by the __html__ convention (markupsafe's Markup)."""

    def __html__(self):
        return "<b>marked</b>"

    def __str__(self):
        return "<b>not this</b>"


def _lazy_safe():
    return django_html.format_html("<i>{}</i>", "lazy & safe")


ARGUMENTS = [
    "<script>alert('x')</script> & \"quoted\"",
    django_html.format_html("<em>{}</em>", "<safe>"),
    html.format_html("<em>{}</em>", "<ours>"),
    gettext_lazy("Save draft"),
    lazy(_lazy_safe, str)(),
    Marked(),
    7,
    2.5,
    None,
    "",
]


@pytest.mark.parametrize("argument", ARGUMENTS, ids=repr)
def test_each_argument_is_escaped_as_django_escapes_it(argument):
    ours = html.format_html("<p title='{}'>{}</p>", argument, argument)
    theirs = django_html.format_html("<p title='{}'>{}</p>", argument, argument)

    assert ours == theirs
    assert isinstance(ours, SafeData)


def test_keyword_arguments_and_format_specs():
    ours = html.format_html("{a}<{b}>{n:>4}", a="<x>", b=django_html.format_html("{}", "y"), n=3)

    assert ours == django_html.format_html(
        "{a}<{b}>{n:>4}", a="<x>", b=django_html.format_html("{}", "y"), n=3
    )
    assert ours == "&lt;x&gt;<y>   3"


def test_a_lazy_translation_is_read_in_the_active_language():
    with override("de"):
        ours = html.format_html("{}", gettext_lazy("Save draft"))
        theirs = django_html.format_html("{}", gettext_lazy("Save draft"))

    assert ours == theirs
    assert ours != "Save draft"


def test_join_escapes_its_separator_and_takes_tuples_or_mappings():
    rows = [("<a>", 1), (django_html.format_html("<{}>", "b"), 2)]

    assert html.format_html_join("<br>", "{}={}", rows) == django_html.format_html_join(
        "<br>", "{}={}", rows
    )
    assert html.format_html_join(
        django_html.format_html("<{}>", "br"), "{x}", [{"x": "<"}, {"x": ">"}]
    ) == ("&lt;<br>&gt;")
    assert isinstance(html.format_html_join(", ", "{}", []), SafeData)


def test_a_pattern_without_arguments_is_refused():
    """Django's deprecates it (a pattern with nothing to escape needs no format_html)."""
    with pytest.raises(TypeError):
        html.format_html("<p>")
