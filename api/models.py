"""Personal access tokens, and the answers kept for requests that may be repeated."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy


class AccessTokenQuerySet(models.QuerySet):
    def active(self, *, now: datetime):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class AccessToken(models.Model):
    """A personal access token: it acts as its user, within its scope, until it expires or is
    revoked. Only a digest of the secret is kept (api.services.token_create); the secret is
    shown once, when the token is made, and its first characters (`prefix`) name it after."""

    class Scope(models.TextChoices):
        READ = "read", pgettext_lazy("token scope", "Read")
        WRITE = "write", pgettext_lazy("token scope", "Read and write")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="access_tokens")
    name = models.CharField(
        max_length=80, help_text=gettext_lazy("What it is for: “ERP nightly export”.")
    )
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        verbose_name_plural = gettext_lazy("personal access tokens")
        ordering = ["-created_at", "-pk"]
        verbose_name = gettext_lazy("personal access token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_active(self, *, now: datetime) -> bool:
        return not self.is_revoked and self.expires_at > now

    @property
    def writes(self) -> bool:
        return self.scope == self.Scope.WRITE


class IdempotentRequest(models.Model):
    """The answer given to a writing request sent with an Idempotency-Key: the same key and
    body again get the same answer, and nothing is written twice (docs/api.md)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=60)
    key = models.CharField(max_length=120)
    # SHA-256 of the request's body as parsed and re-encoded with sorted keys: the same
    # request, however its JSON was spaced.
    request_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("idempotent request")
        verbose_name_plural = gettext_lazy("idempotent requests")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "endpoint", "key"], name="one_answer_per_idempotency_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"
