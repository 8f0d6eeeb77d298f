"""Who may export, building reports in the background, downloading them, and closing a cycle."""

import pytest
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone

from notifications.models import Delivery
from reports import services as report_services
from reports import tasks as report_tasks
from reports import writers
from reports.models import ReportDownload, ReportFile
from tests.reports.support import COMPANY_SLUG, read_xlsx

pytestmark = pytest.mark.django_db

XLSX_NAME = f"{COMPANY_SLUG}-fy2026-q1-alignment-review.xlsx"


@pytest.fixture
def done_report(org, executive):
    report = ReportFile.objects.create(
        cycle=org.cycle,
        format=ReportFile.Format.XLSX,
        state=ReportFile.State.DONE,
        progress=100,
        requested_by=executive,
        finished_at=timezone.now(),
    )
    report.file.save("built.xlsx", ContentFile(b"PK built workbook"))
    return report


def _urls(org, report) -> dict[str, tuple[str, str]]:
    pk = org.cycle.pk
    return {
        "report-print": ("get", reverse("reports:report-print", args=[pk])),
        "report-part": ("get", reverse("reports:report-part", args=[pk, 1])),
        "report-csv": ("get", reverse("reports:report-csv", args=[pk])),
        "report-request": ("post", reverse("reports:report-request", args=[pk, "xlsx"])),
        "report-status": ("get", reverse("reports:report-status", args=[pk])),
        "report-download": ("get", reverse("reports:report-download", args=[report.pk])),
    }


URL_NAMES = [
    "report-print",
    "report-part",
    "report-csv",
    "report-request",
    "report-status",
    "report-download",
]
ALLOWED_STATUS = {
    "report-print": 200,
    "report-part": 200,
    "report-csv": 200,
    "report-request": 302,
    "report-status": 200,
    "report-download": 200,
}


@pytest.mark.parametrize("name", URL_NAMES)
@pytest.mark.parametrize("who", ["executive", "admin_user"])
def test_executives_and_admins_may_export(request, client, org, done_report, queued, who, name):
    client.force_login(request.getfixturevalue(who))
    method, url = _urls(org, done_report)[name]

    response = getattr(client, method)(url)

    assert response.status_code == ALLOWED_STATUS[name]
    if isinstance(response, FileResponse) or response.streaming:
        b"".join(response.streaming_content)


@pytest.mark.parametrize("name", URL_NAMES)
@pytest.mark.parametrize("who", ["head", "member", "outsider"])
def test_heads_members_and_outsiders_may_not_export(
    request, client, org, done_report, queued, who, name
):
    client.force_login(request.getfixturevalue(who))
    method, url = _urls(org, done_report)[name]

    response = getattr(client, method)(url)

    assert response.status_code == 403
    assert ReportFile.objects.count() == 1  # the request made nothing
    assert not ReportDownload.objects.exists()
    assert queued == []


@pytest.mark.parametrize("name", URL_NAMES)
def test_anonymous_visitors_are_sent_to_log_in(client, org, done_report, name):
    method, url = _urls(org, done_report)[name]

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not ReportDownload.objects.exists()


def test_cycle_page_offers_exports_to_executives_only(login, org, executive, admin_user):
    url = org.cycle.get_absolute_url()
    for who in (executive, admin_user):
        html = login(who).get(url).content.decode()
        assert reverse("reports:report-csv", args=[org.cycle.pk]) in html
        assert reverse("reports:report-print", args=[org.cycle.pk]) in html
        assert reverse("reports:report-request", args=[org.cycle.pk, "pdf"]) in html


def test_unknown_format_is_not_found(login, org, executive):
    response = login(executive).post(reverse("reports:report-request", args=[org.cycle.pk, "csv"]))

    assert response.status_code == 404
    assert not ReportFile.objects.exists()


# --- Building in the background --------------------------------------------------------------


