"""Report files built in the background, and who downloaded which report.

The tables keep the names they had in the reviews app (db_table)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from reviews.models import ReviewCycle


class ReportFile(models.Model):
    """A report built in the background by a task, kept for download."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel workbook (XLSX)"
        PDF = "pdf", "PDF"

    class State(models.TextChoices):
        PENDING = "pending", "Queued"
        RUNNING = "running", "Being built"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    cycle = models.ForeignKey(ReviewCycle, models.CASCADE, related_name="report_files")
    format = models.CharField(max_length=4, choices=Format.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="reports/", blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notify_when_done = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "reviews_reportfile"
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One build of a cycle's report in a format at a time: a second request reuses
            # the queued or running one (reports.report_request), and the database refuses
            # a second whichever way two requests interleave.
            models.UniqueConstraint(
                fields=["cycle", "format"],
                condition=models.Q(state__in=["pending", "running"]),
                name="reportfile_one_active_build",
            )
        ]

    def __str__(self) -> str:
        return f"{self.cycle} {self.get_format_display()} ({self.get_state_display()})"

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.PENDING, self.State.RUNNING)


class ReportDownload(models.Model):
    """Who downloaded which report when (the audit trail of exports)."""

    cycle = models.ForeignKey(ReviewCycle, models.CASCADE, related_name="report_downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    format = models.CharField(max_length=5)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "reviews_reportdownload"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} downloaded {self.format} of {self.cycle}"
