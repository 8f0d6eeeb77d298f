"""What the check page reads: plain rows for its template, in a fixed number of queries.

A check shows every lever of every objective the team scores, with the lever's rubric
questions and last quarter's score beside it; a template node per option and per attribute
was most of the page's time, so the rows carry their controls ready to write.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.forms.utils import ErrorList
from django.urls import reverse
from django.utils.html import format_html_join

from reviews import services
from reviews.forms import (
    CheckItemForm,
    CommitmentStatusForm,
    ReopenForm,
    score_options,
    status_options,
)
from reviews.models import (
    LEVERS,
    NOT_APPLICABLE,
    SCORE_LEVELS,
    AlignmentCheck,
    CheckItem,
    RubricQuestion,
)
from strategy import history
from strategy.models import Commitment, Lever, Objective, PositioningTheme

THEME_SHARE_FOR_QUESTIONS = 20  # a theme with at least this weight picks rubric questions
# A check's history: the heads' scores and text, not the rows' bookkeeping.
CHECK_HISTORY_FIELDS = {f"score_{lever}": label for lever, label in Lever.choices} | {
    "evidence": "Evidence",
    "blockers": "Blockers",
}
CHECK_HISTORY_VALUES = dict.fromkeys(
    [f"score_{lever}" for lever in LEVERS], {NOT_APPLICABLE: "not applicable"}
)
LEVER_LABELS = dict(Lever.choices)
# The check page shows its newest changes, and links to the whole history past them: each
# autosave adds a record per changed item, and a check is saved all quarter long.
CHECK_HISTORY_SHOWN = 10


@dataclass
class LeverControl:
    """One lever's select, with its rubric questions and last quarter's score."""

    name: str  # the field's name in the form, e.g. item-7-score_people
    label: str
    value: object  # as shown: the item's score, or what was posted
    errors: ErrorList = field(default_factory=ErrorList)
    questions: str = ""  # the rubric questions' <li>s
    has_last: bool = False
    last: int | None = None

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    @property
    def options(self) -> str:
        return score_options(str(self.value))

    @property
    def is_unscored(self) -> bool:
        return self.value == "" or self.value is None

    @property
    def described_by(self) -> str:
        """The ids of the hints beside the select: last quarter's score, then the questions."""
        hints = [f"{self.id}-last"] if self.has_last else []
        return " ".join(hints + ([f"{self.id}-questions"] if self.questions else []))


@dataclass
class TextControl:
    """Evidence or blockers: a textarea, as crispy's Bootstrap 5 field writes it."""

    name: str
    label: str
    value: str | None
    errors: ErrorList = field(default_factory=ErrorList)

    @property
    def id(self) -> str:
        return f"id_{self.name}"


@dataclass
class StatusControl:
    """The status select of one of the team's commitments on the row's objective."""

    commitment: Commitment
    name: str
    label: str
    value: object
    errors: ErrorList = field(default_factory=ErrorList)

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    @property
    def options(self) -> str:
        return status_options(str(self.value))


@dataclass
class CheckRow:
    item: CheckItem
    levers: list[LeverControl]
    texts: list[TextControl]  # evidence, blockers
    commitments: list[StatusControl]
    non_field_errors: ErrorList = field(default_factory=ErrorList)


def check_page(*, check: AlignmentCheck, user, data=None) -> dict:
    """The check page's context; `data` is what was posted, shown again after a refused save.

    The check comes from the views' lookup, with its cycle, unit and last writer.
    """
    items = list(
        check.items.select_related("objective").order_by("objective__order", "objective_id")
    )
    commitments = list(
        Commitment.objects.filter(unit=check.unit, objective__in=[i.objective_id for i in items])
        .exclude(status=Commitment.Status.DROPPED)
        .order_by("lever", "pk")
        .only("objective_id", "lever", "statement", "due_on", "status")
    )
    last_cycle, last_scores = services.check_last_quarter(check=check, items=items)
    rows = check_rows(
        items,
        commitments=commitments,
        questions=_questions(check),
        last_scores=last_scores,
        data=data,
    )
    can_edit = user.has_perm("reviews.edit_check", check)
    return {
        "check": check,
        "cycle": check.cycle,
        "rows": rows,
        "levers": Lever.choices,
        "levels": SCORE_LEVELS,
        "last_cycle": last_cycle,
        "can_edit": can_edit and not check.is_submitted and check.cycle.accepts_checks,
        # The permission last: it reads the user's permissions, which a draft never needs.
        "can_reopen": check.is_submitted
        and not check.cycle.is_closed
        and user.has_perm("reviews.run_reviews"),
        "reopen_form": ReopenForm(),
        "reopenings": list(check.reopenings.select_related("by")) if check.was_reopened else [],
        **_recent_history(check, known=[i.objective for i in items]),
        "other_objectives": list(
            Objective.objects.filter(position_id=check.cycle.position_id)
            .active()
            .exclude(pk__in=[i.objective_id for i in items])
            .only("title")
        )
        if can_edit
        else [],
        # After a refused save, the page keeps the version its input was based on, so that
        # saving again is refused again until the head reloads and sees the other's work.
        "version": data.get("version", check.version) if data is not None else check.version,
    }


