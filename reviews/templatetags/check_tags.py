"""The check page's objectives, written in one pass: a check shows six levers for each of its
objectives, with evidence, blockers and the team's commitments, too many for a template node
per attribute.

Every value goes through format_html. What repeats is escaped once, not once per control: a
lever's label, field name and classes for the whole process, an item's prefix (item-7) once per
item; the controls' names and ids are those safe pieces put together, so that most arguments
of the format_html calls below are already safe and cost nothing to escape again.
"""

from dataclasses import dataclass
from functools import cache, lru_cache

from django import template
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from reviews.forms import score_options
from reviews.models import SCORE_LEVELS
from strategy.html import format_html, format_html_join
from strategy.models import Lever

register = template.Library()


def _safe(text: str):
    return format_html("{}", text)


@cache
def _words(language: str | None) -> dict:
    """The words every check page repeats, escaped once per process and language."""
    not_scored = format_html('{}<span class="visually-hidden"> {}</span>', "—", _("not scored"))
    return {
        "added": format_html(
            '{}<span class="badge text-bg-light">{}</span>',
            " ",
            pgettext("objective added to a check", "added"),
        ),
        # Last quarter's score as shown: not scored, not applicable, or the score.
        # Translators: not applicable, as short as possible.
        "last": {None: not_scored, 0: _safe(_("N/A"))} | {n: _safe(str(n)) for n in range(1, 6)},
        "levers": {lever: _safe(label) for lever, label in Lever.choices},
        "commitments": _safe(_("Our commitments")),
    }


def words() -> dict:
    return _words(get_language())


SCORE_NAME = {lever: _safe(f"-score_{lever}") for lever, _label in Lever.choices}
SELECT_CLASSES = {
    (errors, unscored): _safe(
        "form-select form-select-sm"
        + (" is-invalid" if errors else "")
        + (" unscored" if unscored else "")
    )
    for errors in (False, True)
    for unscored in (False, True)
}
ID, EMPTY = _safe("id_"), _safe("")
ITEMS, CONTROLS = _safe("\n    "), _safe("\n          ")  # between sections, between controls


@register.simple_tag
def check_items(rows, last_cycle):
    """A <section> per row of selectors.check_rows: its levers, texts and commitments."""
    last_label = _safe(last_cycle.label) if last_cycle is not None else EMPTY
    return format_html_join(ITEMS, "{}", ((_item(row, last_label),) for row in rows))


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
        words()["added"] if item.is_extra else EMPTY,
        format_html('<div class="text-danger">{}</div>', row.non_field_errors)
        if row.non_field_errors
        else EMPTY,
        format_html_join(
            CONTROLS, "{}", ((lever_control(lever, prefix, last_label),) for lever in row.levers)
        ),
        format_html_join(CONTROLS, "{}", ((_text(text),) for text in row.texts)),
        _commitments(row.commitments) if row.commitments else EMPTY,
    )


def _lever_template(has_last: bool, has_questions: bool) -> str:
    """The HTML of a lever's control, with or without last quarter's score and the questions
    (and the aria-describedby that points at them)."""
    hints = ["{id}-last"] * has_last + ["{id}-questions"] * has_questions
    return (
        '<div class="col-md-6 col-xl-4">'
        '<label class="form-label small fw-semibold mb-0" for="{id}">{label}</label>'
        '<div class="d-flex align-items-center gap-2">'
        '<select name="{name}" id="{id}" class="{classes}"'
        + (f' aria-describedby="{" ".join(hints)}"' if hints else "")
        + ">{options}</select>"
        + (
            '<span class="small text-body-secondary text-nowrap last-score" id="{id}-last">'
            "{last_label}: <strong>{last}</strong></span>"
            if has_last
            else ""
        )
        + "</div>{errors}"
        + (
            '<ul class="form-text list-unstyled mb-0 mt-1 rubric-questions" '
            'id="{id}-questions">{questions}</ul>'
            if has_questions
            else ""
        )
        + "</div>"
    )


LEVER_TEMPLATES = {
    (has_last, has_questions): _lever_template(has_last, has_questions)
    for has_last in (False, True)
    for has_questions in (False, True)
}


def lever_control(lever, prefix, last_label):
    """A lever's label and score select, last quarter's score beside it, its errors and its
    rubric questions (selectors.LeverControl)."""
    if lever.errors:  # a refused save's: rare, written out
        return _lever_control(lever, prefix, last_label)
    # A page repeats the same few controls but for their item: each is written once per
    # process, lever, value, last score, hints and language, and given its item's prefix.
    pattern = _control_pattern(
        lever.lever,
        str(lever.value),
        lever.has_last,
        lever.last,
        last_label,
        lever.questions,
        get_language(),
    )
    return format_html(pattern, prefix)


# Where a control's item prefix goes: escaped text holds no "<", so no value can carry it.
PREFIX = "<§item§>"


@lru_cache(maxsize=4096)
def _control_pattern(lever, value, has_last, last, last_label, questions, language) -> str:
    """The control written with PREFIX for its item, as a format_html pattern: its braces
    doubled, the prefix its one field."""
    control = LeverControl(lever, value, has_last, last, questions)
    written = _lever_control(control, format_html("<§{}§>", "item"), last_label)
    return written.replace("{", "{{").replace("}", "}}").replace(PREFIX, "{0}")


