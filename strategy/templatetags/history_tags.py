"""A page's history, formatted in one pass: it holds up to fifty entries of a dozen changes
each, too many for a template node per value."""

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

register = template.Library()


@register.simple_tag
def history_entries(entries):
    """The <li> of each entry: who did what to which row, when; and its changes in a table."""
    return format_html_join("\n", "{}", ((_entry(entry),) for entry in entries))


def _entry(entry):
    table = (
        format_html(
            '<table class="table table-sm small mt-1 mb-0 history-changes">'
            '<caption class="visually-hidden">Values before and after</caption>'
            '<thead><tr><th scope="col">Field</th><th scope="col">Before</th>'
            '<th scope="col">After</th></tr></thead><tbody>{}</tbody></table>',
            history_changes(entry),
        )
        if entry.changes
        else ""
    )
    return format_html(
        '<li class="mb-2"><details><summary><strong>{}</strong> {} {} <em>{}</em> {}</summary>'
        "{}</details></li>",
        entry.who,
        entry.action,
        entry.kind,
        entry.subject,
        history_time(entry),
        table,
    )


@register.simple_tag
def history_changes(entry):
    return format_html_join(
        "\n",
        '<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>',
        ((capfirst(c.field), c.before, c.after) for c in entry.changes),
    )


@register.simple_tag
def history_time(entry):
    """The entry's <time>, as the `date` filter writes "Y-m-d\\TH:i:sO" and "j M Y, H:i", from
    one conversion to local time."""
    when = timezone.localtime(entry.when) if timezone.is_aware(entry.when) else entry.when
    month = MONTHS_3[when.month].title()
    return format_html(
        '<time class="text-body-secondary small" datetime="{}">{} {} {}</time>',
        when.strftime("%Y-%m-%dT%H:%M:%S%z"),
        when.day,
        month,
        when.strftime("%Y, %H:%M"),
    )
