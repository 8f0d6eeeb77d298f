"""The check page's objectives, written in one pass: a check shows six levers for each of its
objectives, with evidence, blockers and the team's commitments, too many for a template node
per attribute. Every value goes through format_html; the parts that repeat (a lever's label,
its options, its rubric questions) are escaped once for the page, not once per control."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

NOT_SCORED = format_html('{}<span class="visually-hidden"> not scored</span>', "—")


@register.simple_tag
def check_items(rows, last_cycle):
    """A <section> per row of selectors.check_rows: its levers, texts and commitments."""
    last_label = format_html("{}", last_cycle.label) if last_cycle is not None else ""
    return format_html_join("\n    ", "{}", ((_item(row, last_label),) for row in rows))


def _item(row, last_label):
    item = row.item
    prefix = format_html("item-{}", item.pk)
    return format_html(
        '<section class="card mb-3 check-item" aria-labelledby="{}-title">\n'
        '      <div class="card-body">\n'
        '        <h2 id="{}-title" class="h6">{}{}</h2>\n'
        "        {}\n"
        '        <div class="row g-3">\n          {}\n        </div>\n'
        '        <div class="row g-2 mt-1">\n          {}\n        </div>\n'
        "        {}\n"
        "      </div>\n    </section>",
        prefix,
        prefix,
        row.title,
        format_html(' <span class="badge text-bg-light">added</span>') if item.is_extra else "",
        format_html('<div class="text-danger">{}</div>', row.non_field_errors)
        if row.non_field_errors
        else "",
        format_html_join(
            "\n          ", "{}", ((lever_control(lever, last_label),) for lever in row.levers)
        ),
        format_html_join("\n          ", "{}", ((_text(text),) for text in row.texts)),
        _commitments(row.commitments) if row.commitments else "",
    )


def lever_control(lever, last_label):
    """A lever's label and score select, last quarter's score beside it, its errors and its
    rubric questions (selectors.LeverControl)."""
    classes = "form-select form-select-sm"
    if lever.errors:
        classes += " is-invalid"
    if lever.is_unscored:
        classes += " unscored"
    described_by = lever.described_by
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
        format_html(' aria-describedby="{}"', described_by) if described_by else "",
        lever.options,
        _last_score(lever, last_label),
        format_html_join(
            "", '<div class="invalid-feedback d-block">{}</div>', ((e,) for e in lever.errors)
        )
        if lever.errors
        else "",
        format_html(
            '<ul class="form-text list-unstyled mb-0 mt-1 rubric-questions" id="{}-questions">'
            "{}</ul>",
            lever.id,
            lever.questions,
        )
        if lever.questions
        else "",
    )


def _last_score(lever, last_label):
    if not lever.has_last:
        return ""
    shown = NOT_SCORED if lever.last is None else "N/A" if lever.last == 0 else lever.last
    return format_html(
        '<span class="small text-body-secondary text-nowrap last-score" id="{}-last">'
        "{}: <strong>{}</strong></span>",
        lever.id,
        last_label,
        shown,
    )


def _text(text):
    """Evidence or blockers: a textarea as crispy's Bootstrap 5 field writes it."""
    if text.errors:
        invalid = format_html(
            ' is-invalid" aria-invalid="true" aria-describedby="{}_error', text.id
        )
        errors = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            text.id,
            format_html_join(
                "",
                '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((n, text.id, e) for n, e in enumerate(text.errors, start=1)),
            ),
        )
    else:
        invalid = errors = ""
    return format_html(
        '<div class="col-md-6"><div id="div_{}" class="mb-3">\n'
        '            <label for="{}" class="form-label">{}</label>\n'
        '            <textarea name="{}" cols="40" rows="2" class="textarea form-control{}" '
        'id="{}">\n{}</textarea>\n            {}\n          </div></div>',
        text.id,
        text.id,
        text.label,
        text.name,
        invalid,
        text.id,
        text.value or "",
        errors,
    )


def _commitments(statuses):
    return format_html(
        '<div class="mt-1">\n          <p class="small fw-semibold mb-1">Our commitments</p>\n'
        "          {}\n        </div>",
        format_html_join("\n          ", "{}", ((_status(status),) for status in statuses)),
    )


def _status(status):
    commitment = status.commitment
    invalid = (
        format_html(' aria-invalid="true" aria-describedby="{}_error"', status.id)
        if status.errors
        else ""
    )
    return format_html(
        '<div class="row g-2 align-items-center mb-1">\n'
        '            <div class="col-md-8 small">{}: {} <span class="text-body-secondary">'
        "(due {})</span></div>\n"
        '            <div class="col-md-4">\n'
        '              <label class="visually-hidden" for="{}">{}</label>\n'
        '              <select name="{}" class="form-select form-select-sm"{} id="{}">{}</select>\n'
        "            </div>\n          </div>",
        commitment.get_lever_display(),
        commitment.statement,
        status.due,
        status.id,
        status.label,
        status.name,
        invalid,
        status.id,
        status.options,
    )
