"""Webhook requests (docs/api.md, "Webhooks"), sent to a real HTTP receiver on loopback: signed
as the Standard Webhooks specification says, retried on a 5xx and on no answer, after its
Retry-After on a 429, failed at once on any other 4xx and on a redirect, never sent to a host
that is not allowed, and sent once however often the task runs."""

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from notifications import notify, tasks, webhooks
from notifications.models import Delivery
from tests.factories import ReviewCycleFactory, WebhookEndpointFactory
from tests.notifications.receiver import Reply

pytestmark = pytest.mark.django_db

CYCLE_OPENED = "cycle.opened"


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's check, written from the specification, not from the product's code."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['Webhook-Id']}.{headers['Webhook-Timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, sig.removeprefix("v1,"))
        for sig in headers["Webhook-Signature"].split()
        if sig.startswith("v1,")
    )


@pytest.fixture
def endpoint(receiver):
    return WebhookEndpointFactory(url=receiver.url)


def emit(*, now=None, step="cycle-1", data=None) -> Delivery:
    """One event written for the endpoints that want it; the delivery of the first."""
    ids = notify.webhooks_emit(
        event=CYCLE_OPENED,
        step=step,
        data=lambda: data or {"cycle": {"id": 1}},
        now=now or timezone.now(),
    )
    return Delivery.objects.get(pk=ids[0])


def send(delivery: Delivery, *, now=None) -> notify.Outcome:
    return notify.delivery_send(delivery_id=delivery.pk, now=now or timezone.now())


def test_a_webhook_is_signed_over_its_id_timestamp_and_body(receiver, endpoint, current_position):
    cycle = ReviewCycleFactory(position=current_position)
    now = timezone.now()
    ids = notify.webhooks_emit(
        event=CYCLE_OPENED,
        step=f"cycle-{cycle.pk}",
        data=lambda: {"cycle": webhooks.cycle_data(cycle)},
        now=now,
        cycle=cycle,
    )

    assert send(Delivery.objects.get(pk=ids[0]), now=now).state == "sent"

    [request] = receiver.received
    assert request.path == "/hooks/alignment"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Webhook-Timestamp"] == str(int(now.timestamp()))
    assert verify(endpoint.secret, request.headers, request.body)
    assert not verify(webhooks.secret_new(), request.headers, request.body)
    body = request.json()
    assert body["id"] == request.headers["Webhook-Id"]
    assert body["id"].startswith("evt_")
    assert body["type"] == "cycle.opened"
    assert body["timestamp"] == now.isoformat().replace("+00:00", "Z")
    assert body["data"]["cycle"]["id"] == cycle.pk
    assert body["data"]["cycle"]["label"] == cycle.label
    assert body["data"]["cycle"]["url"] == f"{settings.SITE_URL}/api/v1/cycles/{cycle.pk}/"
    delivery = Delivery.objects.get(pk=ids[0])
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("sent", 1, "")


def test_a_500_is_tried_again_after_a_backoff_with_the_same_id_and_body(receiver, endpoint):
    receiver.replies += [Reply(500, body=b"database down")]
    delivery = emit()
    now = timezone.now()

    outcome = send(delivery, now=now)

    assert outcome.state == "retry"
    assert outcome.retry_in >= 60  # DELIVERY_RETRY_BASE_SECONDS, plus jitter
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "HTTP 500" in delivery.last_error and "database down" in delivery.last_error
    assert delivery.next_attempt_at == now + timedelta(seconds=outcome.retry_in)

    later = now + timedelta(seconds=outcome.retry_in)
    assert send(delivery, now=later).state == "sent"
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"]
    assert second.headers["Webhook-Timestamp"] == str(int(later.timestamp()))
    assert verify(endpoint.secret, second.headers, second.body)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("sent", 2, "")


