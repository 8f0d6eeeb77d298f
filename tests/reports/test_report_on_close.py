"""Closing a cycle builds its XLSX and PDF and tells admins and executives where they are."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from reviews import exports, reports, services, tasks
from reviews.models import Delivery, Notification, ReportFile

pytestmark = pytest.mark.django_db


def test_closing_a_cycle_builds_xlsx_and_pdf_and_tells_admins_and_executives(
    login, org, executive, admin_user, head, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = login(executive).post(reverse("reviews:cycle-close", args=[org.cycle.pk]))
    assert response.status_code == 302

    built = {r.format: r for r in ReportFile.objects.filter(cycle=org.cycle)}
    assert set(built) == {"xlsx", "pdf"}
    assert all(r.notify_when_done and r.state == "pending" for r in built.values())
    assert not Delivery.objects.filter(kind=Delivery.Kind.REPORT_READY).exists()

    for report in built.values():
        assert reports.report_build(report_id=report.pk) == "done"

    deliveries = Delivery.objects.filter(kind=Delivery.Kind.REPORT_READY, cycle=org.cycle)
    assert sorted(deliveries.values_list("step", "recipient__username")) == sorted(
        (step, user.username) for step in ("xlsx", "pdf") for user in (executive, admin_user)
    )
    for delivery in deliveries:
        note = Notification.objects.get(delivery=delivery)
        assert note.user == delivery.recipient
        assert note.link == reverse("reviews:report-download", args=[built[delivery.step].pk])
        assert "Q1 FY2026" in note.title and "ready" in note.title
    # The link works for them, and the file is the closed cycle's.
    response = login(admin_user).get(
        Notification.objects.filter(user=admin_user, link__contains="download").first().link
    )
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_closing_twice_queues_the_reports_once(
    login, org, executive, queued, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks, "send_deliveries", SimpleNamespace(delay=lambda ids: None))
    url = reverse("reviews:cycle-close", args=[org.cycle.pk])
    with django_capture_on_commit_callbacks(execute=True):
        login(executive).post(url)
        login(executive).post(url)

    assert ReportFile.objects.count() == 2
    assert sorted(queued) == sorted(ReportFile.objects.values_list("pk", flat=True))


def test_a_report_built_before_closing_is_not_reused_as_the_closed_report(
    login, org, executive, monkeypatch, queued, django_capture_on_commit_callbacks
):
    early = reports.report_request(cycle=org.cycle, fmt="xlsx", by=executive)
    reports.report_build(report_id=early.pk)
    with django_capture_on_commit_callbacks(execute=False):
        login(executive).post(reverse("reviews:cycle-close", args=[org.cycle.pk]))
    org.cycle.refresh_from_db()
    closing = ReportFile.objects.filter(format="xlsx").latest("pk")
    monkeypatch.setattr(exports, "xlsx_write", lambda *a, **k: 1 / 0)
    assert reports.report_build(report_id=closing.pk) == "failed"
    monkeypatch.undo()

    login(executive).post(reverse("reviews:report-request", args=[org.cycle.pk, "xlsx"]))

    latest = ReportFile.objects.filter(format="xlsx").exclude(state="failed").latest("pk")
    assert latest.created_at >= org.cycle.closed_at, "the pre-closing workbook was reused"


def test_reports_for_a_closed_cycle_are_built_after_closing(org, executive):
    early = reports.report_request(cycle=org.cycle, fmt="xlsx", by=executive)
    reports.report_build(report_id=early.pk)
    services.cycle_close(cycle=org.cycle, by=executive)
    org.cycle.refresh_from_db()

    xlsx, _ = reports.reports_for_closed_cycle(cycle=org.cycle)

    assert xlsx != early
    assert xlsx.state == "pending"