def test_request_creates_a_report_and_enqueues_its_build_after_commit(
    login, org, executive, queued, django_capture_on_commit_callbacks
):
    url = reverse("reports:report-request", args=[org.cycle.pk, "xlsx"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = login(executive).post(url)

    assert response.status_code == 302
    assert response["Location"] == org.cycle.get_absolute_url() + "#reports"
    report = ReportFile.objects.get()
    assert (report.cycle, report.format, report.state) == (org.cycle, "xlsx", "pending")
    assert (report.requested_by, report.notify_when_done) == (executive, False)
    assert queued == []  # nothing is sent to the broker before the commit
    for callback in callbacks:
        callback()
    assert queued == [report.pk]


def test_htmx_request_answers_with_the_reports_fragment(login, org, executive, queued):
    url = reverse("reports:report-request", args=[org.cycle.pk, "xlsx"])

    response = login(executive).post(url, headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="report-files"')
    assert '<progress value="0" max="100"' in html


def test_requesting_again_while_queued_reuses_the_queued_report(
    login, org, executive, queued, django_capture_on_commit_callbacks
):
    url = reverse("reports:report-request", args=[org.cycle.pk, "pdf"])
    with django_capture_on_commit_callbacks(execute=True):
        login(executive).post(url)
        login(executive).post(url)

    assert ReportFile.objects.count() == 1
    assert queued == [ReportFile.objects.get().pk]


def test_build_stores_the_file_and_marks_it_done(org, executive, settings, tmp_path):
    report = report_services.report_request(cycle=org.cycle, fmt="xlsx", by=executive)

    assert report_services.report_build(report_id=report.pk) == "done"

    report.refresh_from_db()
    assert (report.state, report.progress, report.error) == ("done", 100, "")
    assert report.finished_at is not None
    assert report.file.name.startswith("reports/")
    assert report.file.name.endswith(".xlsx")
    path = tmp_path / "media" / report.file.name
    assert path.exists()
    assert str(path).startswith(str(settings.MEDIA_ROOT))
    assert read_xlsx(path.read_bytes()).sheetnames[0] == "Summary"
    # Building twice (a redelivered task) does nothing the second time.
    assert report_services.report_build(report_id=report.pk) == "skipped"


def test_build_through_the_task_builds_a_pdf(org, executive):
    report = report_services.report_request(cycle=org.cycle, fmt="pdf", by=executive)

    assert report_tasks.build_report(report.pk) == "done"

    report.refresh_from_db()
    assert report.state == "done"
    assert report.file.read().startswith(b"%PDF-")


def test_progress_shows_on_the_cycle_page_while_the_report_is_built(login, org, executive):
    report = report_services.report_request(cycle=org.cycle, fmt="xlsx", by=executive)
    client = login(executive)
    status_url = reverse("reports:report-status", args=[org.cycle.pk])

    page = client.get(org.cycle.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert f'hx-get="{status_url}"' in page
    assert '<progress value="0" max="100"' in page
    assert "queued" in page

    ReportFile.objects.filter(pk=report.pk).update(state="running", progress=43)
    fragment = client.get(status_url).content.decode()
    assert '<progress value="43" max="100"' in fragment
    assert "being built" in fragment
    assert "every 2s" in fragment

    report_services.report_build(
        report_id=ReportFile.objects.create(cycle=org.cycle, format="pdf").pk
    )
    ReportFile.objects.filter(pk=report.pk).update(state="pending")
    assert report_services.report_build(report_id=report.pk) == "done"
    fragment = client.get(status_url).content.decode()
    assert "<progress" not in fragment
    assert "every 2s" not in fragment  # nothing left to poll for
    assert reverse("reports:report-download", args=[report.pk]) in fragment


def test_download_serves_the_file_with_the_report_name_and_records_it(
    login, org, executive, done_report
):
    started = timezone.now()

    response = login(executive).get(reverse("reports:report-download", args=[done_report.pk]))

    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    assert response["Content-Disposition"] == f'attachment; filename="{XLSX_NAME}"'
    assert b"".join(response.streaming_content) == b"PK built workbook"
    (download,) = ReportDownload.objects.all()
    assert (download.cycle, download.user, download.format) == (org.cycle, executive, "xlsx")
    assert started <= download.at <= timezone.now()


def test_a_report_not_built_yet_cannot_be_downloaded(login, org, executive):
    report = report_services.report_request(cycle=org.cycle, fmt="xlsx", by=executive)

    response = login(executive).get(reverse("reports:report-download", args=[report.pk]))

    assert response.status_code == 404
    assert not ReportDownload.objects.exists()


def test_a_closed_cycle_reuses_its_finished_report(login, closed_org, executive, queued):
    report = report_services.report_request(cycle=closed_org.cycle, fmt="xlsx", by=executive)
    report_services.report_build(report_id=report.pk)
    url = reverse("reports:report-request", args=[closed_org.cycle.pk, "xlsx"])

    response = login(executive).post(url, follow=True)

    assert ReportFile.objects.get() == report
    assert "ready below" in response.content.decode()


def test_an_open_cycle_builds_a_fresh_report_each_time(login, org, executive, queued):
    first = report_services.report_request(cycle=org.cycle, fmt="xlsx", by=executive)
    report_services.report_build(report_id=first.pk)

    login(executive).post(reverse("reports:report-request", args=[org.cycle.pk, "xlsx"]))

    assert ReportFile.objects.count() == 2
    assert ReportFile.objects.latest("pk").state == "pending"


def test_a_failed_build_ends_failed_with_the_error_shown(
    login, org, executive, monkeypatch, queued
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writers, "xlsx_write", broken)
    report = report_services.report_request(
        cycle=org.cycle, fmt="xlsx", by=executive, notify_when_done=True
    )

    assert report_services.report_build(report_id=report.pk) == "failed"

    report.refresh_from_db()
    assert (report.state, report.error, report.file.name) == (
        "failed",
        "RuntimeError: disk full",
        "",
    )
    fragment = login(executive).get(reverse("reports:report-status", args=[org.cycle.pk]))
    html = fragment.content.decode()
    assert "failed" in html and "RuntimeError: disk full" in html
    assert not Delivery.objects.filter(kind=Delivery.Kind.REPORT_READY).exists()
    # Asking again builds again: a failed report is never reused.
    login(executive).post(reverse("reports:report-request", args=[org.cycle.pk, "xlsx"]))
    assert ReportFile.objects.filter(state="pending").count() == 1


# --- One build at a time ---------------------------------------------------------------------


def test_the_database_refuses_a_second_queued_build_of_the_same_report(org):
    from django.db import IntegrityError, transaction

    ReportFile.objects.create(cycle=org.cycle, format="pdf")

    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFile.objects.create(cycle=org.cycle, format="pdf", state="running")
    ReportFile.objects.create(cycle=org.cycle, format="xlsx")  # another format may build
    ReportFile.objects.create(cycle=org.cycle, format="pdf", state="done")  # finished ones stay


def test_a_request_that_loses_the_race_reuses_the_build_queued_by_the_other(
    org, executive, monkeypatch, queued, django_capture_on_commit_callbacks
):
    """Two requests at once: the second looked before the first had created its report, so it
    finds nothing to reuse and tries to create one; it gets the first's instead."""
    first = ReportFile.objects.create(cycle=org.cycle, format="pdf")
    looked = ReportFile.objects.none()
    real_filter = ReportFile.objects.select_for_update

    def blind():
        monkeypatch.setattr(ReportFile.objects, "select_for_update", real_filter)
        return looked.select_for_update()

    monkeypatch.setattr(ReportFile.objects, "select_for_update", blind)

    with django_capture_on_commit_callbacks(execute=True):
        report = report_services.report_request(cycle=org.cycle, fmt="pdf", by=executive)

    assert report == first
    assert ReportFile.objects.count() == 1
    assert queued == []  # the first request queued its build; this one queues none


def test_the_request_locks_the_cycle_before_looking_for_a_build_to_reuse(org, executive, queued):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        report_services.report_request(cycle=org.cycle, fmt="pdf", by=executive)

    selects = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert '"reviews_reviewcycle"' in selects[0]
    assert '"reviews_reportfile"' in selects[1]