def test_no_answer_within_the_timeout_is_tried_again(receiver, endpoint, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.replies += [Reply(200, delay=1.5)]
    delivery = emit()

    outcome = send(delivery)

    assert outcome.state == "retry"
    delivery.refresh_from_db()
    assert delivery.state == "pending"
    assert "No answer within 0.3 s" in delivery.last_error


def test_a_refused_connection_is_tried_again(endpoint, receiver, settings):
    receiver.shutdown()
    receiver.server_close()

    outcome = send(emit())

    assert outcome.state == "retry"


def test_a_400_fails_at_once(receiver, endpoint):
    receiver.replies += [Reply(400, body=b"unknown event")]
    delivery = emit()

    assert send(delivery).state == "failed"

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    assert delivery.last_error.startswith("HTTP 400")
    assert "unknown event" in delivery.last_error
    assert send(delivery).state == "skipped"
    assert len(receiver.received) == 1


def test_a_429_waits_as_long_as_its_retry_after_asks(receiver, endpoint):
    receiver.replies += [Reply(429, headers={"Retry-After": "120"})]
    delivery = emit()
    now = timezone.now()

    outcome = send(delivery, now=now)

    assert (outcome.state, outcome.retry_in) == ("retry", 120)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == now + timedelta(seconds=120)


def test_a_retry_after_given_as_a_date_counts_from_now(receiver, endpoint):
    now = timezone.now().replace(microsecond=0)
    when = (now + timedelta(seconds=300)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    receiver.replies += [Reply(429, headers={"Retry-After": when})]

    outcome = send(emit(), now=now)

    assert (outcome.state, outcome.retry_in) == ("retry", 300)


def test_a_retry_after_longer_than_the_longest_backoff_is_cut_to_it(receiver, endpoint):
    receiver.replies += [Reply(429, headers={"Retry-After": "86400"})]

    outcome = send(emit())

    assert outcome.retry_in == 12 * 60  # 12 × DELIVERY_RETRY_BASE_SECONDS


def test_a_webhook_fails_after_its_last_attempt(receiver, endpoint):
    receiver.replies += [Reply(503) for _ in range(notify.MAX_ATTEMPTS)]
    delivery = emit()
    now = timezone.now()

    states = [send(delivery, now=now + timedelta(hours=n)).state for n in range(6)]

    assert states == ["retry"] * (notify.MAX_ATTEMPTS - 1) + ["failed", "skipped"]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", notify.MAX_ATTEMPTS)
    assert len(receiver.received) == notify.MAX_ATTEMPTS


def test_a_redirect_is_not_followed(receiver, endpoint):
    elsewhere = receiver.url.replace("/hooks/alignment", "/elsewhere")
    receiver.replies += [Reply(307, headers={"Location": elsewhere})]
    delivery = emit()

    assert send(delivery).state == "failed"

    assert [r.path for r in receiver.received] == ["/hooks/alignment"]
    delivery.refresh_from_db()
    assert "redirects are not followed" in delivery.last_error
    assert elsewhere in delivery.last_error


def test_a_host_no_longer_allowed_is_refused_when_sending(receiver, endpoint, settings):
    delivery = emit()
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.com"]

    assert send(delivery).state == "failed"

    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Not sent: Webhooks may not go to 127.0.0.1")


def test_plain_http_to_loopback_is_refused_unless_allowed(receiver, endpoint, settings):
    delivery = emit()
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = False

    assert send(delivery).state == "failed"

    assert receiver.received == []
    delivery.refresh_from_db()
    assert "https://" in delivery.last_error


def test_an_endpoint_switched_off_is_sent_nothing(receiver, endpoint):
    delivery = emit()
    endpoint.is_active = False
    endpoint.save()

    assert send(delivery).state == "cancelled"

    assert receiver.received == []
    assert emit_nothing()


def emit_nothing() -> bool:
    return (
        notify.webhooks_emit(
            event=CYCLE_OPENED, step="cycle-2", data=lambda: {}, now=timezone.now()
        )
        == []
    )


def test_an_event_is_sent_once_when_the_send_task_runs_twice(receiver, endpoint):
    delivery = emit()

    assert tasks.send_deliveries([delivery.pk]) == 1
    assert tasks.send_deliveries([delivery.pk]) == 0
    assert tasks.send_delivery.run(delivery.pk) == "skipped"

    assert len(receiver.received) == 1


def test_an_event_written_twice_is_one_delivery_per_endpoint(receiver, endpoint):
    other = WebhookEndpointFactory(url=receiver.url, events=[CYCLE_OPENED])
    WebhookEndpointFactory(url=receiver.url, events=["check.submitted"])  # not this event
    now = timezone.now()

    first = notify.webhooks_emit(event=CYCLE_OPENED, step="cycle-7", data=dict, now=now)
    again = notify.webhooks_emit(event=CYCLE_OPENED, step="cycle-7", data=dict, now=now)

    assert len(first) == 2 and again == []
    assert set(Delivery.objects.values_list("endpoint", flat=True)) == {endpoint.pk, other.pk}
    # One event, one id, whichever endpoint it goes to.
    assert len({d.payload["id"] for d in Delivery.objects.all()}) == 1


def test_writing_an_event_queues_its_deliveries_after_the_commit(
    receiver, endpoint, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = emit()
        assert enqueued == []

    assert enqueued == [delivery.pk]


def test_the_stalled_webhooks_are_queued_again_like_emails(
    receiver, endpoint, enqueued, django_capture_on_commit_callbacks
):
    delivery = emit(now=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert notify.redrive_stalled(now=timezone.now()) == 1

    assert delivery.pk in enqueued
