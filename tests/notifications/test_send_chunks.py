"""Deliveries are enqueued in chunks, one send task each, and every delivery of a chunk is still
claimed, sent and retried on its own."""

import re
import smtplib
from collections import Counter

import pytest
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import notify
from notifications import tasks as notification_tasks
from notifications.models import Delivery, Notification
from reviews import dispatch
from tests.factories import UnitFactory, make_head
from tests.reviews.cadence.support import BEFORE_7, OPENING, everyone_has_read

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminders(opened):
    """The 7-days-before reminders of Q1 FY2026 (Hugo's and Fay's), waiting to be sent."""
    dispatch.send_due_reminders(now=BEFORE_7)
    return list(Delivery.objects.pending().order_by("pk").values_list("pk", flat=True))


def test_many_deliveries_go_to_the_broker_in_chunks_each_id_once(
    send_tasks, django_capture_on_commit_callbacks
):
    ids = list(range(1, 2 * notify.SEND_CHUNK + 21))

    with django_capture_on_commit_callbacks(execute=True):
        notify.enqueue(ids)

    assert [len(chunk) for chunk in send_tasks.chunks] == [notify.SEND_CHUNK] * 2 + [20]
    assert send_tasks.ids == ids


def test_a_chunk_sends_each_of_its_deliveries_and_running_it_again_sends_none_twice(
    reminders, mailoutbox
):
    assert notification_tasks.send_deliveries.run(reminders) == 2
    assert notification_tasks.send_deliveries.run(reminders) == 0

    assert len(mailoutbox) == 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}


def test_a_delivery_refused_for_now_is_retried_on_its_own_and_the_chunk_goes_on(
    reminders, mailoutbox, monkeypatch
):
    send = EmailMultiAlternatives.send
    refusals = [smtplib.SMTPResponseException(421, b"busy")]

    def flaky(message, **kwargs):
        if refusals:
            raise refusals.pop()
        return send(message, **kwargs)

    retries = []
    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky)
    monkeypatch.setattr(
        notification_tasks.send_delivery,
        "apply_async",
        lambda args, countdown: retries.append((args, countdown)),
    )

    assert notification_tasks.send_deliveries.run(reminders) == 1

    first, second = reminders
    assert [args for args, _ in retries] == [(first,)]
    assert retries[0][1] >= 60  # DELIVERY_RETRY_BASE_SECONDS × 2⁰, plus jitter
    assert Delivery.objects.get(pk=first).state == Delivery.State.PENDING
    assert Delivery.objects.get(pk=second).state == Delivery.State.SENT
    assert len(mailoutbox) == 1


def test_a_slow_chunk_hands_the_rest_to_a_new_task(reminders, mailoutbox, monkeypatch):
    readings = []

    def clock() -> float:  # the first reading starts the chunk; every later one is too late
        readings.append(1)
        return 0 if len(readings) == 1 else notification_tasks.CHUNK_SECONDS + 1

    monkeypatch.setattr(notification_tasks.time, "monotonic", clock)
    handed = []
    monkeypatch.setattr(notification_tasks.send_deliveries, "delay", handed.append)

    assert notification_tasks.send_deliveries.run(reminders) == 1

    assert handed == [reminders[1:]]
    assert len(mailoutbox) == 1


def _reminders_for(teams: int, *, q1, deliver) -> list[int]:
    """The 7-days-before reminders of Q1 FY2026 for Logistics, Finance and `teams` more, each
    team with a head of its own."""
    for n in range(teams):
        make_head(UnitFactory(name=f"Extra team {n}"), username=f"extra-head-{n}")
    everyone_has_read(q1.position)
    dispatch.open_due_cycles(now=OPENING)
    deliver(now=OPENING)
    dispatch.send_due_reminders(now=BEFORE_7)
    return list(Delivery.objects.pending().order_by("pk").values_list("pk", flat=True))


def _statements(ids: list[int]) -> Counter:
    """The SQL statements sending `ids` runs, by kind (savepoints left out: the test's
    transaction makes them of the commits)."""
    with CaptureQueriesContext(connection) as queries:
        assert notification_tasks.send_deliveries.run(ids) == len(ids)
    kinds = Counter()
    for query in queries.captured_queries:
        sql = query["sql"]
        if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            kinds[
                "lock" if "FOR UPDATE" in sql and sql.startswith("SELECT") else sql.split()[0]
            ] += 1
    return kinds


@pytest.mark.parametrize("extra_teams", [0, 10])
def test_a_chunk_reads_what_its_emails_say_a_batch_at_a_time(
    q1, deliver, mailoutbox, monkeypatch, extra_teams
):
    """Per email: its claim (an update), its lock and its marking; per batch of
    notify.SEND_BATCH: the deliveries, their notifications, the heads' checks and the company's
    name, whatever the number of emails."""
    monkeypatch.setattr(notify, "SEND_BATCH", 4)
    ids = _reminders_for(extra_teams, q1=q1, deliver=deliver)
    mailoutbox.clear()

    statements = _statements(ids)

    emails, batches = len(ids), -(-len(ids) // notify.SEND_BATCH)
    assert emails == 2 + extra_teams
    assert statements == {"UPDATE": 2 * emails, "lock": emails, "SELECT": 4 * batches}
    # Each head hears once, of their own team: the batch's reads matched to the right email.
    teams = {m.to[0]: re.findall(r"^- (.*): not started$", m.body, re.M) for m in mailoutbox}
    assert len(teams) == len(mailoutbox) == emails
    assert teams["hugo-head@example.com"] == ["Logistics"]
    assert teams["fay-finance@example.com"] == ["Finance"]
    for n in range(extra_teams):
        assert teams[f"extra-head-{n}@example.com"] == [f"Extra team {n}"]


def test_the_notes_a_reminder_supersedes_are_read_a_chunk_of_recipients_at_a_time(
    opened, head, other_head, monkeypatch
):
    monkeypatch.setattr(notify, "SUPERSEDE_CHUNK", 1)

    dispatch.send_due_reminders(now=BEFORE_7)

    for person in (head, other_head):
        unread = Notification.objects.filter(user=person).unread()
        assert [n.delivery.kind for n in unread] == ["check_reminder"]  # the opening note read
