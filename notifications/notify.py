"""Deliveries: created once per (cycle, recipient, kind, step), or for a webhook once per
(endpoint, event, step), then sent by send tasks (a chunk of deliveries each, claimed and sent
one by one): an email, or a signed request (webhooks.py).

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
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications import chat, preferences, timing, webhooks
from notifications.models import ChatChannel, Delivery, Notification, WebhookEndpoint
from reviews.announce import Note
from reviews.models import AlignmentCheck, ReviewCycle
from strategy import languages
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
    *,
    cycle: ReviewCycle,
    kind: str,
    step: str,
    notes: dict[int, Note],
    now: datetime,
    teams: dict[int, Note] | None = None,
    executives: Note | None = None,
) -> list[int]:
    """Create the deliveries not created yet (with their in-app notifications), and the chat
    messages of the channels of `teams` and of the executives (chat_messages_create), and
    enqueue them after commit. Returns the ids of those to send (an email its recipient turned
    off, or that a team's channel has instead, is written, never sent); running twice creates
    nothing twice."""
    channels = _channels_told(kind=kind, teams=teams or {}, executives=executives)
    ids = _emails_create(
        cycle=cycle,
        kind=kind,
        step=step,
        notes=notes,
        now=now,
        told=channels,
        teams=teams or {},
    )
    ids += chat_messages_create(cycle=cycle, kind=kind, step=step, channels=channels, now=now)
    enqueue(ids)
    return ids


# The kinds a chat channel is told: a team's of its check, the executives' of the late checks.
# Its button's label is written with the message (in the product's language: a channel is read
# by a whole team).
CHAT_KINDS = {
    Delivery.Kind.CHECK_OPENED: gettext_lazy("Open the check"),
    Delivery.Kind.CHECK_REMINDER: gettext_lazy("Open the check"),
    Delivery.Kind.ESCALATION: gettext_lazy("Open the review"),
}


@dataclass
class _Told:
    channel: ChatChannel
    note: Note
    unit_id: int | None  # None: the executives' channel


def _channels_told(*, kind: str, teams: dict[int, Note], executives: Note | None) -> list[_Told]:
    """The active channels of the units of `teams`, and the executives' with `executives`, with
    what each is told; none for a kind that no channel is told."""
    if kind not in CHAT_KINDS or not (teams or executives):
        return []
    where = Q(unit_id__in=list(teams))
    if executives is not None:
        where |= Q(unit__isnull=True)
    return [
        _Told(c, teams[c.unit_id] if c.unit_id else executives, c.unit_id)
        for c in ChatChannel.objects.active().filter(where)
    ]


@dataclass
class _Covered:
    """Whose email a channel told of this has: `instead`, by the channel's own "instead of
    email" mode; `working`, by any active channel with an allowed URL (what a person's own
    "chat instead of email" needs)."""

    instead: set[int]
    working: set[int]


def _covered(notes: dict[int, Note], told: list[_Told], *, teams: dict) -> _Covered:
    """The people of `notes` whose teams' channels are told of this: a team's head when each of
    their teams of `teams` has such a channel; everyone when the executives' channel is told."""
    instead = {t.unit_id for t in told if t.channel.mode == ChatChannel.Mode.INSTEAD_OF_EMAIL}
    working = {t.unit_id for t in told if not webhooks.url_problem(t.channel.url)}
    if not told or not notes:
        return _Covered(set(), set())
    heads = defaultdict(set)
    if any(unit_id is not None for unit_id in instead | working):
        for user_id, unit_id in Membership.objects.filter(
            unit_id__in=list(teams), user_id__in=list(notes), role=Membership.Role.HEAD
        ).values_list("user_id", "unit_id"):
            heads[user_id].add(unit_id)

    def of(units: set) -> set[int]:
        if None in units:
            return set(notes)
        return {user_id for user_id, theirs in heads.items() if units and theirs <= units}

    return _Covered(instead=of(instead), working=of(working))


