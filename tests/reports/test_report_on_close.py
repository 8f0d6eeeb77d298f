"""Closing a cycle builds its XLSX and PDF and tells admins and executives where they are."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from notifications import tasks as notification_tasks
from notifications.models import Delivery, Notification
from reports import services as report_services
from reports import writers
from reports.models import ReportFile
from reviews import services
from tests.factories import CommitmentFactory, WebhookEndpointFactory, fill_check, make_open_cycle

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
        assert report_services.report_build(report_id=report.pk) == "done"

    # One note per person for both formats, once the last one is built.
    deliveries = Delivery.objects.filter(kind=Delivery.Kind.REPORT_READY, cycle=org.cycle)
    assert sorted(deliveries.values_list("step", "recipient__username")) == sorted(
        ("", user.username) for user in (executive, admin_user)
    )
    for delivery in deliveries:
        note = Notification.objects.get(delivery=delivery)
        assert note.user == delivery.recipient
        assert note.link == org.cycle.get_absolute_url() + "#reports"
        assert note.title == (
            "The Q1 FY2026 review is closed; its reports are ready (PDF and XLSX)"
        )
    # The link works for them, and lists the closed cycle's files.
    response = login(admin_user).get(Notification.objects.filter(user=admin_user).first().link)
    for report in built.values():
        assertContains(response, reverse("reports:report-download", args=[report.pk]))


def test_when_one_format_fails_the_note_names_the_one_that_is_ready(
    closed_org, executive, monkeypatch
):
    xlsx, pdf = report_services.reports_for_closed_cycle(cycle=closed_org.cycle)
    monkeypatch.setattr(writers, "pdf_write", lambda cycle, target, progress=None: 1 / 0)

    assert report_services.report_build(report_id=xlsx.pk) == "done"
    assert not Delivery.objects.filter(kind=Delivery.Kind.REPORT_READY).exists()  # PDF awaited
    assert report_services.report_build(report_id=pdf.pk) == "failed"

    note = Notification.objects.get(user=executive, delivery__kind=Delivery.Kind.REPORT_READY)
    assert note.title == "The Q1 FY2026 review is closed; its reports are ready (XLSX)"


def test_closing_twice_queues_the_reports_once(
    login, org, executive, queued, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        notification_tasks, "send_deliveries", SimpleNamespace(delay=lambda ids: None)
    )
    url = reverse("reviews:cycle-close", args=[org.cycle.pk])
    with django_capture_on_commit_callbacks(execute=True):
        login(executive).post(url)
        login(executive).post(url)

    assert ReportFile.objects.count() == 2
    assert sorted(queued) == sorted(ReportFile.objects.values_list("pk", flat=True))


def test_a_report_built_before_closing_is_not_reused_as_the_closed_report(
    login, org, executive, monkeypatch, queued, django_capture_on_commit_callbacks
):
    early = report_services.report_request(cycle=org.cycle, fmt="xlsx", by=executive)
    report_services.report_build(report_id=early.pk)
    with django_capture_on_commit_callbacks(execute=False):
        login(executive).post(reverse("reviews:cycle-close", args=[org.cycle.pk]))
    org.cycle.refresh_from_db()
    closing = ReportFile.objects.filter(format="xlsx").latest("pk")
    monkeypatch.setattr(writers, "xlsx_write", lambda *a, **k: 1 / 0)
    assert report_services.report_build(report_id=closing.pk) == "failed"
    monkeypatch.undo()

    login(executive).post(reverse("reports:report-request", args=[org.cycle.pk, "xlsx"]))

    latest = ReportFile.objects.filter(format="xlsx").exclude(state="failed").latest("pk")
    assert latest.created_at >= org.cycle.closed_at, "the pre-closing workbook was reused"


def test_reports_for_a_closed_cycle_are_built_after_closing(org, executive):
    early = report_services.report_request(cycle=org.cycle, fmt="xlsx", by=executive)
    report_services.report_build(report_id=early.pk)
    services.cycle_close(cycle=org.cycle, by=executive)
    org.cycle.refresh_from_db()

    xlsx, _ = report_services.reports_for_closed_cycle(cycle=org.cycle)

    assert xlsx != early
    assert xlsx.state == "pending"


def test_four_closes_leave_one_unread_note_each_and_the_list_counts_them(
    login,
    current_position,
    executive,
    admin_user,
    head,
    other_head,
    logistics,
    finance,
    queued,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(
        notification_tasks, "send_deliveries", SimpleNamespace(delay=lambda ids: None)
    )
    # Building the files is not what this is about.
    monkeypatch.setattr(writers, "xlsx_write", lambda c, path, **k: Path(path).write_bytes(b"x"))
    monkeypatch.setattr(writers, "pdf_bytes", lambda c: b"%PDF-1.7")
    objective = current_position.objectives.first()
    CommitmentFactory(unit=logistics, objective=objective)
    CommitmentFactory(unit=finance, objective=objective)
    client = login(executive)
    for quarter in (1, 2, 3, 4):
        cycle = make_open_cycle(current_position, fiscal_year=2026, quarter=quarter)
        fill_check(cycle.checks.get(unit=logistics), by=head)
        fill_check(cycle.checks.get(unit=finance), by=other_head)
        services.cycle_start_review(cycle=cycle)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("reviews:cycle-close", args=[cycle.pk]))
    assert len(queued) == 8
    for report_id in queued:
        assert report_services.report_build(report_id=report_id) == "done"

    for person in (executive, admin_user):
        unread = Notification.objects.filter(user=person).unread()
        assert sorted(unread.values_list("title", flat=True)) == [
            f"The Q{q} FY2026 review is closed; its reports are ready (PDF and XLSX)"
            for q in (1, 2, 3, 4)
        ]
    response = client.get(reverse("notifications:notification-list"))
    assertContains(response, "4 unread")


def _write_a_little(cycle, target, progress=None) -> None:
    Path(target).write_bytes(b"report")


def test_reports_ready_is_one_webhook_per_endpoint_once_both_are_built(
    org, executive, queued, monkeypatch, settings
):
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.com"]
    endpoint = WebhookEndpointFactory(events=["report.ready"])
    WebhookEndpointFactory(events=["cycle.closed"])  # wants another event
    monkeypatch.setattr(writers, "xlsx_write", _write_a_little)
    monkeypatch.setattr(writers, "pdf_write", _write_a_little)
    services.cycle_close(cycle=org.cycle, by=executive)
    built = report_services.reports_for_closed_cycle(cycle=org.cycle)

    report_services.report_build(report_id=built[0].pk)
    assert not Delivery.objects.filter(kind="report.ready").exists()  # the other one awaited
    report_services.report_build(report_id=built[1].pk)

    [delivery] = Delivery.objects.filter(kind="report.ready")
    assert (delivery.endpoint, delivery.cycle, delivery.step) == (
        endpoint,
        org.cycle,
        f"cycle-{org.cycle.pk}",
    )
    data = delivery.payload["data"]
    assert data["cycle"]["id"] == org.cycle.pk
    assert sorted((r["id"], r["format"], r["state"]) for r in data["reports"]) == sorted(
        (r.pk, str(r.format), "done") for r in built
    )
    assert {r["download_url"] for r in data["reports"]} == {
        f"{settings.SITE_URL}/reviews/reports/{r.pk}/download/" for r in built
    }
    # Told again (a build run twice, say), nothing new is written.
    report_services._notify_ready(org.cycle)
    assert Delivery.objects.filter(kind="report.ready").count() == 1
