"""Report files built in the background, and who downloaded which report.

The tables keep the names they had in the reviews app (db_table)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from reviews.models import ReviewCycle


class ReportFile(models.Model):
    """A report built in the background by a task, kept for download."""

    class Format(models.TextChoices):
        XLSX = "xlsx", gettext_lazy("Excel workbook (XLSX)")
        PDF = "pdf", gettext_lazy("PDF")

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("report file state", "Queued")
        RUNNING = "running", pgettext_lazy("report file state", "Being built")
        DONE = "done", pgettext_lazy("report file state", "Ready")
        FAILED = "failed", pgettext_lazy("report file state", "Failed")

    cycle = models.ForeignKey(
        ReviewCycle, models.CASCADE, related_name="report_files", verbose_name=gettext_lazy("cycle")
    )
    format = models.CharField(
        max_length=4, choices=Format.choices, verbose_name=gettext_lazy("format")
    )
    # The language the file is written in (a code of LANGUAGES): the one of the person who
    # asked for it, the company's for the files built when a review closes (reports.locales).
    # Files built before reports were translated are English.
    language = models.CharField(
        max_length=10, default="en-gb", verbose_name=gettext_lazy("language")
    )
    state = models.CharField(
        max_length=10,
        choices=State.choices,
        default=State.PENDING,
        verbose_name=gettext_lazy("state"),
    )
    progress = models.PositiveSmallIntegerField(default=0, verbose_name=gettext_lazy("progress"))
    file = models.FileField(upload_to="reports/", blank=True, verbose_name=gettext_lazy("file"))
    error = models.TextField(blank=True, verbose_name=gettext_lazy("error"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("requested by"),
    )
    notify_when_done = models.BooleanField(
        default=False, verbose_name=gettext_lazy("notify when done")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    finished_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("finished at")
    )

    class Meta:
        verbose_name = gettext_lazy("report file")
        verbose_name_plural = gettext_lazy("report files")
        db_table = "reviews_reportfile"
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One build of a cycle's report in a format and a language at a time: a second
            # request reuses the queued or running one (reports.report_request), and the
            # database refuses a second whichever way two requests interleave.
            models.UniqueConstraint(
                fields=["cycle", "format", "language"],
                condition=models.Q(state__in=["pending", "running"]),
                name="reportfile_one_active_build_per_language",
            )
        ]

    def __str__(self) -> str:
        return f"{self.cycle} {self.get_format_display()} ({self.get_state_display()})"

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.PENDING, self.State.RUNNING)


class ReportDownload(models.Model):
    """Who downloaded which report when (the audit trail of exports)."""

    cycle = models.ForeignKey(
        ReviewCycle,
        models.CASCADE,
        related_name="report_downloads",
        verbose_name=gettext_lazy("cycle"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("user"),
    )
    format = models.CharField(max_length=5, verbose_name=gettext_lazy("format"))
    at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("at"))

    class Meta:
        verbose_name = gettext_lazy("report download")
        verbose_name_plural = gettext_lazy("report downloads")
        db_table = "reviews_reportdownload"
        ordering = ["-at"]

    def __str__(self) -> str:
        # Translators: who downloaded which format (CSV, XLSX, PDF) of which review.
        return gettext("%(user)s downloaded %(format)s of %(cycle)s") % {
            "user": self.user,
            "format": self.format,
            "cycle": self.cycle,
        }