def chat_messages_create(
    *, cycle: ReviewCycle, kind: str, step: str, channels: list[_Told], now: datetime
) -> list[int]:
    """One message per channel, once per (cycle, channel, kind, step); the ids written now."""
    if not channels:
        return []
    existing = set(
        Delivery.objects.filter(
            cycle=cycle, kind=kind, step=step, channel__in=[t.channel for t in channels]
        ).values_list("channel_id", flat=True)
    )
    missing = [t for t in channels if t.channel.pk not in existing]
    if not missing:
        return []
    # A channel is read by a whole team: in the company's language.
    language = languages.company_language()
    with translation.override(language):
        lines = _chat_lines(cycle, kind)
        button = str(CHAT_KINDS[kind])
    Delivery.objects.bulk_create(
        [
            Delivery(
                cycle=cycle,
                channel=t.channel,
                kind=kind,
                step=step,
                created_at=now,
                next_attempt_at=now,
                payload=chat.message(
                    title=t.note.title_in(language),
                    link=_absolute(t.note.link),
                    lines=lines,
                    button=button,
                )
                | {"unit": t.unit_id},
            )
            for t in missing
        ],
        ignore_conflicts=True,  # another dispatcher may have won the race
    )
    return list(
        Delivery.objects.filter(
            cycle=cycle,
            kind=kind,
            step=step,
            channel__in=[t.channel for t in missing],
            created_at=now,
            state=Delivery.State.PENDING,
        ).values_list("pk", flat=True)
    )


def _chat_lines(cycle: ReviewCycle, kind: str) -> list[str]:
    """What an escalation lists: the late teams and their checks' states."""
    if kind != Delivery.Kind.ESCALATION:
        return []
    late = cycle.checks.exclude(state=AlignmentCheck.State.SUBMITTED).order_by("unit__name")
    return [_team_state(name, state) for name, state in late.values_list("unit__name", "state")]


def _emails_create(
    *,
    cycle: ReviewCycle,
    kind: str,
    step: str,
    notes: dict[int, Note],
    now: datetime,
    told: list[_Told],
    teams: dict,
) -> list[int]:
    """The emails of deliveries_create (not enqueued), each in the state its recipient's
    choices give (_email_state)."""
    if not notes:
        return []
    existing = set(
        Delivery.objects.filter(
            cycle=cycle, kind=kind, step=step, recipient_id__in=notes
        ).values_list("recipient_id", flat=True)
    )
    missing = [r for r in notes if r not in existing]
    # Each person's channels for this topic (preferences.py): a delivery whose email they
    # turned off is still written, once, but never sent; its in-app twin only if they want it.
    topic = preferences.topic_of(kind, step)
    channels = preferences.channels_of(missing, topic)
    covered = _covered({r: notes[r] for r in missing}, told, teams=teams)
    required = topic in preferences.required_topics()
    states = {r: _email_state(channels[r], r, covered=covered, required=required) for r in missing}
    held = {r for r, state in states.items() if state in HELD_STATES}
    release = timing.release_times(now=now, timings={channels[r].timing for r in held})
    for r in held:
        if states[r] == Delivery.State.WAITING and release[channels[r].timing] <= now:
            states[r] = Delivery.State.PENDING  # written during the send hour: it goes now
    Delivery.objects.bulk_create(
        [
            Delivery(
                cycle=cycle,
                kind=kind,
                step=step,
                recipient_id=r,
                created_at=now,
                next_attempt_at=release[channels[r].timing] if r in held else now,
                state=states[r],
            )
            for r in missing
        ],
        ignore_conflicts=True,  # another dispatcher may have won the race for some rows
        batch_size=1000,
    )
    created = list(
        Delivery.objects.filter(
            cycle=cycle, kind=kind, step=step, recipient_id__in=missing, notification__isnull=True
        ).values_list("pk", "recipient_id", "state")
    )
    # Each note in its recipient's language (their profile's, else the company's).
    language_of = languages.people_languages(r for _, r, _ in created if channels[r].in_app)
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=r,
                delivery_id=pk,
                title=notes[r].title_in(language_of[r]),
                link=notes[r].link,
                created_at=now,
            )
            for pk, r, _ in created
            if channels[r].in_app
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    ids = [pk for pk, _, state in created if state == Delivery.State.PENDING]
    # What the new notes supersede counts as read: one unread note per cycle and subject for
    # each person, not a pile. The recipients are named a chunk at a time rather than by a
    # subquery on the deliveries just written: right after a bulk insert the planner's
    # statistics still describe the tables before it, and it then joined 10,000 deliveries
    # to 10,000 (minutes, not milliseconds).
    recipients = [r for _, r, _ in created if channels[r].in_app]
    kinds = [kind, *SUPERSEDES.get(kind, ())]
    for start in range(0, len(recipients), SUPERSEDE_CHUNK):
        Notification.objects.unread().filter(
            user_id__in=recipients[start : start + SUPERSEDE_CHUNK],
            delivery__cycle=cycle,
            delivery__kind__in=kinds,
            created_at__lt=now,
        ).update(read_at=now)
    return ids


