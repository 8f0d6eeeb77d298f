"""A closed review's print view is kept in the cache, and never shown stale: a later action,
a report file built since, a change to the strategy or the company, another part, another
language or another reader each get the page as it is now."""

from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench import data
from reports import writers
from reports.models import ReportFile
from reviews.models import Action
from strategy.models import CompanySettings, Profile
from tests.reports.test_print_view import _get as page

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(monkeypatch):
    """How many times the print view's page was computed rather than read from the cache."""
    calls = []
    original = writers.print_data

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(writers, "print_data", counted)
    return calls


def test_a_closed_reviews_print_view_is_computed_once_then_read_from_the_cache(
    login, closed_org, executive, computed
):
    client = login(executive)

    first = page(client, closed_org.cycle)
    second = page(client, closed_org.cycle)

    assert len(computed) == 1
    assert second == first
    assert "Logistics: 48 <span" in second


def test_a_running_reviews_print_view_is_never_cached(login, org, executive, computed):
    client = login(executive)

    page(client, org.cycle)
    page(client, org.cycle)

    assert len(computed) == 2


def test_the_cached_page_says_when_each_request_generated_it(closed_org, computed):
    morning = datetime(2026, 7, 1, 9, 15, tzinfo=UTC)
    evening = datetime(2026, 7, 1, 18, 40, tzinfo=UTC)

    first = writers.print_html(closed_org.cycle, 1, now=morning)
    second = writers.print_html(closed_org.cycle, 1, now=evening)

    assert len(computed) == 1
    assert "Generated 1 July 2026, 09:15" in first
    assert "Generated 1 July 2026, 18:40" in second
    assert writers.GENERATED_MARK not in second
    assert second.replace("18:40", "09:15") == first


def test_an_action_done_after_closing_shows_at_once(login, closed_org, executive, computed):
    client = login(executive)
    hire = closed_org.actions[0]
    assert "Hire two pickers before the summer peak" in page(client, closed_org.cycle)

    Action.objects.filter(pk=hire.pk).update(completed_at=timezone.now())
    later = Action.objects.create(
        cycle=closed_org.cycle,
        kind=Action.Kind.CORRECTIVE,
        title="Raised after closing",
        owner=closed_org.finance,
        due_on=hire.due_on,
        created_by=executive,
    )
    html = page(client, closed_org.cycle)

    assert len(computed) == 2
    assert later.title in html
    Action.objects.filter(pk=later.pk).update(title="Retitled after closing")
    assert "Retitled after closing" in page(client, closed_org.cycle)


def test_a_report_file_built_since_is_linked_at_once(login, closed_org, executive):
    client = login(executive)
    assert "build it on the review page" in page(client, closed_org.cycle)

    report = ReportFile.objects.create(
        cycle=closed_org.cycle,
        format=ReportFile.Format.XLSX,
        state=ReportFile.State.DONE,
        progress=100,
        requested_by=executive,
        finished_at=timezone.now(),
    )
    report.file.save("built.xlsx", ContentFile(b"built"))
    html = page(client, closed_org.cycle)

    assert f'href="{reverse("reports:report-download", args=[report.pk])}"' in html


def test_a_change_to_the_company_shows_at_once(login, closed_org, executive):
    client = login(executive)
    page(client, closed_org.cycle)

    company = CompanySettings.load()
    company.name = "Renamed Company Ltd"
    company.save()

    assert "Renamed Company Ltd" in page(client, closed_org.cycle)


def test_each_part_and_each_language_has_its_own_page(login, closed_org, executive, monkeypatch):
    monkeypatch.setattr(writers, "TEAMS_PER_SCREEN", 1)
    client = login(executive)
    first, second = page(client, closed_org.cycle, 1), page(client, closed_org.cycle, 2)
    assert first != second
    assert 'id="part-2"' in second and 'id="part-2"' not in first

    Profile.objects.update_or_create(user=executive, defaults={"language": "fr"})
    client.force_login(executive)
    french = page(client, closed_org.cycle, 1)

    assert 'lang="fr"' in french
    assert "Généré le" in french
    assert "Generated" not in french


def test_a_reader_without_the_permission_is_refused_a_cached_page(
    login, closed_org, executive, head
):
    page(login(executive), closed_org.cycle)

    response = login(head).get(reverse("reports:report-print", args=[closed_org.cycle.pk]))

    assert response.status_code == 403


def test_a_closed_reviews_print_view_runs_as_many_queries_when_computed_for_many_teams_as_for_few(
    client, monkeypatch
):
    """Counted with the page missing from the cache each time (the other requests read it)."""
    cache = writers.django_cache

    class Missing:
        """The cache, without the print view's pages."""

        def get(self, key):
            return None if key.startswith("print-view:") else cache.get(key)

        def set(self, *args):
            cache.set(*args)

    monkeypatch.setattr(writers, "django_cache", Missing())

    def counted(dataset) -> int:
        client.force_login(dataset.executive)
        page(client, dataset.cycles[-2])  # the first request after logging in saves the session
        with CaptureQueriesContext(connection) as queries:
            page(client, dataset.cycles[-2])
        return len(queries)

    small = counted(data.build(teams=3, objectives=3, quarters=3))
    data.clear()
    large = counted(data.build(teams=45, objectives=6, quarters=3))

    assert large == small <= 15
