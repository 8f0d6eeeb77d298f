"""Sending one delivery: retries with backoff, permanent failures, the attempts cap, re-driving
stalled rows, an admin's retry, the email itself, and the Celery task that wraps it all."""

import smtplib
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from notifications import notify
from notifications import selectors as notification_selectors
from notifications import tasks as notification_tasks
from notifications.models import Delivery
from reviews import dispatch
from tests.reviews.cadence.support import BEFORE_7, ESCALATION, MINUTE, OPENING, check_of, paris

pytestmark = pytest.mark.django_db

BUSY = smtplib.SMTPResponseException(421, b"busy")


class FlakySMTP:
    """Replaces EmailMultiAlternatives.send: raises `errors` one per call, then really sends
    (to the locmem outbox)."""

    def __init__(self, send):
        self.errors: list[Exception] = []
        self.calls = 0
        self._send = send

    def __call__(self, message, fail_silently=False):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self._send(message, fail_silently=fail_silently)


@pytest.fixture
def smtp(monkeypatch):
    flaky = FlakySMTP(EmailMultiAlternatives.send)
    monkeypatch.setattr(EmailMultiAlternatives, "send", lambda self, **kw: flaky(self, **kw))
    return flaky


@pytest.fixture
def reminder(opened, head):
    """Hugo's 7-days-before reminder for Q1 FY2026, created and waiting to be sent."""
    dispatch.send_due_reminders(now=BEFORE_7)
    return Delivery.objects.get(kind=Delivery.Kind.CHECK_REMINDER, recipient=head)


def send(delivery, now=BEFORE_7) -> notify.Outcome:
    return notify.delivery_send(delivery_id=delivery.pk, now=now)


# --- Temporary and permanent failures --------------------------------------------------------


def test_a_busy_server_is_retried_with_growing_delays_then_sent_once(
    reminder, smtp, settings, mailoutbox
):
    settings.DELIVERY_RETRY_BASE_SECONDS = 1
    smtp.errors = [BUSY, BUSY, BUSY]
    now, outcomes = BEFORE_7, []

    for _ in range(4):
        outcome = send(reminder, now)
        outcomes.append(outcome)
        reminder.refresh_from_db()
        if outcome.state == "retry":
            assert reminder.state == Delivery.State.PENDING
            assert reminder.last_error == "421 b'busy'"
            assert reminder.next_attempt_at == now + timedelta(seconds=outcome.retry_in)
            now = reminder.next_attempt_at

    assert [o.state for o in outcomes] == ["retry", "retry", "retry", "sent"]
    delays = [o.retry_in for o in outcomes[:3]]
    for attempt, delay in enumerate(delays, start=1):
        base = 2 ** (attempt - 1)  # DELIVERY_RETRY_BASE_SECONDS × 2^(attempt − 1)
        assert base <= delay <= 1.5 * base
    assert delays == sorted(delays)
    assert (reminder.state, reminder.attempts, reminder.sent_at) == ("sent", 4, now)
    assert smtp.calls == 4
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("jitter", "delays"),
    [(lambda low, high: low, [1, 2, 4, 8]), (lambda low, high: high, [1.5, 3, 6, 12])],
    ids=["no jitter", "most jitter"],
)
def test_the_retry_delay_is_base_times_2_to_the_attempt_plus_up_to_half_of_it(
    reminder, smtp, settings, monkeypatch, jitter, delays
):
    settings.DELIVERY_RETRY_BASE_SECONDS = 1
    monkeypatch.setattr(notify.random, "uniform", lambda low, high: low + jitter(0, high - low))
    smtp.errors = [BUSY] * 4

    assert [send(reminder).retry_in for _ in range(4)] == delays


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        smtplib.SMTPConnectError(421, b"try later"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        smtplib.SMTPRecipientsRefused({"hugo-head@example.com": (450, b"mailbox busy")}),
    ],
    ids=["disconnected", "connect 421", "refused", "timeout", "recipient 450"],
)
def test_network_trouble_is_retried(reminder, smtp, error):
    smtp.errors = [error]

    assert send(reminder).state == "retry"
    reminder.refresh_from_db()
    assert reminder.state == Delivery.State.PENDING
    assert reminder.last_error


