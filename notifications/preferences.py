"""What each person is told how: the topics people choose about, their channels, and the
topics the company makes required (NOTIFICATIONS_REQUIRED).

A delivery's kind and step name its topic (`topic_of`): a check reminder after the due date is
the overdue topic, which is required by default. A person without a row for a topic gets both
channels, email and in-app, as everyone did before there were preferences.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import checks, signing
from django.db import transaction
from django.db.models import Q

from notifications.models import ChatChannel, Delivery, Preference
from strategy import roles
from strategy.models import Membership

Topic = Preference.Topic
Kind = Delivery.Kind

TOPIC_OF_KIND = {
    Kind.CHECK_OPENED: Topic.CHECK_OPENED,
    Kind.CHECK_REMINDER: Topic.CHECK_REMINDER,
    Kind.ESCALATION: Topic.ESCALATION,
    Kind.CYCLE_CLOSED: Topic.REPORT_READY,
    Kind.REPORT_READY: Topic.REPORT_READY,
    Kind.REFRESH_STARTED: Topic.REFRESH,
    Kind.REFRESH_REMINDER: Topic.REFRESH,
    Kind.COMMITMENTS_CONFIRM: Topic.REFRESH,
    Kind.ACK_REMINDER: Topic.ACKNOWLEDGEMENT,
}
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


Timing = Preference.Timing
Chat = Preference.Chat

# The topics a chat channel is told too: a team's channel its check's, the executives' the
# late checks (notify.CHAT_KINDS).
CHAT_TOPICS = {
    Topic.CHECK_OPENED: "team",
    Topic.CHECK_REMINDER: "team",
    Topic.CHECK_OVERDUE: "team",
    Topic.ESCALATION: "executives",
}


@dataclass(frozen=True)
class Channels:
    email: bool = True
    in_app: bool = True
    timing: str = Timing.NOW
    chat: str = Chat.CHANNEL


def topic_of(kind: str, step: str) -> str:
    """The topic of a delivery: a check reminder's overdue steps are the overdue topic."""
    if kind == Kind.CHECK_REMINDER and step.startswith("overdue"):
        return Topic.CHECK_OVERDUE
    return TOPIC_OF_KIND[kind]


@checks.register(checks.Tags.compatibility)
def check_required_topics(**kwargs) -> list[checks.CheckMessage]:
    """A topic in NOTIFICATIONS_REQUIRED that does not exist (a typo) stops the start, rather
    than leaving people free to turn off what the company meant to require."""
    unknown = sorted(set(settings.NOTIFICATIONS_REQUIRED) - set(Topic.values))
    if not unknown:
        return []
    return [
        checks.Error(
            f"NOTIFICATIONS_REQUIRED names no topic: {', '.join(unknown)}",
            hint=f"The topics are: {', '.join(Topic.values)}.",
            id="notifications.E001",
        )
    ]


def required_topics() -> frozenset[str]:
    return frozenset(t for t in settings.NOTIFICATIONS_REQUIRED if t in Topic.values)


def channels_of(user_ids, topic: str) -> dict[int, Channels]:
    """Each person's channels for a topic, in one query: their choice, else both at once; a
    required topic both whatever they chose, and never "chat instead of email", but at the
    time they chose (required means it cannot be turned off, not that it must be at once)."""
    ids = list(user_ids)
    required = topic in required_topics()
    chosen = {}
    for user_id, email, in_app, timing, chat in Preference.objects.filter(
        user_id__in=ids, topic=topic
    ).values_list("user_id", "email", "in_app", "timing", "chat"):
        chosen[user_id] = (
            Channels(timing=timing)
            if required
            else Channels(email=email, in_app=in_app, timing=timing, chat=chat)
        )
    return {user_id: chosen.get(user_id, Channels()) for user_id in ids}


