"""The emails a person chose to have later (preferences: timing): those held until the send
hour, and the digests that gather the rest.

An email whose recipient chose a digest is written as every delivery is (notify.py, the same
unique key), in the HELD state, its `next_attempt_at` the end of its period (timing.py); one
they chose for the send hour, WAITING until that hour. Their in-app notes are made at once:
a digest is about email. Every quarter of an hour the beat (tasks.send_due_digests):

- makes the WAITING emails whose hour has come pending, and queues them: each then goes on
  its own, as any email;
- gathers, per person, every HELD email whose period has ended into one Digest, unique per
  person and period end, in the transaction that claims them (HELD → IN_DIGEST): however often
  the beat runs, a period has one digest; a run missed takes everything still held, whatever
  its period;
- queues the digests made, and again those whose task was lost (as notify.redrive_stalled).

A digest is sent as a delivery's email is: an attempt counted first, then locked, sent and
marked (notify._claim, _locked, _send_and_mark), so a worker killed mid-send sends it again
once, and never loses it. What it lists is read just before it goes: an item not needed any
more (a check submitted meanwhile) is cancelled, and a digest left with nothing is not sent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from notifications import notify, preferences, timing
from notifications.models import Delivery, Digest, Notification
from reviews.models import AlignmentCheck
from strategy import languages
from strategy.models import CompanySettings, Membership

State = Delivery.State
CHUNK = 500  # people per transaction when digests are made
RELEASE_LIMIT = 5000  # waiting emails made pending per run; the next run takes the rest


# --- Holding and releasing -------------------------------------------------------------------


def waiting_release(*, now: datetime) -> list[int]:
    """The emails held until the send hour whose hour has come: made pending (each by one run
    only: their rows are locked) and queued; their ids."""
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state=State.WAITING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:RELEASE_LIMIT]
        )
        Delivery.objects.filter(pk__in=ids, state=State.WAITING).update(
            state=State.PENDING, next_attempt_at=now
        )
        notify.enqueue(ids)
    return ids


def digests_create(*, now: datetime) -> list[int]:
    """One digest per person with held emails whose period has ended, for the period that ended
    last; the ids of the digests to send. Held emails of a person whose digest of that period
    is already claimed for sending (written just before the period ended, committed just
    after) wait for the next period."""
    recipients = list(
        Delivery.objects.filter(state=State.HELD, next_attempt_at__lte=now)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    if not recipients:
        return []
    hour, tz = timing.settings_now()
    period_end = timing.boundary_before(now, hour=hour, tz=tz)
    later = timing.boundary_after(
        now, timing=timing.Timing.DAILY, hour=hour, tz=tz, minute=timing.DIGEST_MINUTE
    )
    made = []
    for start in range(0, len(recipients), CHUNK):
        chunk = recipients[start : start + CHUNK]
        with transaction.atomic():
            Digest.objects.bulk_create(
                [
                    Digest(
                        recipient_id=r,
                        period_ends_at=period_end,
                        created_at=now,
                        next_attempt_at=now,
                    )
                    for r in chunk
                ],
                ignore_conflicts=True,  # this period's digest of some may exist already
            )
            # Open: not claimed by a sender yet. Locked, so none is claimed while it fills.
            open_ = dict(
                Digest.objects.select_for_update()
                .filter(
                    recipient_id__in=chunk,
                    period_ends_at=period_end,
                    state=Digest.State.PENDING,
                    attempts=0,
                )
                .values_list("recipient_id", "pk")
            )
            due = Delivery.objects.filter(state=State.HELD, next_attempt_at__lte=now)
            due.filter(recipient_id__in=list(open_)).update(
                state=State.IN_DIGEST,
                digest_id=Subquery(
                    Digest.objects.filter(
                        recipient_id=OuterRef("recipient_id"), period_ends_at=period_end
                    ).values("pk")[:1]
                ),
            )
            due.filter(recipient_id__in=[r for r in chunk if r not in open_]).update(
                next_attempt_at=later
            )
        made += open_.values()
    return made


def redrive_stalled(*, now: datetime) -> list[int]:
    """The pending digests whose task should have run long ago (lost with the broker, or with
    a worker killed for good), claimed by one run each; their ids, to queue again."""
    grace = timedelta(seconds=settings.DELIVERY_STALL_SECONDS)
    stalled = list(
        Digest.objects.filter(
            state=Digest.State.PENDING, next_attempt_at__lte=now - grace
        ).values_list("pk", "next_attempt_at")[:RELEASE_LIMIT]
    )
    return [
        pk
        for pk, seen in stalled
        if Digest.objects.filter(pk=pk, next_attempt_at=seen).update(next_attempt_at=now)
    ]


# --- Sending ---------------------------------------------------------------------------------


# Sent with `ids`, the digests to send again: tasks.py queues a send_digest for each once the
# transaction commits (this module is below the tasks, which import it).
digests_retried = Signal()


def retry_failed(*, digest: Digest, now: datetime) -> bool:
    """An admin's retry: a failed digest goes back to pending with fresh attempts, and is built
    again from its items as they are when it goes (what no longer needs saying is left out)."""
    won = notify.back_to_pending(digest, now=now)
    if won:
        digests_retried.send(sender=Digest, ids=[digest.pk])
    return won


def digest_send(*, digest_id: int, now: datetime) -> notify.Outcome:
    """Send one digest, at most once while it is pending: claimed, then locked, built from its
    items as they are now, sent and marked; its items are marked sent with it."""
    refused = notify._claim(digest_id, now=now, model=Digest)
    if refused is not None:
        return refused
    with transaction.atomic():
        digest = Digest.objects.select_related("recipient").get(pk=digest_id)
        if not notify._locked(digest):
            return notify.SKIPPED
        if not digest.recipient.email:
            return notify._failed(digest, "The recipient has no email address.")
        items = list(
            digest.deliveries.filter(state=State.IN_DIGEST)
            .select_related("cycle")
            .defer("cycle__snapshot", "payload")
            .order_by("-created_at", "-pk")
        )
        # In its recipient's language (their profile's, else the company's).
        language = languages.person_language(digest.recipient)
        with translation.override(language):
            return _digest_send_in_language(digest, items, now=now)


def _digest_send_in_language(digest: Digest, items: list[Delivery], *, now: datetime):
    """The rest of digest_send, in the language active: what the digest lists and its email."""
    details = notify._details_of(items)
    gone = [d.pk for d in items if details[d.pk] is None]
    if gone:
        # Not needed any more (a check submitted, the strategy read): not listed.
        Delivery.objects.filter(pk__in=gone).update(state=State.CANCELLED)
    items = [d for d in items if details[d.pk] is not None]
    if not items:
        return notify._cancelled(digest)
    message = build_digest_message(
        digest,
        sections=_sections(digest, items, details),
        topics=sorted({preferences.topic_of(d.kind, d.step) for d in items}),
        company_name=CompanySettings.read().name,
    )
    outcome = notify._send_and_mark(digest, message, now=now)
    if outcome.state == "sent":
        digest.deliveries.filter(state=State.IN_DIGEST).update(sent_at=now)
    return outcome


def _teams(digest: Digest, items: list[Delivery]) -> dict[int, str]:
    """cycle id → the names of the teams the recipient heads with a check in it (one query)."""
    cycles = {d.cycle_id for d in items if d.kind in notify.CHECK_KINDS}
    if not cycles:
        return {}
    names = defaultdict(list)
    for cycle_id, name in (
        AlignmentCheck.objects.filter(
            cycle_id__in=cycles,
            unit__memberships__user_id=digest.recipient_id,
            unit__memberships__role=Membership.Role.HEAD,
        )
        .order_by("unit__name")
        .values_list("cycle_id", "unit__name")
    ):
        names[cycle_id].append(name)
    return {cycle_id: ", ".join(found) for cycle_id, found in names.items()}


def _sections(digest: Digest, items: list[Delivery], details: dict) -> list[dict]:
    """What a digest lists, by review (newest news first) and within it by team (a check's
    news under the recipient's team, the review's own under none); the items of one kind about
    one review collapsed into one line: the newest, with how many there were."""
    notes = {
        n.delivery_id: n
        for n in Notification.objects.filter(delivery__in=items).only(
            "delivery_id", "title", "link"
        )
    }
    teams = _teams(digest, items)
    lines: dict[tuple, dict] = {}
    for d in items:  # newest first: the first of a (cycle, kind) is the line's
        key = (d.cycle_id, d.kind)
        if key in lines:
            lines[key]["count"] += 1
            continue
        note = notes.get(d.pk)
        lines[key] = {
            "cycle": d.cycle,
            "team": teams.get(d.cycle_id) if d.kind in notify.CHECK_KINDS else None,
            "kind": d.kind,
            "title": note.title if note else d.get_kind_display(),
            "link": notify._absolute(note.link if note else d.cycle.get_absolute_url()),
            "lines": details[d.pk],
            "at": d.created_at,
            "count": 1,
        }
    sections: dict[int, dict] = {}
    for line in lines.values():
        line["counted"] = counted(line["kind"], line["count"]) if line["count"] > 1 else ""
        cycle = line["cycle"]
        section = sections.setdefault(
            cycle.pk,
            {
                "cycle": cycle,
                "label": cycle.label,
                "link": notify._absolute(cycle.get_absolute_url()),
                "groups": {},
            },
        )
        section["groups"].setdefault(line["team"], []).append(line)
    for section in sections.values():
        # The team's news first, then the review's own.
        section["groups"] = [
            {"team": team, "lines": group}
            for team, group in sorted(section["groups"].items(), key=lambda g: g[0] is None)
        ]
    return list(sections.values())


def counted(kind: str, count: int) -> str:
    """How many messages of a kind a collapsed line stands for: "3 reminders"."""
    kinds = Delivery.Kind
    if kind in (kinds.CHECK_REMINDER, kinds.REFRESH_REMINDER, kinds.ACK_REMINDER):
        return ngettext("%(count)s reminder", "%(count)s reminders", count) % {"count": count}
    if kind == kinds.ESCALATION:
        return ngettext(
            "%(count)s message about late checks", "%(count)s messages about late checks", count
        ) % {"count": count}
    return ngettext("%(count)s message", "%(count)s messages", count) % {"count": count}


def build_digest_message(
    digest: Digest, *, sections: list[dict], topics: list[str], company_name: str
) -> EmailMultiAlternatives:
    """The digest's email: its subject, plain text and HTML parts, and the List-Unsubscribe
    of the topics it gathers that the company does not require (one link turns all of them
    off), as a single email has."""
    required = preferences.required_topics()
    free = [t for t in topics if t not in required]
    unsubscribe = None
    if free:
        token = preferences.unsubscribe_token(user_id=digest.recipient_id, topics=free)
        unsubscribe = notify._absolute(reverse("notifications:unsubscribe", args=[token]))
    count = sum(line["count"] for s in sections for g in s["groups"] for line in g["lines"])
    context = {
        "digest": digest,
        "recipient": digest.recipient,
        "sections": sections,
        "count": count,
        "company_name": company_name,
        "notifications_url": notify._absolute(reverse("notifications:notification-list")),
        "preferences_url": notify._absolute(reverse("notifications:preferences")),
        "topic_labels": ", ".join(str(preferences.Topic(t).label).lower() for t in free),
        "unsubscribe_url": unsubscribe,
    }
    # The key a mail log (and the tests' SMTP sink) tells one message from another by.
    period = f"{digest.period_ends_at:%Y%m%dT%H%M}"
    headers = {"X-Alignment-Delivery": f"digest-{digest.pk}:digest:{period}"}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=ngettext(
            "Your digest: %(count)s notification", "Your digest: %(count)s notifications", count
        )
        % {"count": count},
        body=render_to_string("emails/digest_body.txt", context),
        to=[digest.recipient.email],
        headers=headers,
    )
    message.attach_alternative(render_to_string("emails/digest_body.html", context), "text/html")
    return message
