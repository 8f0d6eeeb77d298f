"""What the review cadence tells people, and whom: the reviews app decides, the notifications
app (above it) writes the deliveries and sends them.

`deliveries_create` and `redrive_stalled` send a signal that notifications.receivers answers
(connected in NotificationsConfig.ready), so reviews does not import the app above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Count, Subquery
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import translation
from django.utils.translation import gettext_lazy

from strategy.models import Membership
from strategy.roles import EXECUTIVE

User = get_user_model()


# The kinds of news people are told (a delivery's kind).
class Kind(models.TextChoices):
    CHECK_OPENED = "check_opened", gettext_lazy("Check opened")
    CHECK_REMINDER = "check_reminder", gettext_lazy("Check reminder")
    ESCALATION = "escalation", gettext_lazy("Late checks (to executives)")
    CYCLE_CLOSED = "cycle_closed", gettext_lazy("Review closed")
    REFRESH_STARTED = "refresh_started", gettext_lazy("Annual refresh started")
    REFRESH_REMINDER = "refresh_reminder", gettext_lazy("Annual refresh reminder")
    COMMITMENTS_CONFIRM = "commitments_confirm", gettext_lazy("Confirm commitments")
    REPORT_READY = "report_ready", gettext_lazy("Report ready")
    ACK_REMINDER = "ack_reminder", gettext_lazy("Read the strategy")


@dataclass
class Note:
    """What a person is told and where it leads. The title is a sentence, or a function that
    writes it in the active language: the notes of one event are each written in their
    recipient's language (notifications.notify), the function called once per language."""

    title: str | Callable[[], str]
    link: str
    _written: dict = field(default_factory=dict, repr=False, compare=False)

    def title_in(self, language: str) -> str:
        if not callable(self.title):
            return self.title
        if language not in self._written:
            with translation.override(language):
                self._written[language] = str(self.title())
        return self._written[language]


def _heads(unit_ids):
    return Membership.objects.filter(
        unit_id__in=unit_ids, role=Membership.Role.HEAD, user__is_active=True
    )


def heads_of(unit_ids) -> dict[int, list[int]]:
    """user id → unit ids they head, among `unit_ids`."""
    heads: dict[int, list[int]] = {}
    for user_id, unit_id in _heads(unit_ids).values_list("user_id", "unit_id"):
        heads.setdefault(user_id, []).append(unit_id)
    return heads


def heads_count_of(unit_ids) -> Coalesce:
    """How many people heads_of(unit_ids) names, counted by the database as a column of the
    query it is put in: `unit_ids` is a subquery (a values("unit_id") queryset) that may refer
    to that query's row with OuterRef(OuterRef(...))."""
    counted = (
        _heads(unit_ids)
        .order_by()
        .values("role")  # one group: the heads
        .annotate(n=Count("user_id", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def executives() -> list[int]:
    return list(
        User.objects.filter(is_active=True, groups__name=EXECUTIVE).values_list("pk", flat=True)
    )


def admins_and_executives() -> list[int]:
    from django.db.models import Q

    return list(
        User.objects.filter(is_active=True)
        .filter(Q(groups__name=EXECUTIVE) | Q(groups__name="Admin") | Q(is_staff=True))
        .distinct()
        .values_list("pk", flat=True)
    )


# Sent with `cycle`, `kind`, `step`, `notes` (user id -> Note), `teams` (unit id -> Note: what
# the team's chat channel is told, if it has one), `executives` (a Note for the executives'
# channel, or None) and `now`; the notifications app answers with the ids of the deliveries it
# created (and queues them after the commit).
deliveries_requested = Signal()
# Sent with `now` after the reminders run; the notifications app queues again the deliveries
# whose task was lost.
stalled_deliveries_due = Signal()


def deliveries_create(
    *,
    cycle,
    kind: str,
    step: str,
    notes: dict[int, Note],
    now: datetime,
    teams: dict[int, Note] | None = None,
    executives: Note | None = None,
) -> list[int]:
    """Tell the people of `notes` about `cycle`, once per (cycle, person, kind, step), and the
    chat channels of the units of `teams` (and the executives' channel, with `executives`) once
    per (cycle, channel, kind, step); the ids of the deliveries created."""
    created: list[int] = []
    for _, ids in deliveries_requested.send(
        sender=Note,
        cycle=cycle,
        kind=kind,
        step=step,
        notes=notes,
        now=now,
        teams=teams or {},
        executives=executives,
    ):
        created += ids or []
    return created


def redrive_stalled(*, now: datetime) -> int:
    return sum(n or 0 for _, n in stalled_deliveries_due.send(sender=Note, now=now))
