"""Fixtures of the report tests: a filled-in Q1 FY2026 (see support.py), open or closed."""

from types import SimpleNamespace

import pytest

from reports import tasks as report_tasks
from reviews import services
from strategy.models import CompanySettings
from tests.reports.support import COMPANY, Org, build_org


@pytest.fixture(autouse=True)
def _company(db, settings, tmp_path):
    CompanySettings.objects.update_or_create(pk=1, defaults={"name": COMPANY})
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def org(current_position, executive, logistics, finance, head, other_head) -> Org:
    return build_org(
        position=current_position,
        executive=executive,
        logistics=logistics,
        finance=finance,
        head=head,
        other_head=other_head,
    )


@pytest.fixture
def closed_org(org, executive) -> Org:
    assert services.cycle_close(cycle=org.cycle, by=executive)
    org.cycle.refresh_from_db()
    return org


@pytest.fixture
def queued(monkeypatch):
    """The ids passed to tasks.build_report.delay, instead of a broker."""
    ids = []
    monkeypatch.setattr(report_tasks, "build_report", SimpleNamespace(delay=ids.append))
    return ids
