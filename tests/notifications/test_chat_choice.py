"""A person's own chat choice: where their team's chat channel is told of their check's news
(or the executives' channel of the late checks), they may keep the email or have the chat
instead; the preferences form offers it only to whom it concerns, with the timing of each
topic."""

import pytest

from notifications import notify
from notifications.models import ChatChannel, Delivery, Preference
from reviews.announce import Note
from tests.factories import ChatChannelFactory
from tests.reviews.cadence.support import paris

pytestmark = pytest.mark.django_db

Topic, Chat, Timing = Preference.Topic, Preference.Chat, Preference.Timing
State = Delivery.State
NOW = paris(2026, 4, 12, 8, 0)


@pytest.fixture(autouse=True)
def hooks_allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = [".example.com"]


def choose(user, topic, **fields):
    Preference.objects.update_or_create(user=user, topic=topic, defaults=fields)


def remind(cycle, heads, *, step: str, teams) -> dict[str, str]:
    """A reminder to `heads` and their teams' channels; each head's email's state."""
    link = cycle.checks.first().get_absolute_url()
    notify.deliveries_create(
        cycle=cycle,
        kind=Delivery.Kind.CHECK_REMINDER,
        step=step,
        notes={h.pk: Note("Reminder", link) for h in heads},
        teams={t.pk: Note("Reminder", link) for t in teams},
        now=NOW,
    )
    return dict(
        Delivery.objects.emails()
        .filter(step=step, recipient__in=heads)
        .values_list("recipient__username", "state")
    )


def test_a_head_who_chose_the_chat_instead_gets_no_email_once_the_channel_has_it(
    opened, head, other_head, logistics, finance
):
    ChatChannelFactory(unit=logistics)  # Logistics has a channel; Finance has none
    choose(head, Topic.CHECK_REMINDER, chat=Chat.INSTEAD)
    choose(other_head, Topic.CHECK_REMINDER, chat=Chat.INSTEAD)

    states = remind(opened, [head, other_head], step="before-7", teams=[logistics, finance])

    # Recorded, shown on the operations page; the other head has no channel: their email.
    assert states == {head.username: State.TURNED_OFF, other_head.username: State.PENDING}
    assert Delivery.objects.chats().filter(channel__unit=logistics).count() == 1


def test_the_chat_instead_needs_a_working_channel(opened, head, logistics, settings):
    channel = ChatChannelFactory(unit=logistics, is_active=False)
    choose(head, Topic.CHECK_REMINDER, chat=Chat.INSTEAD)
    assert remind(opened, [head], step="before-7", teams=[logistics]) == {
        head.username: State.PENDING
    }

    # Active, but its host is no longer allowed: it would fail, so the email goes.
    channel.is_active = True
    channel.save()
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.slack.com"]
    assert remind(opened, [head], step="before-1", teams=[logistics]) == {
        head.username: State.PENDING
    }


def test_a_required_topic_still_sends_the_email_whatever_the_chat_choice(opened, head, logistics):
    ChatChannelFactory(unit=logistics)
    choose(head, Topic.CHECK_OVERDUE, chat=Chat.INSTEAD, email=False)

    # check_overdue is required (NOTIFICATIONS_REQUIRED's default).
    assert remind(opened, [head], step="overdue-3", teams=[logistics]) == {
        head.username: State.PENDING
    }


def test_chat_and_email_keeps_the_email_of_a_channel_set_instead_of_email(
    opened, head, other_head, logistics, finance
):
    ChatChannelFactory(unit=logistics, mode=ChatChannel.Mode.INSTEAD_OF_EMAIL)
    ChatChannelFactory(unit=finance, mode=ChatChannel.Mode.INSTEAD_OF_EMAIL)
    choose(head, Topic.CHECK_REMINDER, chat=Chat.ALSO)

    states = remind(opened, [head, other_head], step="before-7", teams=[logistics, finance])

    assert states == {head.username: State.PENDING, other_head.username: State.IN_CHAT}


def test_the_preferences_form_offers_the_chat_only_to_a_head_whose_team_has_a_channel(
    login, head, other_head, logistics
):
    ChatChannelFactory(unit=logistics)

    page = login(head).get("/reviews/notifications/preferences/").content.decode()
    assert 'name="check_reminder-chat"' in page
    assert 'name="check_reminder-timing"' in page
    assert 'name="check_overdue-chat"' not in page  # required: its email always goes
    assert 'name="check_overdue-timing"' in page  # but its timing may be chosen

    other = login(other_head).get("/reviews/notifications/preferences/").content.decode()
    assert 'name="check_reminder-chat"' not in other


def test_the_preferences_form_saves_the_timings_and_the_chat_choice(login, head, logistics):
    ChatChannelFactory(unit=logistics)
    client = login(head)
    page = client.get("/reviews/notifications/preferences/")
    data = {"next": "/reviews/notifications/preferences/"}
    for row in page.context["preference_rows"]:
        for channel in ("email", "in_app"):
            if row[channel]:
                data[f"{row['topic']}-{channel}"] = "on"
        data[f"{row['topic']}-timing"] = row["timing"]
    data["check_reminder-timing"] = Timing.WEEKLY
    data["check_reminder-chat"] = Chat.INSTEAD
    data["check_overdue-timing"] = Timing.DAILY
    data["check_overdue-chat"] = Chat.INSTEAD  # not offered: ignored

    assert client.post("/reviews/notifications/preferences/", data).status_code == 302

    saved = {p.topic: (p.email, p.timing, p.chat) for p in Preference.objects.filter(user=head)}
    assert saved == {
        Topic.CHECK_REMINDER: (True, Timing.WEEKLY, Chat.INSTEAD),
        Topic.CHECK_OVERDUE: (True, Timing.DAILY, Chat.CHANNEL),
    }
    rows = {
        r["topic"]: r
        for r in client.get("/reviews/notifications/preferences/").context["preference_rows"]
    }
    assert (rows["check_reminder"]["timing"], rows["check_reminder"]["chat"]) == (
        Timing.WEEKLY,
        Chat.INSTEAD,
    )


def test_an_email_turned_off_for_the_chat_is_in_the_operations_log(
    opened, head, logistics, login, admin_user
):
    ChatChannelFactory(unit=logistics)
    choose(head, Topic.CHECK_REMINDER, chat=Chat.INSTEAD)
    remind(opened, [head], step="before-7", teams=[logistics])

    page = login(admin_user).get("/reviews/operations/?state=off").content.decode()

    assert "Email turned off by its recipient" in page
    assert (head.get_full_name() or head.username) in page