def test_a_permanent_refusal_fails_at_once_and_is_not_retried(reminder, smtp, mailoutbox, caplog):
    smtp.errors = [smtplib.SMTPResponseException(550, b"5.1.1 no such user")]

    outcome = send(reminder)

    assert (outcome.state, outcome.retry_in) == ("failed", None)
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == (Delivery.State.FAILED, 1)
    assert reminder.last_error == "550 b'5.1.1 no such user'"
    assert "failed for good" in caplog.text
    assert send(reminder, BEFORE_7 + MINUTE).state == "skipped"
    assert smtp.calls == 1
    assert mailoutbox == []


def test_a_recipient_refused_with_550_at_rcpt_to_fails_at_once(reminder, smtp):
    # Django's SMTP backend raises SMTPRecipientsRefused, not an SMTPResponseException, when
    # the server refuses the only recipient.
    smtp.errors = [
        smtplib.SMTPRecipientsRefused({"hugo-head@example.com": (550, b"5.1.1 no such user")})
    ]

    assert send(reminder).state == "failed"
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == (Delivery.State.FAILED, 1)
    assert "550" in reminder.last_error


def test_the_fifth_temporary_failure_gives_up(reminder, smtp, caplog):
    smtp.errors = [BUSY] * 5

    states = [send(reminder, BEFORE_7 + n * MINUTE).state for n in range(6)]

    assert states == ["retry", "retry", "retry", "retry", "failed", "skipped"]
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == (Delivery.State.FAILED, 5)
    assert "failed after 5 attempts" in caplog.text


def test_a_delivery_that_used_all_its_attempts_fails_without_sending(reminder, smtp, mailoutbox):
    # A worker killed mid-send five times: each attempt was counted before sending.
    Delivery.objects.filter(pk=reminder.pk).update(attempts=5, last_error="421 b'busy'")

    assert send(reminder).state == "failed"

    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == (Delivery.State.FAILED, 5)
    assert reminder.last_error == "421 b'busy'\nGave up after 5 attempts."
    assert smtp.calls == 0
    assert mailoutbox == []


def test_a_recipient_without_an_email_address_fails(reminder, head, smtp, mailoutbox):
    head.email = ""
    head.save()

    assert send(reminder).state == "failed"

    reminder.refresh_from_db()
    assert reminder.state == Delivery.State.FAILED
    assert reminder.last_error == "The recipient has no email address."
    assert smtp.calls == 0


def test_a_sent_delivery_is_not_sent_again(reminder, mailoutbox):
    assert send(reminder).state == "sent"
    assert send(reminder, BEFORE_7 + MINUTE).state == "skipped"

    assert len(mailoutbox) == 1


# --- Re-driving and retrying -----------------------------------------------------------------


def test_redrive_enqueues_again_only_deliveries_pending_longer_than_the_stall_delay(
    opened, head, other_head, settings, enqueued, django_capture_on_commit_callbacks
):
    settings.DELIVERY_STALL_SECONDS = 600
    dispatch.send_due_reminders(now=BEFORE_7)  # two pending reminders; their tasks are lost
    stuck = Delivery.objects.get(kind="check_reminder", recipient=head)
    later = Delivery.objects.get(kind="check_reminder", recipient=other_head)
    Delivery.objects.filter(pk=later.pk).update(next_attempt_at=BEFORE_7 + 5 * MINUTE)
    # The opening emails: one sent, one failed; neither is pending.
    Delivery.objects.filter(kind="check_opened", recipient=head).update(state="failed")
    stall = BEFORE_7 + timedelta(seconds=600)

    with django_capture_on_commit_callbacks(execute=True):
        assert notify.redrive_stalled(now=stall - timedelta(seconds=1)) == 0
        assert notify.redrive_stalled(now=stall) == 1
        assert notify.redrive_stalled(now=stall) == 0  # a second dispatcher finds it claimed
        assert notify.redrive_stalled(now=stall + 4 * MINUTE) == 0

    assert enqueued == [stuck.pk]
    stuck.refresh_from_db()
    assert stuck.next_attempt_at == stall

    with django_capture_on_commit_callbacks(execute=True):
        assert notify.redrive_stalled(now=stall + 5 * MINUTE) == 1  # the other one's turn
        assert notify.redrive_stalled(now=stall + 10 * MINUTE) == 1  # still stuck a stall on
    assert enqueued == [stuck.pk, later.pk, stuck.pk]


