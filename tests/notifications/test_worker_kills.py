"""A digest and a chat message through a real Celery worker (the integration rig of
tests/integration/), with a kill -9 of the pool child sending one of them: nothing is lost, and
only the one in flight at the kill goes out again, once."""

import os
import signal
from collections import Counter
from datetime import timedelta

import pytest
from celery import Celery
from django.utils import timezone

from notifications import notify
from notifications.models import Delivery, Digest, Preference
from reviews.announce import Note
from strategy.models import Membership
from tests.factories import ChatChannelFactory
from tests.integration.conftest import wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.needs_postgres,
    pytest.mark.needs_redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PEOPLE = 40
DIGEST_TICK = "notifications.tasks.send_due_digests"
HOOKS = {"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_ALLOW_HTTP_LOOPBACK": "true"}


def send_task(servers, name: str) -> None:
    """Send a task through the broker, as beat does."""
    app = Celery("digest-beat", broker=servers.redis.url, set_as_current=False)
    try:
        app.send_task(name, retry=True)
    finally:
        app.close()


def test_kill_9_of_the_child_sending_a_digest_loses_none_and_repeats_only_that_one(
    rig, due_reminders
):
    cycle = due_reminders(PEOPLE)
    heads = list(
        Membership.objects.filter(role=Membership.Role.HEAD).values_list("user_id", flat=True)
    )
    Preference.objects.bulk_create(
        Preference(user_id=h, topic=Preference.Topic.CHECK_REMINDER, timing="daily") for h in heads
    )
    # Held two days ago: their period (midnight UTC, the rig's send hour) has ended.
    notify.deliveries_create(
        cycle=cycle,
        kind=Delivery.Kind.CHECK_REMINDER,
        step="before-1",
        notes={h: Note("Your check is due tomorrow", "/") for h in heads},
        now=timezone.now() - timedelta(days=2),
    )
    assert Delivery.objects.filter(state=Delivery.State.HELD).count() == PEOPLE
    worker = rig.start_worker()
    killed = {}

    def kill_the_sender(key: str, client_port: int) -> None:
        pid = worker.child_connected_from(client_port)
        killed.update(key=key, pid=pid)
        if pid:
            os.kill(pid, signal.SIGKILL)

    done = rig.sink.on_message(10, kill_the_sender)
    send_task(rig, DIGEST_TICK)
    assert done.wait(timeout=30), "the 10th digest never arrived"
    assert killed["pid"], "no pool child was sending the 10th digest"

    def all_sent() -> bool:
        return Digest.objects.filter(state=Digest.State.SENT).count() == PEOPLE

    wait_until(all_sent, timeout=60, what=f"{PEOPLE} digests sent", on_fail=rig.tails)
    # A second run of the beat in the same period makes and sends nothing more.
    send_task(rig, DIGEST_TICK)

    received = Counter(rig.sink.accepted)
    assert len(received) == PEOPLE
    duplicates = {key: n - 1 for key, n in received.items() if n > 1}
    assert duplicates == {killed["key"]: 1}, "only the digest in flight at the kill comes again"
    assert Digest.objects.count() == PEOPLE
    assert not Delivery.objects.filter(state=Delivery.State.HELD).exists()
    rig.report(
        "kill -9 digest sender",
        f"killed pid {killed['pid']} sending {killed['key']}; duplicates: {duplicates}",
    )


def test_kill_9_of_the_child_posting_a_chat_message_loses_none(rig, due_reminders, receiver):
    cycle = due_reminders(PEOPLE)
    for check in cycle.checks.select_related("unit"):
        ChatChannelFactory(name=f"#{check.unit.code}", unit=check.unit, url=receiver.url)
    worker = rig.start_worker(**HOOKS)
    killed = {}

    def kill_the_sender(request) -> None:
        pid = worker.child_connected_from(request.client_port)
        killed.update(title=request.json()["blocks"][0]["text"]["text"], pid=pid)
        if pid:
            os.kill(pid, signal.SIGKILL)

    done = receiver.on_request(10, kill_the_sender)
    rig.tick()  # the reminders: an email to each head and a message to each team's channel
    assert done.wait(timeout=30), "the 10th chat message never arrived"
    assert killed["pid"], "no pool child was posting the 10th chat message"

    states = rig.wait_until_settled(2 * PEOPLE, timeout=90)

    assert states == {Delivery.State.SENT: 2 * PEOPLE}
    received = Counter(r.json()["blocks"][0]["text"]["text"] for r in receiver.received)
    assert len(received) == PEOPLE
    duplicates = {title: n - 1 for title, n in received.items() if n > 1}
    assert duplicates == {killed["title"]: 1}, "only the message in flight at the kill comes again"
    rig.report(
        "kill -9 chat sender",
        f"killed pid {killed['pid']} posting {killed['title']!r}; duplicates: {duplicates}",
    )
