"""What writes webhook events (docs/api.md, "Events"): opening and closing a cycle, submitting
and reopening a check, the board raising a signal; each once per endpoint that wants it. (Reports
ready: tests/reports/test_report_on_close.py.)"""

import pytest
from django.conf import settings
from django.utils import timezone

from notifications.models import Delivery
from reviews import services
from strategy.phrases import Phrase
from sustain import board
from tests.factories import (
    CommitmentFactory,
    ReviewCycleFactory,
    WebhookEndpointFactory,
    fill_check,
    make_open_cycle,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _hooks_allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.com"]


@pytest.fixture
def endpoint(db):
    return WebhookEndpointFactory()


@pytest.fixture
def cycle(current_position, logistics, head):
    CommitmentFactory(unit=logistics, objective=current_position.objectives.first())
    return make_open_cycle(current_position)


def _api(path: str) -> str:
    return f"{settings.SITE_URL}/api/v1/{path}"


def events(kind: str) -> list[Delivery]:
    return list(Delivery.objects.filter(kind=kind).order_by("pk"))


def test_opening_a_cycle_tells_the_endpoints_that_want_it(current_position, endpoint):
    WebhookEndpointFactory(events=["check.submitted"])
    WebhookEndpointFactory(is_active=False)
    cycle = ReviewCycleFactory(position=current_position)

    services.cycle_open(cycle=cycle)
    services.cycle_open(cycle=cycle)  # opening twice is a no-op

    [delivery] = events("cycle.opened")
    assert (delivery.endpoint, delivery.cycle, delivery.step) == (
        endpoint,
        cycle,
        f"cycle-{cycle.pk}",
    )
    body = delivery.payload
    assert body["type"] == "cycle.opened"
    assert body["data"]["cycle"] == {
        "id": cycle.pk,
        "label": cycle.label,
        "state": "open",
        "url": _api(f"cycles/{cycle.pk}/"),
        "results_url": _api(f"cycles/{cycle.pk}/results/"),
        "page_url": settings.SITE_URL + cycle.get_absolute_url(),
    }


def test_submitting_and_reopening_a_check_are_events_each_time(
    cycle, endpoint, head, executive, logistics
):
    check = cycle.checks.get(unit=logistics)

    submitted = fill_check(check, by=head)
    services.check_reopen(check=submitted, by=executive, reason="Evidence missing")
    check.refresh_from_db()
    again = fill_check(check, by=head)

    first, second = events("check.submitted")
    [reopened] = events("check.reopened")
    assert first.step == f"check-{check.pk}-v{submitted.version}"
    assert second.step == f"check-{check.pk}-v{again.version}"
    assert first.payload["id"] != second.payload["id"]
    data = first.payload["data"]
    assert data["check"] == {
        "id": check.pk,
        "state": "submitted",
        "version": submitted.version,
        "url": _api(f"checks/{check.pk}/"),
        "team": {"id": logistics.pk, "name": "Logistics", "url": _api(f"units/{logistics.pk}/")},
    }
    assert data["cycle"]["id"] == cycle.pk
    assert reopened.payload["data"]["check"]["state"] == "draft"
    assert reopened.cycle == cycle


def test_a_draft_save_is_no_event(cycle, endpoint, head, logistics):
    fill_check(cycle.checks.get(unit=logistics), by=head, submit=False)

    assert not Delivery.objects.filter(endpoint=endpoint).exists()


def test_closing_a_cycle_is_an_event_once(cycle, endpoint, executive):
    assert services.cycle_close(cycle=cycle, by=executive)
    assert not services.cycle_close(cycle=cycle, by=executive)

    [delivery] = events("cycle.closed")
    assert delivery.payload["data"]["cycle"]["state"] == "closed"


def test_no_endpoint_no_delivery_and_no_email_is_touched(cycle, head, logistics, executive):
    fill_check(cycle.checks.get(unit=logistics), by=head)
    services.cycle_close(cycle=cycle, by=executive)

    assert not Delivery.objects.webhooks().exists()


# --- Signals raised ---------------------------------------------------------------------------


@pytest.fixture
def raising(monkeypatch):
    """The board as computed, plus the signals put in `extra`."""
    computed = board.board
    extra = []

    def _board(*, now, as_of=None):
        result = computed(now=now, as_of=as_of)
        return {**result, "signals": [*result["signals"], *extra]}

    monkeypatch.setattr(board, "board", _board)
    return extra


def _signal(subject="Logistics", team=None):
    reason = Phrase("Late in 2 of the last 4 reviews.")  # a reason is a phrase
    return board._signal("cadence", "Late again", subject, reason, team=team)


def test_a_signal_new_on_the_board_is_raised_once(db, endpoint, raising, logistics):
    board.board_refresh(now=timezone.now())  # the first board: nothing before it to compare
    assert not events("signal.raised")

    raising.append(_signal(team=logistics.pk))
    board.board_refresh(now=timezone.now())
    board.board_refresh(now=timezone.now())  # still there: not raised again

    [delivery] = events("signal.raised")
    assert delivery.cycle is None
    data = delivery.payload["data"]
    assert data["kind"] == "cadence"
    assert data["reason"] == "Late in 2 of the last 4 reviews."
    assert data["team"] == {"id": logistics.pk, "url": _api(f"units/{logistics.pk}/")}
    assert data["signals_url"] == _api("signals/")


def test_a_signal_gone_and_back_is_raised_again(db, endpoint, raising):
    board.board_refresh(now=timezone.now())
    raising.append(_signal())
    board.board_refresh(now=timezone.now())
    raising.clear()
    board.board_refresh(now=timezone.now())
    raising.append(_signal())
    board.board_refresh(now=timezone.now())

    assert len(events("signal.raised")) == 2


def test_the_first_board_raises_nothing(db, endpoint, raising):
    raising.append(_signal())

    board.board_refresh(now=timezone.now())

    assert not events("signal.raised")
