"""Slack and Microsoft Teams channels (issue #16): the cadence's reminders and escalations go to
a team's channel through its incoming webhook, in the platform's card format, through the same
delivery rows as emails (once per channel, kind and step), retried as webhooks are. A real HTTP
receiver on loopback stands in for Slack and Teams."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications import notify
from notifications.models import ChatChannel, Delivery, Notification
from reviews import dispatch
from reviews.models import AlignmentCheck, ReviewCycle
from strategy import languages
from tests.factories import ChatChannelFactory, ReviewCycleFactory, UnitFactory, make_head
from tests.notifications.receiver import Reply
from tests.reviews.cadence.support import BEFORE_1, BEFORE_7, ESCALATION, MINUTE, OPENING

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(receiver, logistics):
    return ChatChannelFactory(name="#logistics", unit=logistics, url=receiver.url)


def chats(**filters) -> list[Delivery]:
    return list(Delivery.objects.chats().filter(**filters).order_by("pk"))


def send(delivery: Delivery, *, now) -> notify.Outcome:
    return notify.delivery_send(delivery_id=delivery.pk, now=now)


def check_url(cycle, unit) -> str:
    check = cycle.checks.get(unit=unit)
    return settings.SITE_URL + reverse("reviews:check-edit", args=[check.pk])


def test_a_team_channel_on_slack_is_told_its_check_opened_in_block_kit(
    receiver, channel, q1, logistics, deliver, mailoutbox
):
    dispatch.open_due_cycles(now=OPENING)
    deliver(now=OPENING)

    [message] = chats()
    assert (message.state, message.kind, message.attempts) == ("sent", "check_opened", 1)
    [request] = receiver.received
    assert request.headers["Content-Type"] == "application/json"
    assert "Webhook-Signature" not in request.headers  # the URL is the channel's secret
    body = request.json()
    header, actions = body["blocks"]
    assert header == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "The Logistics check for Q1 FY2026 is open, due 19 Apr 2026",
        },
    }
    [button] = actions["elements"]
    assert actions["type"] == "actions"
    assert button["type"] == "button"
    assert button["url"] == check_url(q1, logistics)
    assert body["text"].endswith(check_url(q1, logistics))
    # As well as email: both heads still have theirs.
    assert len(mailoutbox) == 2


def test_a_teams_channel_gets_an_adaptive_card_in_the_message_envelope(
    receiver, logistics, q1, deliver
):
    ChatChannelFactory(name="Logistics", platform="teams", unit=logistics, url=receiver.url)

    dispatch.open_due_cycles(now=OPENING)
    deliver(now=OPENING)

    [request] = receiver.received
    body = request.json()
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["version"] == "1.4"
    [title] = card["body"]
    assert title["type"] == "TextBlock"
    assert title["text"] == "The Logistics check for Q1 FY2026 is open, due 19 Apr 2026"
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open the check", "url": check_url(q1, logistics)}
    ]


def test_each_reminder_step_goes_once_per_channel_however_often_dispatch_runs(
    receiver, channel, opened, deliver
):
    receiver.received.clear()
    for now in (BEFORE_7, BEFORE_7, BEFORE_7 + MINUTE, BEFORE_1, BEFORE_1 + MINUTE):
        dispatch.send_due_reminders(now=now)
        deliver(now=now)

    reminders = chats(kind="check_reminder")
    assert [(d.step, d.state) for d in reminders] == [("before-7", "sent"), ("before-1", "sent")]
    assert len(receiver.received) == 2
    assert receiver.received[0].json()["blocks"][0]["text"]["text"] == (
        "Reminder: the Logistics check for Q1 FY2026 is due 19 Apr 2026"
    )


def test_only_the_channel_of_a_team_whose_check_is_late_is_reminded(
    receiver, channel, opened, finance, deliver
):
    ChatChannelFactory(name="#finance", unit=finance, url=receiver.url)
    opened.checks.filter(unit=finance).update(state=AlignmentCheck.State.SUBMITTED)

    dispatch.send_due_reminders(now=BEFORE_7)

    assert [d.channel for d in chats(kind="check_reminder")] == [channel]


def test_a_reminder_is_cancelled_when_the_team_submitted_before_it_went(
    receiver, channel, opened, logistics, deliver
):
    receiver.received.clear()
    dispatch.send_due_reminders(now=BEFORE_7)
    opened.checks.filter(unit=logistics).update(state=AlignmentCheck.State.SUBMITTED)

    deliver(now=BEFORE_7)

    [reminder] = chats(kind="check_reminder")
    assert reminder.state == "cancelled"
    assert receiver.received == []


def test_instead_of_email_sends_the_team_head_no_email_but_keeps_their_note(
    receiver, channel, q1, head, other_head, deliver, mailoutbox
):
    channel.mode = ChatChannel.Mode.INSTEAD_OF_EMAIL
    channel.save()

    dispatch.open_due_cycles(now=OPENING)
    deliver(now=OPENING)

    assert [m.to for m in mailoutbox] == [[other_head.email]]
    mine = Delivery.objects.emails().get(recipient=head)
    assert mine.state == Delivery.State.IN_CHAT
    assert Notification.objects.filter(user=head, delivery=mine).exists()
    assert [d.state for d in chats()] == ["sent"]


def test_the_executives_channel_is_told_the_escalation_with_the_late_teams(
    receiver, opened, executive, deliver, mailoutbox
):
    ChatChannelFactory(
        name="#leadership",
        unit=None,
        platform="teams",
        url=receiver.url,
        mode=ChatChannel.Mode.INSTEAD_OF_EMAIL,
    )
    receiver.received.clear()

    dispatch.escalate_overdue(now=ESCALATION)
    dispatch.escalate_overdue(now=ESCALATION + MINUTE)
    deliver(now=ESCALATION)

    [message] = chats(kind="escalation")
    assert message.state == "sent"
    [request] = receiver.received
    card = request.json()["attachments"][0]["content"]
    assert card["body"][0]["text"] == "2 teams are late with the Q1 FY2026 check, due 19 Apr 2026"
    assert card["body"][1]["facts"] == [
        {"title": "Finance", "value": "not started"},
        {"title": "Logistics", "value": "not started"},
    ]
    assert card["actions"][0]["url"] == settings.SITE_URL + opened.get_absolute_url()
    # Instead of email: the executive's escalation is written, not mailed.
    assert mailoutbox == []
    assert Delivery.objects.emails().get(recipient=executive).state == Delivery.State.IN_CHAT


@pytest.fixture
def reminder(receiver, channel, opened):
    receiver.received.clear()
    dispatch.send_due_reminders(now=BEFORE_7)
    [delivery] = chats(kind="check_reminder")
    return delivery


def test_a_400_fails_at_once(receiver, reminder):
    receiver.replies += [Reply(400, body=b"invalid_payload")]

    outcome = send(reminder, now=BEFORE_7)

    reminder.refresh_from_db()
    assert (outcome.state, reminder.state, reminder.attempts) == ("failed", "failed", 1)
    assert "400" in reminder.last_error and "invalid_payload" in reminder.last_error
    assert len(receiver.received) == 1


def test_a_429_then_a_200_is_one_message_after_two_attempts(receiver, reminder):
    receiver.replies += [Reply(429, headers={"Retry-After": "30"})]

    first = send(reminder, now=BEFORE_7)
    second = send(reminder, now=BEFORE_7 + timedelta(seconds=30))

    assert (first.state, first.retry_in) == ("retry", 30)
    assert second.state == "sent"
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts, reminder.last_error) == ("sent", 2, "")
    first_body, second_body = (r.body for r in receiver.received)
    assert first_body == second_body


def test_a_500_is_tried_again_with_backoff(receiver, reminder):
    receiver.replies += [Reply(500)]

    first = send(reminder, now=BEFORE_7)
    reminder.refresh_from_db()
    waited = reminder.next_attempt_at - BEFORE_7
    second = send(reminder, now=reminder.next_attempt_at)

    assert first.state == "retry"
    assert timedelta(seconds=60) <= waited <= timedelta(seconds=90)  # DELIVERY_RETRY_BASE_SECONDS
    assert second.state == "sent"
    assert len(receiver.received) == 2


def test_a_channel_whose_host_is_no_longer_allowed_is_not_sent(receiver, reminder, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = [".example.com"]

    outcome = send(reminder, now=BEFORE_7)

    reminder.refresh_from_db()
    assert outcome.state == "failed"
    assert reminder.last_error.startswith("Not sent: Webhooks may not go to 127.0.0.1")
    assert receiver.received == []


def test_a_channel_switched_off_has_its_message_cancelled(receiver, reminder, channel):
    channel.is_active = False
    channel.save()

    assert send(reminder, now=BEFORE_7).state == "cancelled"
    assert receiver.received == []
    # And a channel switched off is told nothing new.
    dispatch.send_due_reminders(now=BEFORE_1)
    assert len(chats(kind="check_reminder")) == 1


def test_a_failed_message_retried_from_operations_goes_again(receiver, reminder):
    receiver.replies += [Reply(404)]
    send(reminder, now=BEFORE_7)
    reminder.refresh_from_db()

    assert notify.retry_failed(delivery=reminder, now=BEFORE_7)
    assert send(reminder, now=BEFORE_7).state == "sent"
    assert len(receiver.received) == 2


def _reminder_queries(position, *, teams: int) -> int:
    """The queries of a reminder run of an open review with `teams` late teams, each with a
    head and an "instead of email" channel."""
    cycle = ReviewCycleFactory(
        position=position, opens_on=date(2026, 4, 5), due_on=date(2026, 4, 19), state="open"
    )
    for n in range(teams):
        unit = UnitFactory(name=f"Squad {cycle.pk}-{n}")
        make_head(unit)
        ChatChannelFactory(unit=unit, mode=ChatChannel.Mode.INSTEAD_OF_EMAIL)
        AlignmentCheck.objects.create(cycle=cycle, unit=unit)
    languages.company_locale()  # read once, then cached: not a cost per run
    with CaptureQueriesContext(connection) as queries:
        dispatch.send_due_reminders(now=BEFORE_7)
    assert len(chats(cycle=cycle, kind="check_reminder")) == teams
    reminders = Delivery.objects.emails().filter(cycle=cycle, kind="check_reminder")
    assert set(reminders.values_list("state", flat=True)) == {Delivery.State.IN_CHAT}
    return len(queries)


def test_the_channels_of_a_reminder_cost_the_same_queries_for_2_teams_as_for_8(
    cadence, current_position
):
    few = _reminder_queries(current_position, teams=2)
    ReviewCycle.objects.all().delete()

    assert _reminder_queries(current_position, teams=8) == few


def test_the_database_keeps_one_message_per_channel_kind_and_step(channel, opened):
    fields = {
        "cycle": opened,
        "channel": channel,
        "kind": Delivery.Kind.CHECK_REMINDER,
        "step": "before-7",
        "payload": {"title": "t", "link": "https://x", "lines": [], "button": "b"},
    }
    Delivery.objects.create(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(**fields)  # a second dispatcher racing the first
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(**fields | {"step": "before-1", "cycle": None})  # no review
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(**fields | {"step": "before-1", "payload": None})  # says nothing
    assert Delivery.objects.create(**fields | {"step": "before-1"}).is_chat