def test_the_reminder_run_redrives_stalled_deliveries(
    reminder, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.send_due_reminders(now=BEFORE_7 + timedelta(minutes=15))

    assert reminder.pk in enqueued


def test_a_delivery_waiting_for_its_retry_is_not_stalled(reminder, smtp, settings):
    Delivery.objects.exclude(pk=reminder.pk).update(state="sent")
    settings.DELIVERY_RETRY_BASE_SECONDS = 3600
    smtp.errors = [BUSY]
    send(reminder)  # next attempt in 60 to 90 minutes

    assert notify.redrive_stalled(now=BEFORE_7 + timedelta(minutes=59)) == 0
    assert notify.redrive_stalled(now=BEFORE_7 + timedelta(minutes=100)) == 1


def test_retry_failed_puts_a_failed_delivery_back_to_pending_and_enqueues_it(
    reminder, enqueued, django_capture_on_commit_callbacks
):
    Delivery.objects.filter(pk=reminder.pk).update(
        state="failed", attempts=5, last_error="421 b'busy'"
    )
    later = ESCALATION

    with django_capture_on_commit_callbacks(execute=True):
        assert notify.retry_failed(delivery=reminder, now=later) is True
        assert notify.retry_failed(delivery=reminder, now=later) is False  # pending already

    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts, reminder.last_error) == ("pending", 0, "")
    assert reminder.next_attempt_at == later
    assert enqueued == [reminder.pk]


def test_an_admin_retries_a_failed_delivery_from_the_operations_page(
    reminder, login, admin_user, enqueued, django_capture_on_commit_callbacks
):
    Delivery.objects.filter(pk=reminder.pk).update(state="failed", attempts=1)
    client = login(admin_user)
    retry_url = reverse("notifications:delivery-retry", args=[reminder.pk])

    page = client.get(reverse("notifications:operations") + "?state=failed")
    assertContains(page, f'action="{retry_url}"')
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url)

    assertRedirects(response, "/reviews/operations/?state=failed", fetch_redirect_response=False)
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == ("pending", 0)
    assert enqueued == [reminder.pk]
    assertContains(client.get(response.url), "Delivery to hugo-head queued again.")


@pytest.mark.parametrize("who", ["executive", "head", "outsider"])
def test_only_admins_can_retry_a_delivery(reminder, login, request, who):
    Delivery.objects.filter(pk=reminder.pk).update(state="failed")

    response = login(request.getfixturevalue(who)).post(
        reverse("notifications:delivery-retry", args=[reminder.pk])
    )

    assert response.status_code == 403
    reminder.refresh_from_db()
    assert reminder.state == Delivery.State.FAILED


# --- The email -------------------------------------------------------------------------------


def test_the_reminder_email_says_what_is_due_when_and_links_to_the_check(
    reminder, head, logistics, settings, mailoutbox
):
    settings.SITE_URL = "https://alignment.example.com"

    send(reminder)

    [message] = mailoutbox
    assert message.to == [head.email]
    assert message.subject == "Reminder: your alignment check for Q1 FY2026 is due 19 Apr 2026"
    check_url = reverse("reviews:check-edit", args=[check_of(reminder.cycle, logistics).pk])
    link = f"https://alignment.example.com{check_url}"
    assert f"Go to: {link}" in message.body
    assert "- Logistics: not started" in message.body
    assert "https://alignment.example.com/reviews/notifications/" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'<a href="{link}">' in html
    assert "<li>Logistics: not started</li>" in html
    assert message.extra_headers["X-Alignment-Delivery"] == f"{reminder.pk}:check_reminder:before-7"


def test_the_opening_email_says_when_the_check_is_due(q1, head, deliver, mailoutbox):
    dispatch.open_due_cycles(now=OPENING)
    deliver(now=OPENING)

    message = next(m for m in mailoutbox if m.to == [head.email])
    assert message.subject == "Your alignment check for Q1 FY2026 is open, due 19 Apr 2026"
    delivery = Delivery.objects.get(recipient=head)
    assert message.extra_headers["X-Alignment-Delivery"] == f"{delivery.pk}:check_opened:"


