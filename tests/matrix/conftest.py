"""One shared world for the authorisation matrix and the form fuzzing.

Two teams: A = Logistics (head hugo-head, member mia-member) and B = Finance (head
fay-finance); an executive; an admin (staff in the Admin group, not a superuser); an outsider
(otto-outsider, logged in but in no team and no role). The strategy
has a published FY2025 and FY2026 and a FY2027 draft; reviews have a closed Q4 FY2025 with a
built XLSX report, a running Q1 FY2026 with a check for both teams, and a planned Q2 FY2026.
Everyone has a personal access token that may write (`tokens`, their secrets in `secrets`).
"""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from api import services as api_services
from notifications.models import Delivery, Digest, Notification
from reports import services as report_services
from reports.models import ReportFile
from reviews import services
from reviews.models import Action, CadenceSettings
from strategy.models import Lever, RefreshDecision
from sustain import board
from sustain.models import SignalSettings
from tests.factories import (
    ChatChannelFactory,
    CommitmentFactory,
    MeasureFactory,
    ObjectiveFactory,
    ReviewCycleFactory,
    WebhookEndpointFactory,
    fill_check,
    make_draft_position,
    make_open_cycle,
    make_published_position,
)

FIXTURES = {
    "outsider": "outsider",
    "member": "member",
    "head_a": "head",
    "head_b": "other_head",
    "executive": "executive",
    "admin": "admin_user",
}


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _webhooks_allowed(settings):
    # The world's webhook endpoint, and the ones the matrix's POSTs register, go here.
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.com"]


@pytest.fixture
def people(request) -> dict:
    """Person name → user (None for the anonymous visitor)."""
    found = {"anonymous": None}
    for person, fixture in FIXTURES.items():
        found[person] = request.getfixturevalue(fixture)
    return found


@pytest.fixture
def world(people, logistics, finance) -> SimpleNamespace:
    executive, head_a, head_b = people["executive"], people["head_a"], people["head_b"]
    last_year = make_published_position(fiscal_year=2025, by=executive, objectives=1)
    current = make_published_position(fiscal_year=2026, by=executive)
    draft = make_draft_position(fiscal_year=2027, owner=executive, objectives=2)
    a, b = current.objectives.order_by("order")
    old_objective = last_year.objectives.get()
    # The annual refresh carried last year's objective over to this year's B, and the draft's
    # second objective continues A, already kept.
    b.previous = old_objective
    b.save()
    carried = draft.objectives.order_by("order").last()
    carried.previous, carried.refresh_decision = a, RefreshDecision.KEPT
    carried.save()

    old_logistics = CommitmentFactory(unit=logistics, objective=old_objective)
    old_finance = CommitmentFactory(unit=finance, objective=old_objective)
    closed = make_open_cycle(last_year, fiscal_year=2025, quarter=4)
    fill_check(closed.checks.get(unit=logistics), by=head_a)
    fill_check(closed.checks.get(unit=finance), by=head_b)
    services.cycle_close(cycle=closed, by=executive)
    report = report_services.report_request(cycle=closed, fmt=ReportFile.Format.XLSX, by=executive)
    assert report_services.report_build(report_id=report.pk) == "done"
    report.refresh_from_db()

    commitments = {
        "logistics A": CommitmentFactory(unit=logistics, objective=a, lever=Lever.PEOPLE),
        "logistics B": CommitmentFactory(unit=logistics, objective=b, lever=Lever.PROCESSES),
        "finance A": CommitmentFactory(unit=finance, objective=a, lever=Lever.COMMUNICATION),
    }
    running = make_open_cycle(current, fiscal_year=2026, quarter=1)
    fill_check(running.checks.get(unit=finance), by=head_b)
    planned = ReviewCycleFactory(position=current, fiscal_year=2026, quarter=2)
    # A measure of A that Logistics reports: its head enters its values.
    measure = MeasureFactory(objective=a, name="On-time delivery", reporting_team=logistics)
    # An objective added after the cycle opened: no check has it yet.
    unscored = ObjectiveFactory(position=current, owner=executive, title="Sell online")

    notifications = {
        person: Notification.objects.create(user=user, title="Your check is open", link="/")
        for person, user in people.items()
        if user is not None
    }
    # Everyone's personal access token, able to write: the API's matrix sends them.
    tokens, secrets = {}, {}
    for person, user in people.items():
        if user is not None:
            tokens[person], secrets[person] = api_services.token_create(
                user=user,
                name="Matrix",
                scope="write",
                expires_at=timezone.now() + timedelta(days=30),
            )
    member = get_user_model().objects.get(pk=people["member"].pk)
    # What the worker stores after these commits: pages read the signal board, never write it.
    board.board_refresh(now=timezone.now())
    return SimpleNamespace(
        people=people,
        logistics=logistics,
        finance=finance,
        last_year=last_year,
        current=current,
        draft=draft,
        a=a,
        b=b,
        draft_objective=draft.objectives.order_by("order").first(),
        carried=carried,
        unscored=unscored,
        old_logistics=old_logistics,
        old_finance=old_finance,
        commitments=commitments,
        measure=measure,
        closed=closed,
        running=running,
        planned=planned,
        logistics_check=running.checks.get(unit=logistics),
        finance_check=running.checks.get(unit=finance),
        report=report,
        action=Action.objects.create(
            cycle=closed,
            title="Hire pickers",
            objective=old_objective,
            owner=logistics,
            due_on=date(2026, 3, 31),
            created_by=executive,
        ),
        delivery=Delivery.objects.create(
            cycle=running,
            recipient=head_a,
            kind=Delivery.Kind.CHECK_OPENED,
            state=Delivery.State.FAILED,
            attempts=5,
            last_error="SMTP down",
        ),
        digest=Digest.objects.create(
            recipient=head_a,
            period_ends_at=timezone.now() - timedelta(hours=1),
            state=Digest.State.FAILED,
            attempts=5,
            last_error="SMTP down",
        ),
        webhook=WebhookEndpointFactory(name="BI feed", url="https://hooks.example.com/in"),
        chat=ChatChannelFactory(
            name="#logistics", unit=logistics, url="https://hooks.example.com/services/T0/B0/x"
        ),
        notifications=notifications,
        tokens=tokens,
        secrets=secrets,
        cadence=CadenceSettings.load(),
        signal_settings=SignalSettings.load(),
        member_uid=urlsafe_base64_encode(force_bytes(member.pk)),
    )
