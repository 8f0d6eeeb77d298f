"""Deliveries (one email to one person, one webhook request to one endpoint, or one chat message
to one team's channel, about one thing), the in-app twins of the emails, the webhook endpoints,
the chat channels, and what each person chose to be told how (preferences).

The tables keep the names they had in the reviews app (db_table)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from reviews import announce
from reviews.models import ReviewCycle
from strategy.models import Unit


class WebhookEndpointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class WebhookEndpoint(models.Model):
    """A URL that an admin registered to be told of some events, signed with its secret.

    The secret is kept as it is (every request is signed with it, so it cannot be a digest)
    and shown once, when it is made (notifications/webhooks.py)."""

    # The events an endpoint may choose: a webhook delivery's kind is one of them.
    class Event(models.TextChoices):
        CYCLE_OPENED = "cycle.opened", _("Review cycle opened")
        CHECK_SUBMITTED = "check.submitted", _("Check submitted")
        CHECK_REOPENED = "check.reopened", _("Check reopened")
        CYCLE_CLOSED = "cycle.closed", _("Review cycle closed")
        REPORT_READY = "report.ready", _("Reports ready")
        SIGNAL_RAISED = "signal.raised", _("Signal raised")

    name = models.CharField(max_length=100, verbose_name=gettext_lazy("name"))
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(max_length=100, verbose_name=gettext_lazy("secret"))
    events = models.JSONField(default=list, verbose_name=gettext_lazy("events"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("created by"),
    )

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("webhook endpoint")
        verbose_name_plural = gettext_lazy("webhook endpoints")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.is_active and event in self.events

    def event_labels(self) -> list[str]:
        labels = dict(self.Event.choices)
        return [labels.get(e, e) for e in self.events]


class ChatChannelQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class ChatChannel(models.Model):
    """A Slack or Microsoft Teams channel, reached through its incoming webhook, that is told a
    team's check reminders (its unit), or the escalations (the executives' channel, no unit).

    Its URL is the secret (whoever holds it may post to the channel): it is shown in full only
    to whoever types it, then masked (`url_masked`)."""

    class Platform(models.TextChoices):
        SLACK = "slack", _("Slack")
        TEAMS = "teams", _("Microsoft Teams")

    class Mode(models.TextChoices):
        ALSO_EMAIL = "also", _("As well as email")
        INSTEAD_OF_EMAIL = "instead", _("Instead of email")

    name = models.CharField(max_length=100, verbose_name=gettext_lazy("name"))
    platform = models.CharField(
        max_length=10, choices=Platform.choices, verbose_name=gettext_lazy("platform")
    )
    url = models.URLField(_("incoming webhook URL"), max_length=500)
    unit = models.ForeignKey(
        Unit,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_channels",
        verbose_name=gettext_lazy("unit"),
    )
    mode = models.CharField(
        max_length=10,
        choices=Mode.choices,
        default=Mode.ALSO_EMAIL,
        verbose_name=gettext_lazy("mode"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("created by"),
    )

    objects = ChatChannelQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("chat channel")
        verbose_name_plural = gettext_lazy("chat channels")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    @property
    def audience(self) -> str:
        return self.unit.name if self.unit_id else gettext("Executives")

    @property
    def url_masked(self) -> str:
        """The URL's scheme and host, and the last four characters of the rest."""
        scheme, _, rest = self.url.partition("://")
        host, _, path = rest.partition("/")
        return f"{scheme}://{host}/…{path[-4:]}" if path else f"{scheme}://{host}"


class DeliveryQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=Delivery.State.PENDING)

    def webhooks(self):
        return self.filter(endpoint__isnull=False)

    def chats(self):
        return self.filter(channel__isnull=False)

    def emails(self):
        return self.filter(endpoint__isnull=True, channel__isnull=True)


# A delivery's kind: the news people are told by email, or the event a webhook tells.
Event = WebhookEndpoint.Event
KIND_CHOICES = [
    *announce.Kind.choices,
    (Event.CYCLE_OPENED, _("Webhook: review cycle opened")),
    (Event.CHECK_SUBMITTED, _("Webhook: check submitted")),
    (Event.CHECK_REOPENED, _("Webhook: check reopened")),
    (Event.CYCLE_CLOSED, _("Webhook: review cycle closed")),
    (Event.REPORT_READY, _("Webhook: reports ready")),
    (Event.SIGNAL_RAISED, _("Webhook: signal raised")),
]


