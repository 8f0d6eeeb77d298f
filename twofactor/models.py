from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy, pgettext_lazy


class FactorEventQuerySet(models.QuerySet):
    def newest(self, *, limit: int = 10):
        return self.select_related("by").order_by("-at", "-pk")[:limit]


class FactorEvent(models.Model):
    """One thing that happened to a person's second factor: the history the profile page and
    the admin show (the log says the same, with the address)."""

    class Kind(models.TextChoices):
        ENROLLED = "enrolled", pgettext_lazy("second factor event", "Set up")
        DISABLED = "disabled", pgettext_lazy("second factor event", "Turned off")
        RESET = "reset", pgettext_lazy("second factor event", "Reset by an admin")
        FAILED = "failed", pgettext_lazy("second factor event", "Wrong code at sign-in")
        RECOVERY_USED = "recovery_used", pgettext_lazy("second factor event", "Recovery code used")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="factor_events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Who did it, when it was someone else (an admin's reset).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    address = models.GenericIPAddressField(null=True, blank=True)

    objects = FactorEventQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("factor event")
        verbose_name_plural = gettext_lazy("factor events")
        indexes = [models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.user}, {self.at:%Y-%m-%d %H:%M})"
