from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone

from strategy.history import Change, Entry

DATE_FILTERS = Template(
    "{% load history_tags %}"
    '<time class="text-body-secondary small" datetime="{{ e.when|date:\'Y-m-d\\TH:i:sO\' }}">'
    '{{ e.when|date:"j M Y, H:i" }}</time>|{% history_time e %}'
)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_a_history_entry_shows_its_time_as_the_date_filter_would_in_the_local_zone(zone):
    entry = Entry(
        when=datetime(2026, 7, 15, 23, 59, tzinfo=UTC), who="Ada", action="changed", kind="x"
    )

    with timezone.override(zone):
        by_filter, by_tag = DATE_FILTERS.render(Context({"e": entry})).split("|")

    assert by_tag == by_filter


def test_a_history_entry_shows_its_changes_escaped_with_the_field_capitalised():
    entry = Entry(
        when=datetime(2026, 1, 5, tzinfo=UTC),
        who="Ada",
        action="changed",
        kind="objective",
        changes=[Change("title", "<b>Old</b>", "New & better")],
    )

    html = Template("{% load history_tags %}{% history_changes e %}").render(Context({"e": entry}))

    assert html == (
        '<tr><th scope="row">Title</th><td>&lt;b&gt;Old&lt;/b&gt;</td>'
        "<td>New &amp; better</td></tr>"
    )
