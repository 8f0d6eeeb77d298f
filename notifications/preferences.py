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

from notifications.models import Delivery, Preference
from strategy import roles

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


@dataclass(frozen=True)
class Channels:
    email: bool = True
    in_app: bool = True


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
    """Each person's channels for a topic, in one query: their choice, else both; a required
    topic both whatever they chose."""
    ids = list(user_ids)
    if topic in required_topics():
        return {user_id: Channels() for user_id in ids}
    chosen = {
        user_id: Channels(email=email, in_app=in_app)
        for user_id, email, in_app in Preference.objects.filter(
            user_id__in=ids, topic=topic
        ).values_list("user_id", "email", "in_app")
    }
    return {user_id: chosen.get(user_id, Channels()) for user_id in ids}


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
    """The rows of a person's preferences page: the topics they can be told about, in order."""
    required = required_topics()
    chosen = {p.topic: p for p in Preference.objects.filter(user=user)}
    rows = []
    for topic in topics_for(user):
        row = chosen.get(topic.value)
        rows.append(
            {
                "topic": topic.value,
                "label": topic.label,
                "required": topic.value in required,
                "email": topic.value in required or row is None or row.email,
                "in_app": topic.value in required or row is None or row.in_app,
            }
        )
    return rows


def save(*, user, choices: dict[str, Channels]) -> list[str]:
    """Store a person's choices (topic → channels) for the topics their page shows; a required
    topic keeps both. Returns the topics whose channels changed."""
    required = required_topics()
    current = {row["topic"]: Channels(row["email"], row["in_app"]) for row in of_user(user)}
    changed = []
    with transaction.atomic():
        for topic, channels in choices.items():
            if topic not in current or topic in required or current[topic] == channels:
                continue
            Preference.objects.update_or_create(
                user=user,
                topic=topic,
                defaults={"email": channels.email, "in_app": channels.in_app},
            )
            changed.append(topic)
    return changed


def email_off(*, user, topic: str) -> bool:
    """Turn a topic's emails off (the unsubscribe link); False for a required topic."""
    if topic in required_topics():
        return False
    Preference.objects.update_or_create(user=user, topic=topic, defaults={"email": False})
    return True


def unsubscribe_token(*, user_id: int, topic: str) -> str:
    """The signed part of an email's unsubscribe link: who and which topic, no expiry (a link
    in an old email still works), nothing else it could be used for."""
    return signing.dumps({"u": user_id, "t": topic}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, topic = int(data["u"]), str(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return (user_id, topic) if topic in Topic.values else None
