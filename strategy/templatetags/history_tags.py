"""A page's history, formatted in one pass: it holds up to fifty entries of a dozen changes
each, too many for a template node per value."""

from functools import cache

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import escape
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext, gettext_lazy

from strategy.html import format_html, format_html_join

register = template.Library()


NEWLINE, EMPTY = format_html("{}", "\n"), format_html("{}", "")

# What an entry says, by its action (strategy.history.ACTIONS).
# Translators: who created, changed or deleted what: "Ana Lopez changed commitment Train the
# drivers". kind is the kind of row (commitment, objective, measure...), subject names the row.
SUMMARIES = {
    "created": gettext_lazy("%(who)s created %(kind)s %(subject)s"),
    "changed": gettext_lazy("%(who)s changed %(kind)s %(subject)s"),
    "deleted": gettext_lazy("%(who)s deleted %(kind)s %(subject)s"),
}


@register.simple_tag
def history_entries(entries):
    """The <li> of each entry: who did what to which row, when; and its changes in a table."""
    return format_html_join(NEWLINE, "{}", ((_entry(entry),) for entry in entries))


def _entry(entry):
    return format_html(
        '<li class="mb-2"><details><summary>{summary} {time}</summary>{table}</details></li>',
        summary=_summary(entry),
        time=history_time(entry),
        table=format_html(
            "{}{}</tbody></table>", _table_head(get_language()), history_changes(entry)
        )
        if entry.changes
        else EMPTY,
    )


@cache
def _table_head(language: str | None):
    """The start of an entry's table of changes, the same on every entry: written once per
    process and language."""
    return format_html(
        '<table class="table table-sm small mt-1 mb-0 history-changes">'
        '<caption class="visually-hidden">{}</caption>'
        '<thead><tr><th scope="col">{}</th><th scope="col">{}</th>'
        '<th scope="col">{}</th></tr></thead><tbody>',
        gettext("Values before and after"),
        gettext("Field"),
        gettext("Before"),
        gettext("After"),
    )


def _summary(entry):
    """Who did what to which row, in the reader's language: the translated words (escaped)
    around the names, which format_html escapes and marks up."""
    pattern = SUMMARIES.get(entry.action, "%(who)s %(kind)s %(subject)s")
    slots = {"who": "{who}", "kind": "{kind}", "subject": "{subject}"}
    return format_html(
        escape(pattern) % slots,
        who=format_html("<strong>{}</strong>", entry.who),
        kind=entry.kind,
        subject=format_html("<em>{}</em>", entry.subject),
    )


@register.simple_tag
def history_changes(entry):
    return format_html_join(
        NEWLINE,
        '<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>',
        ((_label(c.field), c.before, c.after) for c in entry.changes),
    )


@cache
def _label(name: str):
    """A field's label, capitalised (capfirst) and escaped: the same few on every entry."""
    return format_html("{}", capfirst(name))


@register.simple_tag
def history_time(entry):
    """The entry's <time>, as the `date` filter writes "Y-m-d\\TH:i:sO" and "j M Y, H:i", from
    one conversion to local time."""
    when = timezone.localtime(entry.when) if timezone.is_aware(entry.when) else entry.when
    return format_html(
        '<time class="text-body-secondary small" datetime="{}">{} {} {}</time>',
        when.strftime("%Y-%m-%dT%H:%M:%S%z"),
        when.day,
        MONTHS_3[when.month].title(),
        when.strftime("%Y, %H:%M"),
    )
