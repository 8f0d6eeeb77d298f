"""What the notifications pages read."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, DateField, F, IntegerField, Value
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.text import Truncator

from notifications.forms import DeliveryFilterForm
from notifications.models import ChatChannel, Delivery, Digest, Notification, WebhookEndpoint
from reviews.models import CadenceSettings, ReviewCycle
from reviews.operations import schedule_overview, upcoming_reminders
from strategy.languages import company_locale
from strategy.prepared import prepared
from strategy.selectors import counted_page

DELIVERIES_PER_PAGE = 50
FAILED_DIGESTS_SHOWN = 20  # the newest; the counts say how many failed in all
DELIVERY_FILTERS = ("state", "kind", "cycle", "endpoint")
LOG_FIELDS = (
    *("created_at", "cycle_id", "kind", "step", "state", "sent_at", "attempts", "last_error"),
    *("recipient__first_name", "recipient__last_name", "recipient__username"),
    *("endpoint__name", "channel__name", "channel__platform"),
)


def operations_page(*, params: QueryDict, now: datetime) -> dict:
    """The beat schedule, what falls due in the next two weeks, and a page of the delivery log
    (newest first) with its counts by state. Each filter applies on its own: one that is not
    valid (a cycle since deleted, a state typed in the address) is left out and named in
    `ignored`, and the others still apply."""
    config = CadenceSettings.load()
    cycles, endpoints = filter_choices()
    filters = DeliveryFilterForm(params or None, cycles=cycles, endpoints=endpoints)
    # What the log's table shows, no more: a review's label comes from the filter's options.
    deliveries = (
        Delivery.objects.select_related("recipient", "endpoint", "channel")
        .only(*LOG_FIELDS)
        .order_by("-created_at", "-pk")
    )
    ignored = []
    if filters.is_bound:
        filters.is_valid()
        for field in DELIVERY_FILTERS:
            if field in filters.errors:
                ignored.append(filters[field].label.lower())
            elif filters.cleaned_data.get(field):
                deliveries = deliveries.filter(**{field: filters.cleaned_data[field]})
    page = counted_page(deliveries, DELIVERIES_PER_PAGE, params.get("page"))
    counts, digest_counts = {}, {}
    for state, n, of in _counts_by_state():
        (counts if of == "delivery" else digest_counts)[state] = n
    query = params.copy()
    query.pop("page", None)
    return {
        "rows": log_rows(page.object_list, filters.options),
        "schedule": schedule_overview(now=now),
        "upcoming": upcoming_reminders(now=now, config=config),
        "time_zone": company_locale()[1],
        "filters": filters,
        "page": page,
        "counts": counts,
        "digest_counts": digest_counts,
        # Read only when a digest failed: the page's queries stay as they were otherwise.
        "failed_digests": failed_digests() if digest_counts.get(Digest.State.FAILED) else [],
        "query": query.urlencode(),
        "filtered": any(params.get(f) for f in DELIVERY_FILTERS),
        "ignored": ignored,
    }


STATE_BADGES = {"sent": "text-bg-success", "failed": "text-bg-danger", "pending": "text-bg-warning"}


def log_rows(deliveries, options: dict[str, tuple]) -> list[dict]:
    """What the delivery log's table writes of each delivery, as text: its times as
    {{ t|date:"j M H:i" }} writes them (in the active time zone), the names of its review,
    kind and state from the filter menus' `options` (translated once per language), whom it
    went to and where its link goes. Written here, not by template tags per cell: the table's
    fifty rows were four fifths of the page."""
    cycles, kinds, states = (dict(options[name][1:]) for name in ("cycle", "kind", "state"))
    platforms = dict(ChatChannel.Platform.choices)
    webhook_url = _url_maker("notifications:webhook-edit")
    chat_url = _url_maker("notifications:chat-edit")
    retry_url = _url_maker("notifications:delivery-retry")
    months = {}

    def when(moment) -> str:
        if moment is None:
            return ""
        local = timezone.localtime(moment)
        if local.month not in months:
            months[local.month] = str(MONTHS_3[local.month]).title()
        return f"{local.day} {months[local.month]} {local:%H:%M}"

    rows = []
    for d in deliveries:
        if d.endpoint_id:
            to, url, badge = d.endpoint.name, webhook_url(d.endpoint_id), ""
        elif d.channel_id:
            to, url = d.channel.name, chat_url(d.channel_id)
            badge = str(platforms.get(d.channel.platform, d.channel.platform))
        else:
            to, url, badge = _name_of(d.recipient), "", ""
        failed = d.state == Delivery.State.FAILED
        rows.append(
            {
                "delivery": d,
                "created": when(d.created_at),
                "cycle": (cycles.get(str(d.cycle_id)) or d.cycle.label) if d.cycle_id else "—",
                "kind": kinds.get(d.kind, d.kind),
                "step": d.step or "—",
                "to": to,
                "url": url,
                "badge": badge,
                "state": states.get(d.state, d.state),
                "state_badge": STATE_BADGES.get(d.state, "text-bg-secondary"),
                "sent": when(d.sent_at),
                "error": Truncator(d.last_error).chars(120) if d.last_error else "",
                "retry_url": retry_url(d.pk) if failed else "",
            }
        )
    return rows


def failed_digests() -> list[dict]:
    """The newest FAILED_DIGESTS_SHOWN failed digests: whom each was for, the period it
    gathered, its attempts, its error and where to retry it."""
    retry_url = _url_maker("notifications:digest-retry")
    found = (
        Digest.objects.filter(state=Digest.State.FAILED)
        .select_related("recipient")
        .only(
            *("period_ends_at", "attempts", "last_error"),
            *("recipient__first_name", "recipient__last_name", "recipient__username"),
        )
        .order_by("-period_ends_at", "-pk")[:FAILED_DIGESTS_SHOWN]
    )
    rows = []
    for digest in found:
        rows.append(
            {
                "digest": digest,
                "to": _name_of(digest.recipient),
                "username": digest.recipient.username,
                "error": Truncator(digest.last_error).chars(120) if digest.last_error else "",
                "retry_url": retry_url(digest.pk),
            }
        )
    return rows


def _name_of(person) -> str:
    """A recipient as the log names them: their full name, else their username."""
    return f"{person.first_name} {person.last_name}".strip() or person.username


def _url_maker(name: str):
    """pk → reverse(name, args=[pk]), reversed once (as strategy.selectors does)."""
    marker = "2147483647"  # a key no row has, that appears nowhere else in the URL
    before, after = reverse(name, args=[marker]).split(marker)
    return lambda pk: f"{before}{pk}{after}"


@prepared
def _counts_by_state():
    """The deliveries' and the digests' counts by state, in one query (the page's budget)."""
    return (
        Delivery.objects.order_by()
        .values_list("state")
        .annotate(n=Count("pk"), of=Value("delivery"))
        .union(
            Digest.objects.order_by()
            .values_list("state")
            .annotate(n=Count("pk"), of=Value("digest")),
            all=True,
        )
    )


def filter_choices() -> tuple[list[tuple], list[tuple]]:
    """What the delivery log's filters offer, in one query: every review as (pk, kind, fiscal
    year, quarter), newest first, and every webhook endpoint as (pk, name), by name."""
    cycles, endpoints = [], []
    for of, pk, text, year, quarter, _opens_on in _filter_choices():
        if of == "cycle":
            cycles.append((pk, text, year, quarter))
        else:
            endpoints.append((pk, text))
    return cycles, endpoints


@prepared
def _filter_choices():
    # One list of both, ordered as each model orders itself: the reviews (their kind in
    # `text`) first, newest first, then the endpoints (their name in `text`) by name.
    cycles = ReviewCycle.objects.annotate(of=Value("cycle"), text=F("kind")).values_list(
        "of", "pk", "text", "fiscal_year", "quarter", "opens_on"
    )
    endpoints = WebhookEndpoint.objects.annotate(
        of=Value("endpoint"),
        text=F("name"),
        year=Value(None, output_field=IntegerField()),
        quarter=Value(None, output_field=IntegerField()),
        opens_on=Value(None, output_field=DateField()),
    ).values_list("of", "pk", "text", "year", "quarter", "opens_on")
    return (
        cycles.order_by()
        .union(endpoints.order_by(), all=True)
        .order_by("of", "-fiscal_year", "-quarter", "-opens_on", "text", "pk")
    )


NOTIFICATION_LINES = 100  # lines on the notification list
NOTIFICATIONS_READ = 300  # the newest notes read to make them: a page of lines at most


def notification_lines(*, user) -> list[dict]:
    """The notification list, newest first, in one query: the notes of one kind about one
    review collapsed into one line (the newest, with how many there are and how many are
    unread), so that four closed reviews leave an executive four lines, not a pile; a note of
    no delivery is a line of its own."""
    notes = (
        Notification.objects.filter(user=user)
        .select_related("delivery")
        .only(
            "pk", "title", "link", "created_at", "read_at", "delivery__kind", "delivery__cycle_id"
        )
        .order_by("-created_at", "-pk")[:NOTIFICATIONS_READ]
    )
    lines: dict[tuple, dict] = {}
    for note in notes:
        key = (note.delivery.kind, note.delivery.cycle_id) if note.delivery else ("", note.pk)
        line = lines.get(key)
        if line is None:
            if len(lines) == NOTIFICATION_LINES:
                continue
            line = lines[key] = {"notification": note, "count": 0, "unread": 0}
        line["count"] += 1
        line["unread"] += note.read_at is None
    return list(lines.values())
