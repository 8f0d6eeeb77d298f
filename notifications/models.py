"""Deliveries (one email to one person about one thing) and their in-app twins.

The tables keep the names they had in the reviews app (db_table)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from reviews import announce
from reviews.models import ReviewCycle


class DeliveryQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=Delivery.State.PENDING)


class Delivery(models.Model):
    """One email to one person about one thing, created before it is sent.

    The unique key (cycle, recipient, kind, step) is what makes a reminder go out once, however
    often beat or the dispatch task runs.
    """

    Kind = announce.Kind

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Not needed any more"

    cycle = models.ForeignKey(ReviewCycle, models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    step = models.CharField(max_length=40, blank=True, default="")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        db_table = "reviews_delivery"
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "recipient", "kind", "step"], name="one_delivery_per_step"
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.cycle})"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """The in-app twin of a delivery: what the email says, in the product."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications")
    delivery = models.OneToOneField(
        Delivery, models.CASCADE, null=True, blank=True, related_name="notification"
    )
    title = models.CharField(max_length=200)
    link = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        db_table = "reviews_notification"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def mark_read(self) -> None:
        # Reading twice keeps the first reading time.
        if self.read_at is None:
            self.read_at = timezone.now()
            self.save(update_fields=["read_at"])
