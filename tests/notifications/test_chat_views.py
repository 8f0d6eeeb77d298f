"""The chat channels' pages (admins only, beside the webhooks' from the Operations page): the
URL is checked against the allowed hosts and, a secret, never shown in full once saved; chat
messages in the Operations page's delivery log, with their retry."""

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from notifications import notify
from notifications.models import ChatChannel, Delivery
from tests.factories import ChatChannelFactory, ReviewCycleFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("notifications:chat-list")
CREATE_URL = reverse("notifications:chat-create")
OPERATIONS_URL = reverse("notifications:operations")
SECRET_URL = "https://hooks.example.com/services/T000/B000/XXXXsecretXXXX"


@pytest.fixture(autouse=True)
def _hooks_allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.com"]
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = False


def channel_data(**fields) -> dict:
    data = {
        "name": "#logistics",
        "platform": "slack",
        "unit": "",
        "url": SECRET_URL,
        "mode": "instead",
        "is_active": "on",
    }
    return {**data, **fields}


def test_an_admin_adds_a_team_channel_and_its_url_is_shown_masked(login, admin_user, logistics):
    client = login(admin_user)

    response = client.post(CREATE_URL, channel_data(unit=str(logistics.pk)))

    assertRedirects(response, LIST_URL)
    channel = ChatChannel.objects.get()
    assert (channel.unit, channel.platform, channel.mode, channel.url) == (
        logistics,
        "slack",
        "instead",
        SECRET_URL,
    )
    assert channel.created_by == admin_user
    page = client.get(LIST_URL)
    assertContains(page, "https://hooks.example.com/…XXXX")
    assertNotContains(page, "XXXXsecretXXXX")
    edit = client.get(reverse("notifications:chat-edit", args=[channel.pk]))
    assertNotContains(edit, "XXXXsecretXXXX")


def test_a_channel_without_a_team_is_the_executives(login, admin_user):
    login(admin_user).post(CREATE_URL, channel_data(platform="teams"))

    channel = ChatChannel.objects.get()
    assert (channel.unit, channel.audience) == (None, "Executives")


def test_a_url_on_a_host_not_allowed_is_refused_and_nothing_is_saved(login, admin_user):
    response = login(admin_user).post(CREATE_URL, channel_data(url="https://evil.test/hook"))

    assert response.status_code == 400
    assertContains(response, "Webhooks may not go to evil.test", status_code=400)
    assert not ChatChannel.objects.exists()


def test_editing_with_the_url_left_empty_keeps_it(login, admin_user, logistics):
    channel = ChatChannelFactory(unit=logistics, url=SECRET_URL)
    url = reverse("notifications:chat-edit", args=[channel.pk])

    response = login(admin_user).post(
        url, channel_data(name="#logistics-ops", unit=str(logistics.pk), url="")
    )

    assertRedirects(response, LIST_URL)
    channel.refresh_from_db()
    assert (channel.name, channel.url) == ("#logistics-ops", SECRET_URL)


def test_a_removed_channel_takes_its_deliveries(login, admin_user, logistics):
    channel = ChatChannelFactory(unit=logistics)

    response = login(admin_user).post(reverse("notifications:chat-delete", args=[channel.pk]))

    assertRedirects(response, LIST_URL)
    assert not ChatChannel.objects.exists()


@pytest.mark.parametrize("who", ["executive", "head", "outsider"])
def test_only_admins_add_change_or_remove_a_channel(login, request, who, logistics):
    channel = ChatChannelFactory(unit=logistics, name="#logistics")
    client = login(request.getfixturevalue(who))

    answers = [
        client.get(LIST_URL),
        client.post(CREATE_URL, channel_data()),
        client.post(reverse("notifications:chat-edit", args=[channel.pk]), channel_data(url="")),
        client.post(reverse("notifications:chat-delete", args=[channel.pk])),
    ]

    assert [a.status_code for a in answers] == [403] * 4
    assert list(ChatChannel.objects.values_list("name", flat=True)) == ["#logistics"]


def test_operations_shows_a_failed_chat_message_and_retries_it(
    login, admin_user, logistics, current_position, send_tasks, django_capture_on_commit_callbacks
):
    channel = ChatChannelFactory(unit=logistics, name="#logistics", platform="teams")
    cycle = ReviewCycleFactory(position=current_position)
    failed = Delivery.objects.create(
        cycle=cycle,
        channel=channel,
        kind=Delivery.Kind.CHECK_REMINDER,
        step="before-7",
        payload={"title": "t", "link": "https://x", "lines": [], "button": "b", "unit": None},
        state=Delivery.State.FAILED,
        attempts=notify.MAX_ATTEMPTS,
        last_error="HTTP 404 Not Found: no_service",
    )
    client = login(admin_user)

    page = client.get(OPERATIONS_URL, {"state": "failed"})

    assertContains(page, reverse("notifications:chat-edit", args=[channel.pk]))
    assertContains(page, "Microsoft Teams")
    assertContains(page, "no_service")
    assertContains(page, 'aria-label="Retry the message to #logistics"')
    assertNotContains(page, channel.url)
    with django_capture_on_commit_callbacks(execute=True):
        retry = client.post(reverse("notifications:delivery-retry", args=[failed.pk]))
    assertRedirects(retry, OPERATIONS_URL + "?state=failed", fetch_redirect_response=False)
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.last_error) == ("pending", 0, "")
    assert send_tasks.ids == [failed.pk]
    assert timezone.now() >= failed.next_attempt_at
    assertContains(client.get(LIST_URL), "Delivery to #logistics (Microsoft Teams) queued again.")