SUPERSEDE_CHUNK = 1000  # recipients per update: within SQLite's limit of query parameters

HELD_STATES = (Delivery.State.HELD, Delivery.State.WAITING)


def _email_state(
    channels: preferences.Channels, recipient: int, *, covered: _Covered, required: bool
) -> str:
    """An email's state when it is written: turned off by its recipient (email off, or their
    team's working channel told of it "instead of email", never for a required topic); in the
    chat instead (the channel's own mode, unless they chose "chat and email"); held for their
    digest or their send hour; else pending, sent at once."""
    chat = preferences.Chat
    if recipient in covered.instead and channels.chat != chat.ALSO:
        return Delivery.State.IN_CHAT
    if not channels.email:
        return Delivery.State.TURNED_OFF
    if not required and channels.chat == chat.INSTEAD and recipient in covered.working:
        return Delivery.State.TURNED_OFF
    if channels.timing in timing.DIGESTS:
        return Delivery.State.HELD
    if channels.timing == preferences.Timing.HOUR:
        return Delivery.State.WAITING
    return Delivery.State.PENDING


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


def back_to_pending(row, *, now: datetime) -> bool:
    """A failed delivery (or digest) back to pending with fresh attempts, due at once; False
    when it had not failed (sent meanwhile, or retried by another admin)."""
    model = type(row)
    return bool(
        model.objects.filter(pk=row.pk, state=model.State.FAILED).update(
            state=model.State.PENDING, attempts=0, next_attempt_at=now, last_error=""
        )
    )


def retry_failed(*, delivery: Delivery, now: datetime) -> bool:
    """An admin's retry: a failed delivery goes back to pending with fresh attempts."""
    won = back_to_pending(delivery, now=now)
    if won:
        enqueue([delivery.pk])
    return won


# --- Webhook events --------------------------------------------------------------------------


def webhooks_emit(
    *, event: str, step: str, data: Callable[[], dict], now: datetime, cycle=None
) -> list[int]:
    """Tell the active endpoints that want `event` about one thing (webhooks_emit_many)."""
    return webhooks_emit_many(event=event, now=now, items=[(step, cycle, data)])


def webhooks_emit_many(
    *,
    event: str,
    now: datetime,
    items: Iterable[tuple[str, ReviewCycle | None, Callable[[], dict]]],
) -> list[int]:
    """Write one delivery per active endpoint that wants `event` and per item (its `step`, the
    unique key of the thing it is about, its cycle or None, and a function giving the event's
    data, called only when an endpoint wants it), and queue them after commit. Returns the ids
    written; running twice writes nothing twice (the key is endpoint, event, step)."""
    endpoints = [
        pk
        for pk, events in WebhookEndpoint.objects.active().values_list("pk", "events")
        if event in events
    ]
    if not endpoints:
        return []
    rows, event_ids = [], []
    for step, cycle, data in items:
        event_id = f"evt_{uuid.uuid4().hex}"
        body = webhooks.payload(event_id=event_id, event=event, now=now, data=data())
        event_ids.append(event_id)
        rows += [
            Delivery(
                endpoint_id=pk,
                cycle=cycle,
                kind=event,
                step=step,
                payload=body,
                created_at=now,
                next_attempt_at=now,
            )
            for pk in endpoints
        ]
    if not rows:
        return []
    # An event already written for an endpoint (the same step) stays as it was.
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    ids = list(
        Delivery.objects.filter(
            endpoint_id__in=endpoints, kind=event, payload__id__in=event_ids
        ).values_list("pk", flat=True)
    )
    enqueue(ids)
    return ids


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
    """Send one delivery, at most once while it is pending (deliveries_send, for one)."""
    outcomes = deliveries_send(delivery_ids=[delivery_id], clock=lambda: now)
    try:
        return next(outcomes)[1]
    finally:
        outcomes.close()


