"""Deliveries: created once per (cycle, recipient, kind, step), then sent by send tasks (a
chunk of deliveries each, claimed and sent one by one).

The database, not the broker, decides what is sent: a delivery row exists before its email
does, a send claims its row with a row lock, and a row left pending (its task lost with the
broker, say) is sent again by the next dispatch run.
"""

from __future__ import annotations

import contextlib
import logging
import random
import smtplib
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.models import Delivery, Notification
from reviews.announce import Note
from reviews.models import AlignmentCheck, ReviewCycle
from strategy.models import CompanySettings, Membership

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


# --- Creating --------------------------------------------------------------------------------


# A new note replaces the recipient's unread notes about the same cycle of the same kind, and
# of the kinds it tells the news of as well: the latest reminder says what is still due, the
# reports-ready note that the review is closed.
SUPERSEDES = {
    Delivery.Kind.CHECK_REMINDER: {Delivery.Kind.CHECK_OPENED},
    Delivery.Kind.REFRESH_REMINDER: {Delivery.Kind.REFRESH_STARTED},
    Delivery.Kind.REPORT_READY: {Delivery.Kind.CYCLE_CLOSED},
}


def deliveries_create(
    *, cycle: ReviewCycle, kind: str, step: str, notes: dict[int, Note], now: datetime
) -> list[int]:
    """Create the deliveries not created yet (with their in-app notifications) and enqueue
    them after commit. Returns the ids created; running twice creates nothing twice."""
    if not notes:
        return []
    existing = set(
        Delivery.objects.filter(
            cycle=cycle, kind=kind, step=step, recipient_id__in=notes
        ).values_list("recipient_id", flat=True)
    )
    missing = [r for r in notes if r not in existing]
    Delivery.objects.bulk_create(
        [
            Delivery(
                cycle=cycle,
                kind=kind,
                step=step,
                recipient_id=r,
                created_at=now,
                next_attempt_at=now,
            )
            for r in missing
        ],
        ignore_conflicts=True,  # another dispatcher may have won the race for some rows
        batch_size=1000,
    )
    created = list(
        Delivery.objects.filter(
            cycle=cycle, kind=kind, step=step, recipient_id__in=missing, notification__isnull=True
        ).values_list("pk", "recipient_id")
    )
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=r, delivery_id=pk, title=notes[r].title, link=notes[r].link, created_at=now
            )
            for pk, r in created
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    ids = [pk for pk, _ in created]
    if ids:
        # What the new notes supersede counts as read: one unread note per cycle and subject
        # for each person, not a pile. (Those created now are the deliveries stamped `now`.)
        told_now = Delivery.objects.filter(cycle=cycle, kind=kind, step=step, created_at=now)
        Notification.objects.unread().filter(
            user_id__in=told_now.values("recipient_id"),
            delivery__cycle=cycle,
            delivery__kind__in=[kind, *SUPERSEDES.get(kind, ())],
            created_at__lt=now,
        ).update(read_at=now)
    enqueue(ids)
    return ids


SEND_CHUNK = 50  # deliveries per send task: 200 messages to the broker for 10,000 emails

# Sent with the ids of deliveries just written; reviews.tasks receives it and, once the
# transaction commits, queues one send task per SEND_CHUNK of them: one broker round trip per
# chunk, still one claim, one email and its own retries per delivery (tasks.send_deliveries).
# A signal, so that notify does not import the tasks.
deliveries_written = Signal()


def enqueue(ids: list[int]) -> None:
    if ids:
        deliveries_written.send(sender=Delivery, ids=ids)


def redrive_stalled(*, now: datetime) -> int:
    """Enqueue again the pending deliveries whose task should have run long ago."""
    grace = timedelta(seconds=settings.DELIVERY_STALL_SECONDS)
    stalled = list(
        Delivery.objects.pending()
        .filter(next_attempt_at__lte=now - grace)
        .values_list("pk", "next_attempt_at")[:5000]
    )
    ids = []
    for pk, seen in stalled:
        # Claim: only one dispatcher re-enqueues a given row.
        if Delivery.objects.filter(pk=pk, next_attempt_at=seen).update(next_attempt_at=now):
            ids.append(pk)
    enqueue(ids)
    return len(ids)