class Delivery(models.Model):
    """One email to one person, one webhook request to one endpoint, or one chat message to
    one channel, about one thing, created before it is sent.

    The unique key (cycle, recipient, kind, step) is what makes a reminder go out once, however
    often beat or the dispatch task runs; (endpoint, kind, step) makes an event go once to an
    endpoint, (cycle, channel, kind, step) a reminder once to a channel. A webhook's body is
    written with its row (`payload`), so every attempt sends the same event; its cycle is the
    one the event is about, if any. A chat message's payload is what it says (its title, link
    and team); its card is built from it for the channel's platform (chat.py).
    """

    Kind = announce.Kind

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Not needed any more")
        # Kept so that it is written once and shows on the operations page, never sent.
        TURNED_OFF = "off", _("Email turned off by its recipient")
        # Also written once and never sent: the team's chat channel has it instead.
        IN_CHAT = "chat", _("Sent to the team's chat instead")
        # Its recipient chose a digest (digests.py): gathered into one when its period ends.
        HELD = "held", _("Held for the recipient's digest")
        # Its recipient chose the send hour: it becomes pending then, and goes on its own.
        WAITING = "later", _("Held until the send hour")
        # Gathered into a digest (`digest`), which is sent (or not) in its stead.
        IN_DIGEST = "digest", _("In a digest")

    cycle = models.ForeignKey(
        ReviewCycle,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=gettext_lazy("cycle"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=gettext_lazy("recipient"),
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=gettext_lazy("endpoint"),
    )
    channel = models.ForeignKey(
        ChatChannel,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=gettext_lazy("channel"),
    )
    kind = models.CharField(max_length=20, choices=KIND_CHOICES, verbose_name=gettext_lazy("kind"))
    step = models.CharField(
        max_length=80, blank=True, default="", verbose_name=gettext_lazy("step")
    )
    payload = models.JSONField(null=True, blank=True, verbose_name=gettext_lazy("payload"))
    state = models.CharField(
        max_length=10,
        choices=State.choices,
        default=State.PENDING,
        verbose_name=gettext_lazy("state"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=gettext_lazy("attempts"))
    last_error = models.TextField(blank=True, verbose_name=gettext_lazy("last error"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    next_attempt_at = models.DateTimeField(
        default=timezone.now, verbose_name=gettext_lazy("next attempt at")
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("sent at"))
    digest = models.ForeignKey(
        "Digest",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=gettext_lazy("digest"),
    )

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("delivery")
        db_table = "reviews_delivery"
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "recipient", "kind", "step"], name="one_delivery_per_step"
            ),
            models.UniqueConstraint(
                fields=["endpoint", "kind", "step"],
                condition=models.Q(endpoint__isnull=False),
                name="one_webhook_per_event",
            ),
            models.UniqueConstraint(
                fields=["cycle", "channel", "kind", "step"],
                condition=models.Q(channel__isnull=False),
                name="one_chat_message_per_step",
            ),
            # An email has a person and a cycle; a webhook request an endpoint and a body; a
            # chat message a channel, a cycle and what it says.
            models.CheckConstraint(
                condition=models.Q(
                    recipient__isnull=False,
                    cycle__isnull=False,
                    endpoint__isnull=True,
                    channel__isnull=True,
                )
                | models.Q(
                    recipient__isnull=True,
                    endpoint__isnull=False,
                    channel__isnull=True,
                    payload__isnull=False,
                )
                | models.Q(
                    recipient__isnull=True,
                    endpoint__isnull=True,
                    channel__isnull=False,
                    cycle__isnull=False,
                    payload__isnull=False,
                ),
                name="delivery_email_webhook_or_chat",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        if self.endpoint_id:
            return f"{self.get_kind_display()} to {self.endpoint}"
        if self.channel_id:
            return f"{self.get_kind_display()} to {self.channel} ({self.cycle})"
        return f"{self.get_kind_display()} to {self.recipient} ({self.cycle})"

    @property
    def is_webhook(self) -> bool:
        return self.endpoint_id is not None

    @property
    def is_chat(self) -> bool:
        return self.channel_id is not None

    @property
    def is_email(self) -> bool:
        return not (self.is_webhook or self.is_chat)


class Digest(models.Model):
    """One email gathering what was held for one person (their deliveries in the HELD state)
    until a period of theirs ended: one per person and period end, whatever how often the beat
    runs. It is claimed and sent as a delivery's email is (attempts, state, retries)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Nothing left to tell")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="digests",
        verbose_name=gettext_lazy("recipient"),
    )
    period_ends_at = models.DateTimeField(verbose_name=gettext_lazy("period ends at"))
    state = models.CharField(
        max_length=10,
        choices=State.choices,
        default=State.PENDING,
        verbose_name=gettext_lazy("state"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=gettext_lazy("attempts"))
    last_error = models.TextField(blank=True, verbose_name=gettext_lazy("last error"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    next_attempt_at = models.DateTimeField(
        default=timezone.now, verbose_name=gettext_lazy("next attempt at")
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("sent at"))

    class Meta:
        verbose_name = gettext_lazy("digest")
        verbose_name_plural = gettext_lazy("digests")
        ordering = ["-period_ends_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "period_ends_at"], name="one_digest_per_period"
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"Digest to {self.recipient} ({self.period_ends_at:%Y-%m-%d %H:%M})"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """The in-app twin of a delivery: what the email says, in the product."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="notifications",
        verbose_name=gettext_lazy("user"),
    )
    delivery = models.OneToOneField(
        Delivery,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notification",
        verbose_name=gettext_lazy("delivery"),
    )
    title = models.CharField(max_length=200, verbose_name=gettext_lazy("title"))
    link = models.CharField(max_length=300, verbose_name=gettext_lazy("link"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("read at"))

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("notification")
        verbose_name_plural = gettext_lazy("notifications")
        db_table = "reviews_notification"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def mark_read(self) -> None:
        # Reading twice keeps the first reading time.
        if self.read_at is None:
            self.read_at = timezone.now()
            self.save(update_fields=["read_at"])


class Preference(models.Model):
    """The channels one person chose for one topic (notifications/preferences.py). A topic
    without a row gets the defaults; a required topic is sent whatever its row says."""

    class Topic(models.TextChoices):
        CHECK_OPENED = "check_opened", _("A review opens your team's check")
        CHECK_REMINDER = "check_reminder", _("Reminders before your check is due")
        CHECK_OVERDUE = "check_overdue", _("Your check is overdue")
        ESCALATION = "escalation", _("Late checks of a review (executives)")
        REFRESH = "refresh", _("The annual refresh and commitments to confirm")
        REPORT_READY = "report_ready", _("A review closed and its reports are ready")
        ACKNOWLEDGEMENT = "acknowledgement", _("Reminders to read the strategy")

    # When its emails go (digests.py): at once, at the cadence settings' send hour, or
    # gathered into a digest at that hour, daily or on Mondays; in the company's time zone.
    class Timing(models.TextChoices):
        NOW = "now", _("At once")
        HOUR = "hour", _("At the send hour")
        DAILY = "daily", _("Daily digest")
        WEEKLY = "weekly", _("Weekly digest (Mondays)")

    # For the topics a team's or the executives' chat channel is told too: whether the person
    # still wants the email once the channel has it.
    class Chat(models.TextChoices):
        CHANNEL = "", _("As the channel is set")
        ALSO = "also", _("Chat and email")
        INSTEAD = "instead", _("Chat instead of email")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="notification_preferences",
        verbose_name=gettext_lazy("user"),
    )
    topic = models.CharField(
        max_length=20, choices=Topic.choices, verbose_name=gettext_lazy("topic")
    )
    email = models.BooleanField(default=True, verbose_name=gettext_lazy("email"))
    in_app = models.BooleanField(default=True, verbose_name=gettext_lazy("in app"))
    timing = models.CharField(
        max_length=10,
        choices=Timing.choices,
        default=Timing.NOW,
        verbose_name=gettext_lazy("timing"),
    )
    chat = models.CharField(
        max_length=10,
        choices=Chat.choices,
        default=Chat.CHANNEL,
        blank=True,
        verbose_name=gettext_lazy("chat"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    class Meta:
        verbose_name = gettext_lazy("preference")
        verbose_name_plural = gettext_lazy("preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="one_preference_per_topic")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_topic_display()}"
