"""A worker keeps its connections: one SMTP connection for email after email (a new one after
an error), and its database connection from task to task."""

import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from celery.fixups.django import DjangoWorkerFixup

from alignment.celery import app
from notifications import notify
from notifications.models import Delivery
from reviews import dispatch
from tests.reviews.cadence.support import BEFORE_7

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """An SMTP server on 127.0.0.1: the client port of each message, and replies to give."""

    def __init__(self):
        self.port = free_port()
        self.replies: list[str] = []  # the answers to the next messages; then 250
        self.peers: list[int] = []
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        with self._lock:
            self.peers.append(session.peer[1])
            return self.replies.pop(0) if self.replies else "250 2.0.0 OK"


@pytest.fixture
def sink(settings):
    sink = Sink()
    sink.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    try:
        yield sink
    finally:
        notify._mail_drop(polite=True)
        sink.controller.stop()


@pytest.fixture
def deliveries(sink, opened):
    """The 7-days-before reminders of Q1 FY2026 (one per head), waiting to be sent, on a new
    connection (the opening emails went to the sink before)."""
    dispatch.send_due_reminders(now=BEFORE_7)
    notify._mail_drop(polite=True)
    sink.peers.clear()
    return list(Delivery.objects.pending().order_by("pk"))


def send_all(deliveries) -> list[str]:
    return [notify.delivery_send(delivery_id=d.pk, now=BEFORE_7).state for d in deliveries]


def test_emails_sent_one_after_the_other_share_one_smtp_connection(sink, deliveries):
    assert len(deliveries) >= 2

    assert send_all(deliveries) == ["sent"] * len(deliveries)

    assert len(sink.peers) == len(deliveries)
    assert len(set(sink.peers)) == 1


@pytest.mark.parametrize("refusal", ["421 4.3.2 Busy", "550 5.7.1 Refused"])
def test_after_a_refusal_the_next_email_goes_out_on_a_new_connection(sink, deliveries, refusal):
    sink.replies = [refusal]

    states = send_all(deliveries)

    assert states == ["retry" if refusal.startswith("4") else "failed"] + ["sent"] * (
        len(deliveries) - 1
    )
    first, second, *rest = sink.peers
    assert first != second
    assert set(rest) <= {second}


def test_a_connection_idle_too_long_is_reopened(sink, deliveries, monkeypatch):
    first, second = deliveries[:2]
    assert send_all([first]) == ["sent"]
    monkeypatch.setattr(notify, "MAIL_IDLE_SECONDS", -1)

    assert send_all([second]) == ["sent"]

    assert len(set(sink.peers)) == 2


def test_a_worker_keeps_its_database_connection_between_tasks():
    # Celery's Django fixup closes it around every task unless CELERY_DB_REUSE_MAX is set.
    assert DjangoWorkerFixup(app).db_reuse_max >= 100