# Deliveries read together: what their emails say, in a few queries for all of them. Few
# enough that it is read just before they go (a check submitted meanwhile cancels its reminder).
SEND_BATCH = 10


def deliveries_send(
    *, delivery_ids: list[int], clock: Callable[[], datetime]
) -> Iterator[tuple[int, Outcome]]:
    """Send deliveries one after the other, each at most once while it is pending; yields
    (id, outcome) for each, in order. `clock` gives the time of each send.

    What their emails say is read a few deliveries at a time (SEND_BATCH). Each is then sent
    on its own: its attempt counted in a transaction of its own first, so that a worker
    killed mid-send still used one (after MAX_ATTEMPTS it fails instead of looping); then
    locked, sent and marked in a second one.
    """
    for start in range(0, len(delivery_ids), SEND_BATCH):
        batch = delivery_ids[start : start + SEND_BATCH]
        prepared = _prepare(batch)
        for pk in batch:
            if pk not in prepared:
                yield pk, SKIPPED
            elif prepared[pk].delivery.is_webhook:
                yield pk, _send_webhook(prepared[pk].delivery, now=clock())
            elif prepared[pk].delivery.is_chat:
                yield pk, _send_chat(prepared[pk].delivery, now=clock())
            else:
                yield pk, _send_one(prepared[pk], now=clock())


def _claim(delivery_id: int, *, now: datetime, model=Delivery) -> Outcome | None:
    """Count an attempt of a pending delivery (or digest, `model`) that no other worker holds;
    None when claimed, else the outcome: skipped, or failed when it used all its attempts."""
    with transaction.atomic():
        free = model.objects.select_for_update(skip_locked=True).filter(pk=delivery_id)
        won = model.objects.filter(
            pk__in=free.values("pk"), state=Delivery.State.PENDING, attempts__lt=MAX_ATTEMPTS
        ).update(attempts=F("attempts") + 1, next_attempt_at=now)
        if won:
            return None
        # Not claimed: sent, held by another worker (who may have claimed it meanwhile), or
        # out of attempts; only the last fails it.
        spent = (
            model.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, state=Delivery.State.PENDING, attempts__gte=MAX_ATTEMPTS)
            .values_list("last_error")
            .first()
        )
        if spent is None:
            return SKIPPED
        model.objects.filter(pk=delivery_id).update(
            state=Delivery.State.FAILED,
            last_error=(spent[0] + f"\nGave up after {MAX_ATTEMPTS} attempts.").strip(),
        )
        return Outcome("failed")


@dataclass
class _Prepared:
    delivery: Delivery
    message: EmailMultiAlternatives | None


def _prepare(batch: list[int]) -> dict[int, _Prepared]:
    """The pending deliveries of `batch` with their emails (None: not needed any more; a
    webhook has none), in a few queries for all of them."""
    found = list(
        Delivery.objects.pending()
        .filter(pk__in=batch)
        .select_related("cycle", "recipient__profile", "endpoint", "channel")
        .defer("cycle__snapshot")
    )
    # A webhook's or a chat message's body is built from its payload: no email.
    hooks = {d.pk: _Prepared(d, None) for d in found if not d.is_email}
    deliveries = [d for d in found if d.is_email]
    if not deliveries:
        return hooks
    notifications = {
        n.delivery_id: n
        for n in Notification.objects.filter(delivery_id__in=batch).only(
            "delivery_id", "title", "link"
        )
    }
    # Each email in its recipient's language, what it lists included: the details of each
    # language's emails read together.
    by_language = defaultdict(list)
    for d in deliveries:
        by_language[languages.person_language(d.recipient)].append(d)
    prepared = {}
    company_name = CompanySettings.read().name
    for language, group in by_language.items():
        with translation.override(language):
            details = _details_of(group)
            for d in group:
                message = (
                    build_message(
                        d,
                        details=details[d.pk],
                        notification=notifications.get(d.pk),
                        company_name=company_name,
                    )
                    if d.recipient.email
                    else None
                )
                prepared[d.pk] = _Prepared(d, message)
    return hooks | prepared