def chat_offered(user) -> set[str]:
    """The chat topics a person may choose for: those of a team they head with an active
    channel, and the escalations when the executives have one; one query."""
    audiences = set()
    for unit_id in (
        ChatChannel.objects.active()
        .filter(
            Q(unit__isnull=True)
            | Q(unit__memberships__user=user, unit__memberships__role=Membership.Role.HEAD)
        )
        .values_list("unit_id", flat=True)
        .distinct()
    ):
        audiences.add("executives" if unit_id is None else "team")
    if "executives" in audiences and not roles.is_executive(user):
        audiences.discard("executives")
    return {topic for topic, audience in CHAT_TOPICS.items() if audience in audiences}


def topics_for(user) -> list[Topic]:
    """The topics a person can be told about, by their roles now: heads are told about their
    checks, executives about late ones and the refresh, executives and admins that reports are
    ready, everyone to read the strategy."""
    head, executive = roles.is_head(user), roles.is_executive(user)
    shown = {
        Topic.CHECK_OPENED: head,
        Topic.CHECK_REMINDER: head,
        Topic.CHECK_OVERDUE: head,
        Topic.ESCALATION: executive,
        Topic.REFRESH: executive or head,
        Topic.REPORT_READY: executive or roles.is_admin(user),
        Topic.ACKNOWLEDGEMENT: True,
    }
    return [topic for topic in Topic if shown[topic]]


def of_user(user) -> list[dict]:
    """The rows of a person's preferences page: the topics they can be told about, in order,
    with their timing and, where a channel of theirs is told too, their chat choice."""
    required = required_topics()
    chosen = {p.topic: p for p in Preference.objects.filter(user=user)}
    offered = chat_offered(user)
    rows = []
    for topic in topics_for(user):
        row = chosen.get(topic.value)
        is_required = topic.value in required
        rows.append(
            {
                "topic": topic.value,
                "label": topic.label,
                "required": is_required,
                "email": is_required or row is None or row.email,
                "in_app": is_required or row is None or row.in_app,
                "timing": row.timing if row else Timing.NOW,
                "chat_offered": topic.value in offered and not is_required,
                "chat": row.chat if row and not is_required else Chat.CHANNEL,
                # What the form's selects offer (the profile page renders the same form).
                "timing_choices": Timing.choices,
                "chat_choices": Chat.choices,
            }
        )
    return rows


def _current(row: dict) -> Channels:
    return Channels(row["email"], row["in_app"], row["timing"], row["chat"])


def save(*, user, choices: dict[str, Channels]) -> list[str]:
    """Store a person's choices (topic → channels) for the topics their page shows; a required
    topic keeps both channels (its timing may change), and a chat choice is kept only where
    the page offers it. Returns the topics whose choices changed."""
    current = {row["topic"]: row for row in of_user(user)}
    changed = []
    with transaction.atomic():
        for topic, channels in choices.items():
            row = current.get(topic)
            if row is None:
                continue
            wanted = Channels(
                email=row["required"] or channels.email,
                in_app=row["required"] or channels.in_app,
                timing=channels.timing if channels.timing in Timing.values else row["timing"],
                chat=channels.chat
                if row["chat_offered"] and channels.chat in Chat.values
                else row["chat"],
            )
            if wanted == _current(row):
                continue
            Preference.objects.update_or_create(
                user=user,
                topic=topic,
                defaults={
                    "email": wanted.email,
                    "in_app": wanted.in_app,
                    "timing": wanted.timing,
                    "chat": wanted.chat,
                },
            )
            changed.append(topic)
    return changed


def email_off(*, user, topic: str) -> bool:
    """Turn a topic's emails off (the unsubscribe link); False for a required topic."""
    if topic in required_topics():
        return False
    Preference.objects.update_or_create(user=user, topic=topic, defaults={"email": False})
    return True


def unsubscribe_token(*, user_id: int, topic: str = "", topics: list[str] = ()) -> str:
    """The signed part of an email's unsubscribe link: who and which topic (a digest's: its
    topics, comma-separated), no expiry (a link in an old email still works), nothing else it
    could be used for."""
    named = ",".join([topic] if topic else topics)
    return signing.dumps({"u": user_id, "t": named}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, list[str]] | None:
    """Who and which topics a link names; None for a link cut short or a topic unknown."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, topics = int(data["u"]), str(data["t"]).split(",")
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return (user_id, topics) if all(t in Topic.values for t in topics) else None
