"""Building reports in the background, keeping them, and telling people they are ready."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from django.core.files import File
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone, translation
from django.utils.translation import gettext

from notifications import notify, webhooks
from notifications.models import Delivery, WebhookEndpoint
from reports import locales, writers
from reports.models import ReportDownload, ReportFile
from reviews import announce
from reviews.models import ReviewCycle

log = logging.getLogger(__name__)


# Sent with the id of a report file to build; reviews.tasks receives it and queues
# build_report once the transaction commits (so reports does not import the tasks).
report_requested = Signal()


def latest_report_files(cycle: ReviewCycle, language: str | None = None) -> list[ReportFile]:
    """The latest report file of each format, in the formats' order: the latest in `language`
    (the reader's, by default the active one) where there is one, else the latest in another
    (its `language` says which). One query, written out (the ORM took longer to build it than
    the database takes to run it)."""
    language = locales.supported(language or translation.get_language())
    latest, other = {}, {}
    for report in ReportFile.objects.raw(_REPORT_FILES_SQL, {"cycle": cycle.pk}):
        (latest if report.language == language else other).setdefault(report.format, report)
    latest = other | latest
    return [latest[f] for f in ReportFile.Format.values if f in latest]


# A cycle's report files in ReportFile's order, the latest first.
_REPORT_FILES_SQL = """
SELECT * FROM reviews_reportfile WHERE cycle_id = %(cycle)s ORDER BY created_at DESC, id DESC
"""


@transaction.atomic
def report_request(
    *, cycle: ReviewCycle, fmt: str, language: str | None = None, by=None, notify_when_done=False
) -> ReportFile:
    """Queue a report build in `language` (the active one if not given), or return the one
    already queued or running for this format and language (a file is kept per format and
    language: reports.locales).

    A closed cycle's finished report is kept and reused: its contents can no longer change.
    Two requests at once queue one build: the cycle's row is locked before looking (on
    PostgreSQL; SQLite runs one writing transaction at a time), and the database refuses a
    second active report of a format.
    """
    language = locales.supported(language or translation.get_language())
    list(ReviewCycle.objects.select_for_update().filter(pk=cycle.pk).values_list("pk"))
    existing = (
        ReportFile.objects.select_for_update()
        .filter(cycle=cycle, format=fmt, language=language)
        .exclude(state=ReportFile.State.FAILED)
        .order_by("-created_at")
        .first()
    )
    # A closed cycle's file is reused only if it was built after the cycle closed.
    frozen = cycle.is_closed and existing is not None and existing.created_at >= cycle.closed_at
    if existing is not None and (existing.is_active or frozen):
        if notify_when_done and not existing.notify_when_done:
            existing.notify_when_done = True
            existing.save(update_fields=["notify_when_done"])
            if existing.state == ReportFile.State.DONE:
                _notify_ready(cycle)
        return existing
    try:
        with transaction.atomic():
            report = ReportFile.objects.create(
                cycle=cycle,
                format=fmt,
                language=language,
                requested_by=by,
                notify_when_done=notify_when_done,
            )
    except IntegrityError:  # another request queued it first
        return ReportFile.objects.get(
            cycle=cycle,
            format=fmt,
            language=language,
            state__in=[ReportFile.State.PENDING, ReportFile.State.RUNNING],
        )
    report_requested.send(sender=ReportFile, report_id=report.pk)
    return report


def report_build(*, report_id: int) -> str:
    """Build one report file, in its language; claimed by a conditional update so two workers
    never both do."""
    won = ReportFile.objects.filter(pk=report_id, state=ReportFile.State.PENDING).update(
        state=ReportFile.State.RUNNING, progress=0
    )
    if not won:
        return "skipped"
    report = ReportFile.objects.select_related("cycle").get(pk=report_id)

    def progress(percent: int) -> None:
        ReportFile.objects.filter(pk=report.pk).update(progress=min(percent, 99))

    try:
        with tempfile.TemporaryDirectory() as tmp, translation.override(report.language):
            path = Path(tmp) / writers.filename(report.cycle, report.format)
            if report.format == ReportFile.Format.XLSX:
                writers.xlsx_write(report.cycle, str(path), progress=progress)
            else:
                writers.pdf_write(report.cycle, str(path), progress=progress)
            with path.open("rb") as handle:
                report.file.save(path.name, File(handle), save=False)
    except Exception as exc:
        log.exception("report %s failed", report.pk)
        ReportFile.objects.filter(pk=report.pk).update(
            state=ReportFile.State.FAILED, error=f"{exc.__class__.__name__}: {exc}"
        )
        if report.notify_when_done:
            with transaction.atomic():
                _notify_ready(report.cycle)  # the others may be ready, and waited for this one
        return "failed"
    report.state = ReportFile.State.DONE
    report.progress = 100
    report.finished_at = timezone.now()
    report.save(update_fields=["file", "state", "progress", "finished_at"])
    if report.notify_when_done:
        with transaction.atomic():
            _notify_ready(report.cycle)
    return "done"


def _notify_ready(cycle: ReviewCycle) -> None:
    """Once the last of a cycle's awaited reports is built (or has failed), tell admins and
    executives once, for all of them: one note per closing, not one per format.

    Each build saves its own state before it looks at the others', so of two finishing at
    once at least one sees both finished; the delivery's unique key keeps it to one note."""
    awaited = list(cycle.report_files.filter(notify_when_done=True).values_list("format", "state"))
    if any(state in (ReportFile.State.PENDING, ReportFile.State.RUNNING) for _, state in awaited):
        return
    ready = sorted({fmt.upper() for fmt, state in awaited if state == ReportFile.State.DONE})
    if not ready:
        return

    def title() -> str:  # in each recipient's language
        if len(ready) == 1:
            # Translators: `format` is the file built: PDF or XLSX.
            return gettext(
                "The %(review)s review is closed; its reports are ready (%(format)s)"
            ) % {"review": cycle.label, "format": ready[0]}
        # Translators: `first` and `second` are the files built, such as PDF and XLSX.
        return gettext(
            "The %(review)s review is closed; its reports are ready (%(first)s and %(second)s)"
        ) % {"review": cycle.label, "first": ", ".join(ready[:-1]), "second": ready[-1]}

    link = cycle.get_absolute_url() + "#reports"
    now = timezone.now()
    notify.deliveries_create(
        cycle=cycle,
        kind=Delivery.Kind.REPORT_READY,
        step="",
        notes={user_id: announce.Note(title, link) for user_id in announce.admins_and_executives()},
        now=now,
    )

    def data() -> dict:
        files = cycle.report_files.filter(notify_when_done=True, state=ReportFile.State.DONE)
        return {
            "cycle": webhooks.cycle_data(cycle),
            "reports": [webhooks.report_data(r) for r in files.order_by("format", "pk")],
        }

    notify.webhooks_emit(
        event=WebhookEndpoint.Event.REPORT_READY,
        step=f"cycle-{cycle.pk}",
        data=data,
        now=now,
        cycle=cycle,
    )


def reports_for_closed_cycle(*, cycle: ReviewCycle) -> list[ReportFile]:
    """A closed cycle's XLSX and PDF are built at once, in the company's language, and their
    links mailed."""
    language = locales.report_language(cycle=cycle)
    return [
        report_request(cycle=cycle, fmt=fmt, language=language, notify_when_done=True)
        for fmt in (ReportFile.Format.XLSX, ReportFile.Format.PDF)
    ]


def download_record(*, cycle: ReviewCycle, user, fmt: str) -> None:
    ReportDownload.objects.create(cycle=cycle, user=user, format=fmt)
    log.info("report download: %s took the %s of %s", user, fmt, cycle)