SKIPPED = Outcome("skipped")


def _locked(delivery) -> bool:
    """Lock a claimed delivery's (or digest's) row for the rest of the transaction and read its
    attempts into it; False when another worker holds it or it is no longer pending."""
    attempts = (
        type(delivery)
        .objects.select_for_update(skip_locked=True)
        .filter(pk=delivery.pk, state=Delivery.State.PENDING)
        .values_list("attempts", flat=True)
        .first()
    )
    if attempts is None:
        return False
    delivery.attempts = attempts
    return True


def _send_one(prepared: _Prepared, *, now: datetime) -> Outcome:
    """Claim a delivery (_claim), then lock it, send its email and mark it."""
    delivery, message = prepared.delivery, prepared.message
    refused = _claim(delivery.pk, now=now)
    if refused is not None:
        return refused
    with transaction.atomic():
        if not _locked(delivery):
            return SKIPPED
        if not delivery.recipient.email:
            delivery.state = Delivery.State.FAILED
            delivery.last_error = "The recipient has no email address."
            delivery.save(update_fields=["state", "last_error"])
            return Outcome("failed")
        if message is None:
            _cancelled(delivery)
            # Not needed any more (submitted or read meanwhile): nor is its in-app twin.
            Notification.objects.filter(delivery=delivery, read_at__isnull=True).update(read_at=now)
            return Outcome("cancelled")
        return _send_and_mark(delivery, message, now=now)


def _send_and_mark(delivery, message: EmailMultiAlternatives, *, now: datetime) -> Outcome:
    """Send a claimed and locked delivery's (or digest's) email and mark it by the answer:
    sent; tried again on a temporary error; failed on a permanent one."""
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


def _temporary(
    delivery: Delivery, error: str, now: datetime, *, delay: float | None = None
) -> Outcome:
    """Try again later (after `delay` seconds, else the backoff), or fail after the last
    attempt."""
    if delay is None:
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


def _cancelled(delivery: Delivery, reason: str | None = None) -> Outcome:
    """Not sent, and never will be: not needed any more, or where it goes was switched off
    (`reason`, which replaces the last error; without one the last error stays)."""
    delivery.state = Delivery.State.CANCELLED
    fields = ["state"]
    if reason is not None:
        delivery.last_error = reason
        fields.append("last_error")
    delivery.save(update_fields=fields)
    return Outcome("cancelled")


def _failed(delivery: Delivery, error: str) -> Outcome:
    delivery.state = Delivery.State.FAILED
    delivery.last_error = error
    delivery.save(update_fields=["state", "last_error"])
    log.error("delivery %s failed for good: %s", delivery.pk, error)
    return Outcome("failed")


def _retry_after_max() -> float:
    # A task waiting for its countdown is held unacknowledged by its worker: never longer than
    # the longest backoff (the broker's visibility timeout is set above that, settings.py).
    return 12 * settings.DELIVERY_RETRY_BASE_SECONDS


def _send_webhook(delivery: Delivery, *, now: datetime) -> Outcome:
    """Claim a webhook's delivery (_claim), then lock it and make its one request, signed
    now: sent on a 2xx; tried again on no answer, a 5xx or a 429 (after its Retry-After);
    failed at once on a redirect (never followed) or any other status, and when its endpoint's
    host is no longer allowed. An endpoint switched off meanwhile cancels it."""
    refused = _claim(delivery.pk, now=now)
    if refused is not None:
        return refused
    with transaction.atomic():
        if not _locked(delivery):
            return SKIPPED
        endpoint = delivery.endpoint
        if not endpoint.is_active:
            return _cancelled(delivery, "The endpoint was switched off.")
        problem = webhooks.url_problem(endpoint.url)
        if problem:
            return _failed(delivery, f"Not sent: {problem}")
        body = webhooks.body_of(delivery.payload)
        answer = webhooks.post(
            url=endpoint.url,
            body=body,
            headers=webhooks.headers(
                secret=endpoint.secret,
                msg_id=delivery.payload["id"],
                timestamp=int(now.timestamp()),
                body=body,
            ),
            now=now,
        )
        return _answered(delivery, answer, now)


