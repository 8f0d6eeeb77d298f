"""The check page's lever controls, written in one pass: a check shows six levers for each of
its objectives, too many for a template node per attribute."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def lever_control(lever, last_cycle):
    """A lever's label and score select, last quarter's score beside it, its errors and its
    rubric questions (selectors.LeverControl)."""
    classes = "form-select form-select-sm"
    if lever.errors:
        classes += " is-invalid"
    if lever.is_unscored:
        classes += " unscored"
    described_by = (
        format_html(' aria-describedby="{}"', lever.described_by) if lever.described_by else ""
    )
    return format_html(
        '<div class="col-md-6 col-xl-4">'
        '<label class="form-label small fw-semibold mb-0" for="{}">{}</label>'
        '<div class="d-flex align-items-center gap-2">'
        '<select name="{}" id="{}" class="{}"{}>{}</select>{}</div>{}{}</div>',
        lever.id,
        lever.label,
        lever.name,
        lever.id,
        classes,
        described_by,
        lever.options,
        _last_score(lever, last_cycle),
        format_html_join(
            "", '<div class="invalid-feedback d-block">{}</div>', ((e,) for e in lever.errors)
        ),
        format_html(
            '<ul class="form-text list-unstyled mb-0 mt-1 rubric-questions" id="{}-questions">'
            "{}</ul>",
            lever.id,
            lever.questions,
        )
        if lever.questions
        else "",
    )


def _last_score(lever, last_cycle):
    if not lever.has_last:
        return ""
    if lever.last is None:
        shown = format_html('—<span class="visually-hidden"> not scored</span>')
    else:
        shown = "N/A" if lever.last == 0 else lever.last
    return format_html(
        '<span class="small text-body-secondary text-nowrap last-score" id="{}-last">'
        "{}: <strong>{}</strong></span>",
        lever.id,
        last_cycle.label,
        shown,
    )
