"""Webhooks through a real Celery worker to a real receiver on loopback: retried on a 500 with
the worker's backoff, and each event received once through a kill -9 of the pool child sending
it (the one in flight at the kill is received again, with the same Webhook-Id: receivers keep
the ids they have seen)."""

import base64
import hashlib
import hmac
import os
import signal
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from notifications import notify
from notifications import tasks as notification_tasks
from notifications.models import Delivery
from tests.factories import WebhookEndpointFactory
from tests.integration.conftest import STALL_SECONDS
from tests.notifications.receiver import Reply, serve

pytestmark = [
    pytest.mark.integration,
    pytest.mark.needs_postgres,
    pytest.mark.needs_redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EVENTS = 40
HOOKS = {"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_ALLOW_HTTP_LOOPBACK": "true"}


@pytest.fixture
def receiver():
    with serve() as server:
        yield server


@pytest.fixture
def events(monkeypatch):
    """`events(url, n)`: n events for one endpoint at `url`, written long enough ago that the
    next tick's re-drive hands them to the rig's worker (not queued by this process)."""
    monkeypatch.setattr(
        notification_tasks, "send_deliveries", SimpleNamespace(delay=lambda ids: None)
    )

    def _events(url: str, n: int):
        endpoint = WebhookEndpointFactory(url=url, events=["cycle.opened"])
        notify.webhooks_emit_many(
            event="cycle.opened",
            now=timezone.now() - timedelta(seconds=3 * STALL_SECONDS),
            items=[(f"cycle-{i}", None, lambda i=i: {"n": i}) for i in range(n)],
        )
        return endpoint

    return _events


def signed_by(secret: str, request) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = request.headers
    signed = f"{headers['Webhook-Id']}.{headers['Webhook-Timestamp']}.".encode() + request.body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(headers["Webhook-Signature"], expected)


def test_a_500_twice_then_200_is_one_event_after_three_attempts(rig, receiver, events):
    endpoint = events(receiver.url, 1)
    receiver.replies += [Reply(500), Reply(500)]
    rig.start_worker(**HOOKS)

    rig.tick()
    states = rig.wait_until_settled(1, timeout=60)

    assert states == {Delivery.State.SENT: 1}
    assert len(receiver.received) == 3
    assert len({r.headers["Webhook-Id"] for r in receiver.received}) == 1
    assert all(signed_by(endpoint.secret, r) for r in receiver.received)
    assert Delivery.objects.get().attempts == 3


def test_kill_9_of_the_child_sending_a_webhook_loses_no_event(rig, receiver, events):
    endpoint = events(receiver.url, EVENTS)
    worker = rig.start_worker(**HOOKS)
    killed = {}

    def kill_the_sender(request) -> None:
        pid = worker.child_connected_from(request.client_port)
        killed.update(id=request.headers["Webhook-Id"], pid=pid)
        if pid:
            os.kill(pid, signal.SIGKILL)

    done = receiver.on_request(10, kill_the_sender)
    rig.tick()
    assert done.wait(timeout=30), "the 10th webhook never arrived"
    assert killed["pid"], "no pool child was sending the 10th webhook"

    states = rig.wait_until_settled(EVENTS, timeout=60)

    assert states == {Delivery.State.SENT: EVENTS}
    expected = {d.payload["id"] for d in Delivery.objects.all()}
    received = Counter(r.headers["Webhook-Id"] for r in receiver.received)
    assert set(received) == expected
    duplicates = {i: n - 1 for i, n in received.items() if n > 1}
    assert duplicates == {killed["id"]: 1}, "only the webhook in flight at the kill comes again"
    assert all(signed_by(endpoint.secret, r) for r in receiver.received)
    rig.report(
        "kill -9 webhook sender",
        f"killed pid {killed['pid']} sending {killed['id']}; duplicates: {duplicates}",
    )