@pytest.mark.parametrize(
    ("start", "now", "due"),
    [
        ("escalation", ESCALATION, "19 Apr 2026"),
        ("refresh started", paris(2026, 11, 1), "31 Dec 2026"),
        ("refresh reminder", paris(2026, 11, 8, 8), "31 Dec 2026"),
    ],
    ids=["escalation", "refresh started", "refresh reminder"],
)
def test_the_executives_emails_say_by_when(opened, deliver, mailoutbox, start, now, due):
    mailoutbox.clear()
    if start == "escalation":
        dispatch.escalate_overdue(now=now)
    else:
        dispatch.start_annual_refresh(now=paris(2026, 11, 1))
        dispatch.send_due_reminders(now=now)
    deliver(now=now)

    # The heads' own reminders (still overdue in this window) are not what this test is about.
    subjects = [m.subject for m in mailoutbox if "your alignment check" not in m.subject]
    assert subjects
    assert all(due in subject for subject in subjects), subjects


# --- The task --------------------------------------------------------------------------------


def test_the_task_returns_the_outcome(reminder, mailoutbox):
    assert notification_tasks.send_delivery.run(reminder.pk) == "sent"
    assert notification_tasks.send_delivery.run(reminder.pk) == "skipped"
    assert len(mailoutbox) == 1


def test_the_task_raises_retry_when_the_server_is_busy(reminder, smtp):
    smtp.errors = [BUSY]

    with pytest.raises(Retry):
        notification_tasks.send_delivery.run(reminder.pk)


def test_the_task_asks_celery_to_retry_after_the_backoff_delay(
    reminder, smtp, settings, monkeypatch
):
    settings.DELIVERY_RETRY_BASE_SECONDS = 10
    smtp.errors = [BUSY, BUSY]
    countdowns = []

    def retry(*, countdown):
        countdowns.append(countdown)
        return Retry("busy", when=countdown)

    monkeypatch.setattr(notification_tasks.send_delivery, "retry", retry)
    for _ in range(2):
        with pytest.raises(Retry):
            notification_tasks.send_delivery.run(reminder.pk)

    assert len(countdowns) == 2
    assert 10 <= countdowns[0] <= 15
    assert 20 <= countdowns[1] <= 30


# --- The delivery log --------------------------------------------------------------------------


def test_the_delivery_log_shows_a_page_at_a_time_and_counts_the_rest(
    reminder, login, admin_user, monkeypatch
):

    monkeypatch.setattr(notification_selectors, "DELIVERIES_PER_PAGE", 1)
    total = Delivery.objects.count()
    assert total > 1
    client = login(admin_user)

    first = client.get(reverse("notifications:operations"))
    second = client.get(reverse("notifications:operations"), {"page": 2})

    assert len(first.context["page"].object_list) == 1
    assertContains(first, f"Deliveries 1–1 of {total}, newest first.")
    assertContains(second, f"Deliveries 2–2 of {total}, newest first.")


def test_an_invalid_delivery_filter_is_ignored_and_named_while_the_others_apply(
    reminder, login, admin_user
):
    Delivery.objects.filter(pk=reminder.pk).update(state="failed")
    client = login(admin_user)

    response = client.get(
        reverse("notifications:operations"), {"state": "failed", "cycle": "99999"}
    )

    assert [d.pk for d in response.context["page"]] == [reminder.pk]
    assertContains(response, "The cycle filter was not valid and was ignored; the others apply.")
    assertContains(response, "Deliveries 1–1 of 1 matching the filters")


def test_two_invalid_delivery_filters_are_both_named(reminder, login, admin_user):
    response = login(admin_user).get(
        reverse("notifications:operations"), {"state": "lost", "kind": "check_opened", "cycle": "x"}
    )

    assertContains(response, "The state and cycle filters were not valid and were ignored")
    kinds = {d.kind for d in response.context["page"]}
    assert kinds == {"check_opened"}
