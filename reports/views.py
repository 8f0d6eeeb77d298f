"""The pages of the reports app."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from reports import locales, services, writers
from reports.models import ReportFile
from reviews.models import ReviewCycle
from reviews.views import get_cycle_for_user
from strategy import roles
from sustain import board


def report_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as an HTML page to read or print: the board's summary and the first part of
    the team appendix; the PDF is rendered from the same templates."""
    return report_part(request, pk, 1)


def report_part(request: HttpRequest, pk: int, part: int) -> HttpResponse:
    """The print view with another part of the team appendix: a bounded page each."""
    cycle = get_cycle_for_user(request, pk)
    roles.require(request, "reviews.export_reports")
    html = writers.print_html(cycle, part)
    if html is None:
        raise Http404("No such part of the appendix.")
    return HttpResponse(html)


def report_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    cycle = get_cycle_for_user(request, pk)
    roles.require(request, "reviews.export_reports")
    services.download_record(cycle=cycle, user=request.user, fmt="csv")
    response = StreamingHttpResponse(
        writers.csv_stream(cycle, language=locales.request_language(request)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{writers.filename(cycle, "csv")}"'
    return response


@require_POST
def report_request(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    cycle = get_cycle_for_user(request, pk)
    roles.require(request, "reviews.export_reports")
    if fmt not in ReportFile.Format.values:
        raise Http404
    if cycle.state == ReviewCycle.State.PLANNED:
        messages.error(
            request,
            gettext("%(review)s is not open yet: there is nothing to report.")
            % {"review": cycle.label},
        )
        return redirect(cycle.get_absolute_url())
    report = services.report_request(
        cycle=cycle, fmt=fmt, language=locales.request_language(request), by=request.user
    )
    if request.htmx:
        return _reports_fragment(request, cycle)
    # Translators: `format` is a report file's format, such as "Excel workbook (XLSX)".
    if report.state == ReportFile.State.DONE:
        messages.success(
            request,
            gettext("The %(format)s is ready below.") % {"format": report.get_format_display()},
        )
    else:
        messages.success(
            request,
            gettext("The %(format)s is being built.") % {"format": report.get_format_display()},
        )
    return redirect(cycle.get_absolute_url() + "#reports")


def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_cycle_for_user(request, pk)
    roles.require(request, "reviews.export_reports")
    return _reports_fragment(request, cycle)


def _reports_fragment(request, cycle: ReviewCycle) -> HttpResponse:
    files = services.latest_report_files(cycle, locales.request_language(request))
    return render(
        request,
        "reports/_reports.html",
        {"cycle": cycle, "report_files": files, "reports_busy": any(r.is_active for r in files)},
    )


def report_download(request: HttpRequest, pk: int) -> FileResponse:
    report = get_object_or_404(
        ReportFile.objects.select_related("cycle").defer("cycle__snapshot"), pk=pk
    )
    get_cycle_for_user(request, report.cycle_id)
    roles.require(request, "reviews.export_reports")
    if report.state != ReportFile.State.DONE or not report.file:
        raise Http404
    services.download_record(cycle=report.cycle, user=request.user, fmt=report.format)
    with translation.override(report.language):  # the file's name in the file's language
        name = writers.filename(report.cycle, report.format)
    return FileResponse(report.file.open("rb"), as_attachment=True, filename=name)


@require_GET
def signals_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The whole stored board: every signal, streak and team's reading, one row each."""
    roles.require(request, "reviews.view_signals")
    stored = board.stored_board(now=timezone.now(), summary=True)
    response = StreamingHttpResponse(
        writers.csv_lines(board.csv_rows(stored), language=locales.request_language(request)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="signals.csv"'
    return response