def _answered(delivery: Delivery, answer: webhooks.Answer, now: datetime) -> Outcome:
    """Mark a webhook's or a chat message's delivery by the answer to its request: sent on a
    2xx; tried again on no answer, a 5xx or a 429 (after its Retry-After); failed at once on a
    redirect or any other status."""
    status = answer.status
    if status is None or status >= 500:
        asked = answer.retry_after if status == 503 else None
        return _temporary(delivery, answer.error, now, delay=_bounded(asked))
    if status == 429:
        return _temporary(delivery, answer.error, now, delay=_bounded(answer.retry_after))
    if 300 <= status < 400:
        return _failed(
            delivery,
            f"HTTP {status}: redirects are not followed (it pointed to "
            f"{answer.location or 'nowhere'}); register the URL that answers.",
        )
    if not 200 <= status < 300:
        return _failed(delivery, answer.error)
    delivery.state = Delivery.State.SENT
    delivery.sent_at = now
    delivery.last_error = ""
    delivery.save(update_fields=["state", "sent_at", "last_error"])
    return Outcome("sent")


def _send_chat(delivery: Delivery, *, now: datetime) -> Outcome:
    """Claim a chat message's delivery (_claim), then lock it and post it to its channel's
    incoming webhook in the platform's card format (chat.py), as a webhook is sent: the same
    allowed hosts, timeout, retries and Retry-After (_answered). Cancelled when its channel
    was switched off, or when it is not needed any more (the team's check was submitted, no
    check is late)."""
    refused = _claim(delivery.pk, now=now)
    if refused is not None:
        return refused
    with transaction.atomic():
        if not _locked(delivery):
            return SKIPPED
        channel = delivery.channel
        if not channel.is_active or not _chat_needed(delivery):
            return _cancelled(
                delivery, "" if channel.is_active else "The channel was switched off."
            )
        problem = webhooks.url_problem(channel.url)
        if problem:
            return _failed(delivery, f"Not sent: {problem}")
        answer = chat.post(
            url=channel.url, platform=channel.platform, payload=delivery.payload, now=now
        )
        return _answered(delivery, answer, now)


def _chat_needed(delivery: Delivery) -> bool:
    """A team's reminder while its check is not submitted; an escalation while a check is late;
    the news of a check opened always."""
    late = delivery.cycle.checks.exclude(state=AlignmentCheck.State.SUBMITTED)
    if delivery.kind == Delivery.Kind.CHECK_REMINDER:
        return late.filter(unit_id=delivery.payload.get("unit")).exists()
    if delivery.kind == Delivery.Kind.ESCALATION:
        return late.exists()
    return True


def _bounded(seconds: float | None) -> float | None:
    if seconds is None:
        return None
    return min(max(seconds, 1.0), _retry_after_max())


# --- Messages --------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def build_message(
    delivery: Delivery,
    *,
    details: list[str] | None,
    notification: Notification | None,
    company_name: str,
) -> EmailMultiAlternatives | None:
    """The email for a delivery, with what it lists (`details`, _details_of: None if it is not
    needed any more) and its in-app twin's title and link."""
    if details is None:
        return None
    title = notification.title if notification else delivery.get_kind_display()
    link = _absolute(notification.link if notification else reverse("home"))
    topic = preferences.topic_of(delivery.kind, delivery.step)
    unsubscribe = None
    if topic not in preferences.required_topics():
        token = preferences.unsubscribe_token(user_id=delivery.recipient_id, topic=topic)
        unsubscribe = _absolute(reverse("notifications:unsubscribe", args=[token]))
    context = {
        "delivery": delivery,
        "recipient": delivery.recipient,
        "title": title,
        "link": link,
        "lines": details,
        "cycle": delivery.cycle,
        "company_name": company_name,
        "notifications_url": _absolute(reverse("notifications:notification-list")),
        "preferences_url": _absolute(reverse("notifications:preferences")),
        "topic_label": preferences.Topic(topic).label,
        "unsubscribe_url": unsubscribe,
    }
    headers = {"X-Alignment-Delivery": f"{delivery.pk}:{delivery.kind}:{delivery.step}"}
    if unsubscribe:
        # RFC 2369 and RFC 8058: mail programs show an unsubscribe button that POSTs to it.
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=render_to_string("emails/delivery_subject.txt", context).strip(),
        body=render_to_string("emails/delivery_body.txt", context),
        to=[delivery.recipient.email],
        headers=headers,
    )
    message.attach_alternative(render_to_string("emails/delivery_body.html", context), "text/html")
    return message