def retry_failed(*, delivery: Delivery, now: datetime) -> bool:
    """An admin's retry: a failed delivery goes back to pending with fresh attempts."""
    won = Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.FAILED).update(
        state=Delivery.State.PENDING, attempts=0, next_attempt_at=now, last_error=""
    )
    if won:
        enqueue([delivery.pk])
    return bool(won)


# --- Who hears about what --------------------------------------------------------------------


# --- Sending ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    state: str
    retry_in: float | None = None


TEMPORARY_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    socket.timeout,
    OSError,
)


# One mail connection per worker process (and thread), reused from email to email: opening a
# connection per email (TCP, EHLO, maybe STARTTLS and AUTH) costs more than sending it.
MAIL_IDLE_SECONDS = 30  # reopened after this long unused, before the server drops it itself
_mail = threading.local()


def _mail_connection():
    """The open mail connection of this process, (re)opened as needed."""
    key = (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)
    connection = getattr(_mail, "connection", None)
    if connection is not None and (
        _mail.key != key or time.monotonic() - _mail.used_at > MAIL_IDLE_SECONDS
    ):
        _mail_drop(polite=True)
        connection = None
    if connection is None:
        connection = get_connection()
        _mail.connection, _mail.key = connection, key
    connection.open()  # a no-op while it is open
    _mail.used_at = time.monotonic()
    return connection


def _mail_drop(*, polite: bool) -> None:
    """Forget the connection: with QUIT when `polite`, else (after an error, which may be a
    timeout) by closing its socket, without waiting for the server again."""
    connection, _mail.connection = getattr(_mail, "connection", None), None
    if connection is None:
        return
    with contextlib.suppress(Exception):  # a broken connection is dropped, whatever it says
        smtp = getattr(connection, "connection", None)
        if polite or smtp is None:
            connection.close()
        else:
            smtp.close()


def _send(message: EmailMultiAlternatives) -> None:
    """Send on the process's mail connection; after any error it is dropped, and the next
    email opens a new one."""
    try:
        message.connection = _mail_connection()
        message.send()
    except BaseException:
        _mail_drop(polite=False)
        raise


def _backoff(attempts: int) -> float:
    base = settings.DELIVERY_RETRY_BASE_SECONDS
    delay = base * 2 ** (attempts - 1)
    return delay + random.uniform(0, delay / 2)  # noqa: S311  (jitter, not security)


def delivery_send(*, delivery_id: int, now: datetime) -> Outcome:
    """Send one delivery, at most once while it is pending.

    The attempt is counted in its own transaction first, so that a worker killed mid-send
    still used one; after MAX_ATTEMPTS the delivery fails instead of looping.
    """
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=delivery_id, state=Delivery.State.PENDING)
            .first()
        )
        if delivery is None:
            return Outcome("skipped")
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = Delivery.State.FAILED
            delivery.last_error = (
                delivery.last_error + f"\nGave up after {MAX_ATTEMPTS} attempts."
            ).strip()
            delivery.save(update_fields=["state", "last_error"])
            return Outcome("failed")
        delivery.attempts += 1
        delivery.next_attempt_at = now
        delivery.save(update_fields=["attempts", "next_attempt_at"])

    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("cycle", "recipient")
            .defer("cycle__snapshot")
            .filter(pk=delivery_id, state=Delivery.State.PENDING)
            .first()
        )
        if delivery is None:
            return Outcome("skipped")
        if not delivery.recipient.email:
            delivery.state = Delivery.State.FAILED
            delivery.last_error = "The recipient has no email address."
            delivery.save(update_fields=["state", "last_error"])
            return Outcome("failed")
        message = build_message(delivery)
        if message is None:
            delivery.state = Delivery.State.CANCELLED
            delivery.save(update_fields=["state"])
            # Not needed any more (submitted or read meanwhile): nor is its in-app twin.
            Notification.objects.filter(delivery=delivery, read_at__isnull=True).update(read_at=now)
            return Outcome("cancelled")
        try:
            _send(message)
        except smtplib.SMTPRecipientsRefused as exc:
            # Refused at RCPT TO: permanent when every refusal is a 5xx.
            codes = [code for code, _ in exc.recipients.values()]
            error = "; ".join(f"{code} {msg!r}" for code, msg in exc.recipients.values())
            if codes and all(500 <= code < 600 for code in codes):
                delivery.state = Delivery.State.FAILED
                delivery.last_error = error
                delivery.save(update_fields=["state", "last_error"])
                log.error("delivery %s refused for good: %s", delivery.pk, error)
                return Outcome("failed")
            return _temporary(delivery, error, now)
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                return _temporary(delivery, f"{exc.smtp_code} {exc.smtp_error!r}", now)
            delivery.state = Delivery.State.FAILED
            delivery.last_error = f"{exc.smtp_code} {exc.smtp_error!r}"
            delivery.save(update_fields=["state", "last_error"])
            log.error("delivery %s failed for good: %s", delivery.pk, delivery.last_error)
            return Outcome("failed")
        except TEMPORARY_ERRORS as exc:
            return _temporary(delivery, f"{exc.__class__.__name__}: {exc}", now)
        delivery.state = Delivery.State.SENT
        delivery.sent_at = now
        delivery.last_error = ""
        delivery.save(update_fields=["state", "sent_at", "last_error"])
        return Outcome("sent")