def check_history(check: AlignmentCheck, *, limit: int = 50, known=()) -> list:
    """The check's score history, newest first: who changed which score, text or status."""
    return history.entries(
        CheckItem.history.filter(alignment_check_id=check.pk),
        limit=limit,
        fields=CHECK_HISTORY_FIELDS,
        values=CHECK_HISTORY_VALUES,
        known=known,
    )


def _recent_history(check: AlignmentCheck, *, known) -> dict:
    """The newest CHECK_HISTORY_SHOWN entries, and a link to the whole history if it has more."""
    entries, more = history.newest_entries(
        CheckItem.history.filter(alignment_check_id=check.pk),
        limit=CHECK_HISTORY_SHOWN,
        fields=CHECK_HISTORY_FIELDS,
        values=CHECK_HISTORY_VALUES,
        known=known,
    )
    return {
        "history": entries,
        "history_more": reverse("reviews:check-history", args=[check.pk]) if more else "",
    }


def _questions(check: AlignmentCheck) -> dict[str, str]:
    """The rubric questions by lever, for the themes the check's strategy competes on, as the
    <li>s of their list."""
    # In one query: the themes are a subquery, not a list read first.
    themes = PositioningTheme.objects.filter(
        position_id=check.cycle.position_id, weight__gte=THEME_SHARE_FOR_QUESTIONS
    ).values("theme")
    questions: dict[str, list[RubricQuestion]] = {}
    for question in RubricQuestion.objects.for_themes(themes).only("lever", "text"):
        questions.setdefault(question.lever, []).append(question)
    # Every objective shows a lever's questions: their list items are written once.
    return {
        lever: format_html_join("", "<li>{}</li>", ((q.text,) for q in asked))
        for lever, asked in questions.items()
    }


def check_rows(
    items: list[CheckItem],
    *,
    commitments: list[Commitment],
    questions: dict[str, str],
    last_scores: dict[int, dict],
    data=None,
) -> list[CheckRow]:
    """A row per item: its values, or those posted in `data` with their errors."""
    by_objective: dict[int, list[Commitment]] = {}
    for commitment in commitments:
        by_objective.setdefault(commitment.objective_id, []).append(commitment)
    rows = []
    for item in items:
        last = last_scores.get(item.objective_id)
        posted = _Posted(CheckItemForm(data, item=item) if data is not None else None, item)
        rows.append(
            CheckRow(
                item=item,
                levers=[
                    LeverControl(
                        **posted.value_of(f"score_{lever}"),
                        label=LEVER_LABELS[lever],
                        questions=questions.get(lever, ""),
                        has_last=last is not None,
                        last=last.get(lever) if last is not None else None,
                    )
                    for lever in LEVERS
                ],
                texts=[
                    TextControl(**posted.value_of("evidence"), label="Evidence"),
                    TextControl(**posted.value_of("blockers"), label="Blockers"),
                ],
                commitments=[
                    _status_control(c, data) for c in by_objective.get(item.objective_id, [])
                ],
                non_field_errors=posted.form.non_field_errors() if posted.form else ErrorList(),
            )
        )
    return rows


class _Posted:
    """A field's name and value as the page shows it: posted (with its errors), or stored."""

    def __init__(self, form: CheckItemForm | None, item: CheckItem):
        self.form, self.item = form, item

    def value_of(self, name: str) -> dict:
        html_name = f"item-{self.item.pk}-{name}"
        if self.form is None:
            return {"name": html_name, "value": getattr(self.item, name)}
        bound = self.form[name]
        return {"name": html_name, "value": bound.value(), "errors": bound.errors}


def _status_control(commitment: Commitment, data) -> StatusControl:
    label = CommitmentStatusForm.label_for(commitment)
    name = f"commitment-{commitment.pk}-status"
    if data is None:
        return StatusControl(commitment, name, label, commitment.status)
    bound = CommitmentStatusForm(data, commitment=commitment)["status"]
    return StatusControl(commitment, name, label, bound.value(), bound.errors)
