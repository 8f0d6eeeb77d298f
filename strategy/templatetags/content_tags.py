"""What a reader sees of a text executives wrote: its translation into the reader's language
where an executive entered one (strategy/translations.py), else the original.

    {% load content_tags %}
    {% shown reading objective "external_promise" as promise %}
    {{ promise|linebreaksbr }}{% include "strategy/_original.html" with shown=promise %}

`reading` is a translations.Reading the page's selector made (one query for the page); without
one, the original is shown.
"""

from django import template

from strategy import translations

register = template.Library()


@register.simple_tag
def shown(reading, row, field: str) -> translations.Shown:
    return (reading or translations.NO_TRANSLATIONS).of(row, field)