def _temporary(delivery: Delivery, error: str, now: datetime) -> Outcome:
    delay = _backoff(delivery.attempts)
    delivery.last_error = error
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = Delivery.State.FAILED
        delivery.save(update_fields=["state", "last_error"])
        log.error("delivery %s failed after %s attempts: %s", delivery.pk, delivery.attempts, error)
        return Outcome("failed")
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    delivery.save(update_fields=["last_error", "next_attempt_at"])
    log.warning("delivery %s: temporary failure (%s), retrying in %.0fs", delivery.pk, error, delay)
    return Outcome("retry", retry_in=delay)


# --- Messages --------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def build_message(delivery: Delivery) -> EmailMultiAlternatives | None:
    """The email for a delivery, from the data as it is now; None if it is not needed any more."""
    details = _details(delivery)
    if details is None:
        return None
    notification = Notification.objects.filter(delivery=delivery).first()
    title = notification.title if notification else delivery.get_kind_display()
    link = _absolute(notification.link if notification else reverse("home"))
    context = {
        "delivery": delivery,
        "recipient": delivery.recipient,
        "title": title,
        "link": link,
        "lines": details,
        "cycle": delivery.cycle,
        "company_name": CompanySettings.read().name,
        "notifications_url": _absolute(reverse("notifications:notification-list")),
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("emails/delivery_subject.txt", context).strip(),
        body=render_to_string("emails/delivery_body.txt", context),
        to=[delivery.recipient.email],
        headers={"X-Alignment-Delivery": f"{delivery.pk}:{delivery.kind}:{delivery.step}"},
    )
    message.attach_alternative(render_to_string("emails/delivery_body.html", context), "text/html")
    return message


def _details(delivery: Delivery) -> list[str] | None:
    cycle = delivery.cycle
    kind = Delivery.Kind
    if delivery.kind in (kind.CHECK_OPENED, kind.CHECK_REMINDER):
        checks = list(
            AlignmentCheck.objects.filter(
                cycle=cycle,
                unit__memberships__user=delivery.recipient,
                unit__memberships__role=Membership.Role.HEAD,
            ).select_related("unit")
        )
        open_checks = [c for c in checks if not c.is_submitted]
        if delivery.kind == kind.CHECK_REMINDER and not open_checks:
            return None  # submitted meanwhile: nobody who has submitted is reminded
        return [f"{c.unit.name}: {c.get_state_display().lower()}" for c in open_checks or checks]
    if delivery.kind == kind.ESCALATION:
        late = list(
            cycle.checks.exclude(state=AlignmentCheck.State.SUBMITTED)
            .select_related("unit")
            .order_by("unit__name")
        )
        if not late:
            return None
        return [f"{c.unit.name}: {c.get_state_display().lower()}" for c in late]
    if delivery.kind == kind.ACK_REMINDER:
        from strategy.models import Acknowledgement

        position_id = int(delivery.step.removeprefix("position-"))
        if Acknowledgement.objects.filter(
            user=delivery.recipient, position_id=position_id
        ).exists():
            return None  # read meanwhile
        return []
    if delivery.kind == kind.REFRESH_REMINDER:
        from strategy import services as strategy

        position = cycle.position
        if position.is_published:
            return None
        undecided = list(strategy.undecided_objectives(position).values_list("title", flat=True))
        return [f"Still to decide: {t}" for t in undecided] or ["Publish the new position."]
    return []  # opened, closed, refresh started, commitments to confirm, report ready