CHECK_KINDS = (Delivery.Kind.CHECK_OPENED, Delivery.Kind.CHECK_REMINDER)


def _details_of(deliveries: list[Delivery]) -> dict[int, list[str] | None]:
    """What each delivery's email lists, from the data as it is now, by delivery id; None for
    one not needed any more. The kinds sent to every head or member (the checks' and the
    acknowledgements') are read in one query each for all of them."""
    kind = Delivery.Kind
    checks = [d for d in deliveries if d.kind in CHECK_KINDS]
    acks = [d for d in deliveries if d.kind == kind.ACK_REMINDER]
    teams = defaultdict(list)  # (cycle, head) → [(team name, state)], in the checks' order
    if checks:
        rows = AlignmentCheck.objects.filter(
            cycle_id__in={d.cycle_id for d in checks},
            unit__memberships__user_id__in={d.recipient_id for d in checks},
            unit__memberships__role=Membership.Role.HEAD,
        ).values_list("cycle_id", "unit__memberships__user_id", "unit__name", "state")
        for cycle_id, user_id, name, state in rows:
            teams[(cycle_id, user_id)].append((name, state))
    read = set()
    if acks:
        from strategy.models import Acknowledgement

        read = set(
            Acknowledgement.objects.filter(
                user_id__in={d.recipient_id for d in acks},
                position_id__in={_ack_position(d) for d in acks},
            ).values_list("user_id", "position_id")
        )
    details = {}
    for d in deliveries:
        if d.kind in CHECK_KINDS:
            found = teams[(d.cycle_id, d.recipient_id)]
            open_checks = [t for t in found if t[1] != AlignmentCheck.State.SUBMITTED]
            if d.kind == kind.CHECK_REMINDER and not open_checks:
                details[d.pk] = None  # submitted meanwhile: nobody who has submitted is reminded
            else:
                details[d.pk] = [_team_state(name, state) for name, state in open_checks or found]
        elif d.kind == kind.ACK_REMINDER:
            # Read meanwhile: not needed any more.
            details[d.pk] = None if (d.recipient_id, _ack_position(d)) in read else []
        else:
            details[d.pk] = _details(d)
    return details


STATE_LABELS = dict(AlignmentCheck.State.choices)


def _team_state(name: str, state: str) -> str:
    # Translators: a line of an email or chat message: a team's name and its check's state.
    return _("%(team)s: %(state)s") % {"team": name, "state": str(STATE_LABELS[state]).lower()}


def _ack_position(delivery: Delivery) -> int:
    return int(delivery.step.removeprefix("position-"))


def _details(delivery: Delivery) -> list[str] | None:
    """What the email of a delivery of the other kinds lists; None if not needed any more."""
    cycle = delivery.cycle
    kind = Delivery.Kind
    if delivery.kind == kind.ESCALATION:
        late = list(
            cycle.checks.exclude(state=AlignmentCheck.State.SUBMITTED)
            .select_related("unit")
            .order_by("unit__name")
        )
        if not late:
            return None
        return [_team_state(c.unit.name, c.state) for c in late]
    if delivery.kind == kind.REFRESH_REMINDER:
        from strategy import services as strategy

        position = cycle.position
        if position.is_published:
            return None
        undecided = list(strategy.undecided_objectives(position).values_list("title", flat=True))
        return [_("Still to decide: %(objective)s") % {"objective": t} for t in undecided] or [
            _("Publish the new position.")
        ]
    return []  # opened, closed, refresh started, commitments to confirm, report ready