@dataclass(frozen=True)
class LeverControl:
    """What a lever's control shows but its item (selectors.LeverControl's fields)."""

    lever: str
    value: str
    has_last: bool
    last: int | None
    questions: str
    errors: tuple = ()

    @property
    def is_unscored(self) -> bool:
        return self.value in ("", "None")

    @property
    def options(self) -> str:
        return score_options(self.value)


def _lever_control(lever, prefix, last_label):
    name = prefix + SCORE_NAME[lever.lever]
    return format_html(
        LEVER_TEMPLATES[lever.has_last, bool(lever.questions)],
        id=ID + name,
        label=words()["levers"][lever.lever],
        name=name,
        classes=SELECT_CLASSES[bool(lever.errors), lever.is_unscored],
        options=lever.options,
        last_label=last_label,
        last=words()["last"].get(lever.last) or lever.last,
        errors=format_html_join(
            EMPTY, '<div class="invalid-feedback d-block">{}</div>', ((e,) for e in lever.errors)
        )
        if lever.errors
        else EMPTY,
        questions=lever.questions,
    )


def _text(text):
    """Evidence or blockers: a textarea as crispy's Bootstrap 5 field writes it."""
    control = _safe(text.id)
    if text.errors:
        invalid = format_html(
            ' is-invalid" aria-invalid="true" aria-describedby="{}_error', control
        )
        errors = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            control,
            format_html_join(
                EMPTY,
                '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((n, control, e) for n, e in enumerate(text.errors, start=1)),
            ),
        )
    else:
        invalid = errors = EMPTY
    return format_html(
        '<div class="col-md-6"><div id="div_{id}" class="mb-3">\n'
        '            <label for="{id}" class="form-label">{label}</label>\n'
        '            <textarea name="{name}" cols="40" rows="2" class="textarea form-control'
        '{invalid}" id="{id}">\n{value}</textarea>\n            {errors}\n          </div></div>',
        id=control,
        label=text.label,
        name=text.name,
        invalid=invalid,
        value=text.value or EMPTY,
        errors=errors,
    )


def _commitments(statuses):
    return format_html(
        '<div class="mt-1">\n          <p class="small fw-semibold mb-1">{}</p>\n'
        "          {}\n        </div>",
        words()["commitments"],
        format_html_join(CONTROLS, "{}", ((_status(status),) for status in statuses)),
    )


def _status(status):
    commitment = status.commitment
    control = _safe(status.id)
    return format_html(
        '<div class="row g-2 align-items-center mb-1">\n'
        '            <div class="col-md-8 small">{lever}: {statement} '
        '<span class="text-body-secondary">{due}</span></div>\n'
        '            <div class="col-md-4">\n'
        '              <label class="visually-hidden" for="{id}">{label}</label>\n'
        '              <select name="{name}" class="form-select form-select-sm"{invalid} '
        'id="{id}">{options}</select>\n'
        "            </div>\n          </div>",
        lever=words()["levers"].get(commitment.lever) or commitment.get_lever_display(),
        statement=commitment.statement,
        # Translators: day is a commitment's due date.
        due=_("(due %(day)s)") % {"day": status.due},
        id=control,
        label=status.label,
        name=status.name,
        invalid=format_html(' aria-invalid="true" aria-describedby="{}_error"', control)
        if status.errors
        else EMPTY,
        options=status.options,
    )


BADGES = {"on_plan": _safe("text-bg-success"), "behind": _safe("text-bg-warning")}


@register.simple_tag
def measure_feedback(cell, oob=False):
    """Beside a measure's value: why it was refused, or its status (selectors.MeasureCell); with
    `oob`, for htmx to swap in where the page has it."""
    control = _safe(cell.id)
    if cell.errors:
        shown = format_html_join(
            EMPTY,
            '<div class="text-danger fw-semibold" id="{}_error">{}</div>',
            ((control, error) for error in cell.errors),
        )
    elif cell.status:
        shown = format_html(
            '<span class="badge {}">{}</span>',
            BADGES.get(cell.status, DANGER),
            cell.status_label,
        )
    else:
        shown = EMPTY
    return format_html(
        '<div id="{}-feedback" class="small measure-feedback"{}>{}</div>',
        control,
        OOB if oob else EMPTY,
        shown,
    )


DANGER, OOB = _safe("text-bg-danger"), _safe(' data-hx-swap-oob="true"')


@register.simple_tag(takes_context=True)
def check_measures_section(context):
    """The check page's measures (selectors.check_measures_section), with the request's CSRF
    token in its form."""
    request = context.get("request")
    csrf = (
        format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        )
        if request is not None
        else EMPTY
    )
    return format_html(context["measures_section"], csrf=csrf)


@register.simple_tag
def how_to_score(last_cycle):
    """The box that says how to score: the same on every check page but for the last review's
    name, written once per process, language and last review."""
    return _how_to_score(get_language(), last_cycle.label if last_cycle is not None else None)


@lru_cache(maxsize=64)
def _how_to_score(language: str | None, last_label: str | None):
    context = {"levers": Lever.choices, "levels": SCORE_LEVELS, "last_label": last_label}
    return render_to_string("reviews/_how_to_score.html", context).strip()
