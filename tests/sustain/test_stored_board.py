"""The stored signal board (docs/signals.md, "When the board is computed"): what pages read is
what sustain.board computes; a commit to its inputs marks it stale and a task rebuilds it after
the commit; beat rebuilds it daily; pages never compute it, except once when none is stored."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from strategy.models import Commitment, Lever, Unit
from sustain import board
from sustain import tasks as sustain_tasks
from sustain.models import SignalSettings, StoredBoard
from tests.factories import CommitmentFactory, UnitFactory
from tests.sustain.support import text

pytestmark = pytest.mark.django_db

LOGISTICS = "Logistics: 100, 25, 100, 25 over the last 4 quarters"
FINANCE = "Finance: missed or late in 2 of the last 4 reviews."
UNCONVERTED = "1 amount in USD has no rate for FY2026 and is not counted (250 USD)."
STALE = "open commitment not updated for 2 quarters or more."
GONE_STALE = "not updated for 2 quarters or more."


@pytest.fixture
def quarters(org):
    cycles = org.quarters(
        {org.logistics: [5, 2, 5, 2], org.finance: [4, 4, 4, 4]},
        late={1: {org.finance}, 3: {org.finance}},
    )
    # An amount in a currency without a rate: a funding signal, and a table note.
    CommitmentFactory(
        unit=org.finance,
        objective=org.a,
        lever=Lever.FUNDING,
        amount=Decimal("250"),
        currency="USD",
    )
    org.settle(timezone.now())  # the pages read the real clock: no commitment is stale
    return cycles


def _never_computed(**kwargs):
    raise AssertionError("a page computed the board instead of reading the stored one")


def _reasons() -> list[str]:
    return list(board.stored_signals().values_list("reason", flat=True))


# --- What is stored --------------------------------------------------------------------------


def test_the_stored_board_is_what_the_board_computes(quarters):
    now = timezone.now()
    computed = board.board(now=now)
    assert {"roller", "complacency", "funding", "promise"} <= {
        s["kind"] for s in computed["signals"]
    }

    assert board.board_refresh(now=now) == len(computed["signals"])

    stored = board.stored_board(now=now, summary=True)
    assert list(board.stored_signals()) == computed["signals"]
    assert (stored.computed_at, stored.is_stale) == (now, False)
    assert stored.signal_count == len(computed["signals"])
    assert stored.top_streaks == computed["streaks"][:5]
    summary = stored.summary
    assert summary["window"] == computed["window"]
    assert summary["streaks"] == computed["streaks"]
    assert summary["misallocation"] == computed["misallocation"]
    assert summary["promises"] == computed["promises"]
    assert summary["target_score"] == computed["config"].target_score
    assert [
        (f["title"], f["weight_share"], f["funding_share"], Decimal(f["amount"]), f["flagged"])
        for f in summary["funding"]
    ] == [
        (f.title, f.weight_share, f.funding_share, f.amount, f.flagged) for f in computed["funding"]
    ]
    assert [m["reason"] for m in summary["funding_currency"]["unconverted"]] == [UNCONVERTED]
    assert [
        (a["name"], a["read"], a["members"], a["share"]) for a in summary["acknowledgement"]
    ] == [
        (a["team"].name, a["read"], a["members"], a["share"]) for a in computed["acknowledgement"]
    ]
    assert [
        (c["label"], c["opened_on_time"], c["closed_on_time"], c["submitted_on_time"])
        for c in summary["cadence"]
    ] == [
        (
            c["cycle"].label,
            c["kept"].opened_on_time,
            c["kept"].closed_on_time,
            c["kept"].submitted_on_time,
        )
        for c in computed["cadence"]
    ]


def test_a_closed_cycle_keeps_its_own_frozen_board(quarters, org):
    board.board_refresh(now=timezone.now())

    # The USD amount came after the last close: the live board has it, Q4's frozen one not.
    assert UNCONVERTED in _reasons()
    assert UNCONVERTED not in [s["reason"] for s in org.cycles[-1].snapshot["signals"]]


# --- Stale, then rebuilt -------------------------------------------------------------------


def test_saving_a_commitment_marks_the_board_stale_and_the_task_rebuilds_it(
    quarters, org, board_worker
):
    board.board_refresh(now=timezone.now())
    assert UNCONVERTED in _reasons()

    with board_worker() as queued:
        usd = Commitment.objects.get(currency="USD")
        usd.status = Commitment.Status.DROPPED
        usd.save()
        CommitmentFactory(unit=org.logistics, objective=org.b, lever=Lever.PEOPLE)
        # Until the commit, pages show the last board and say that it is being updated.
        assert board.stored_board(now=timezone.now()).is_stale
        assert UNCONVERTED in _reasons()

    assert len(queued) == 1  # one refresh for the commit, however many rows it wrote
    stored = board.stored_board(now=timezone.now())
    assert not stored.is_stale
    assert UNCONVERTED not in _reasons()


def test_the_refresh_after_a_commit_does_nothing_when_another_run_already_did_it(quarters):
    board.board_refresh(now=timezone.now())
    config = SignalSettings.load()
    config.late_cycles = 3
    config.save()
    assert board.stored_board(now=timezone.now()).is_stale

    assert sustain_tasks.refresh_stale_board() is not None
    assert sustain_tasks.refresh_stale_board() is None  # safe to run twice
    assert FINANCE not in _reasons()


def test_a_refresh_never_stores_an_older_board_over_a_newer_one(quarters, monkeypatch):
    board.board_refresh(now=timezone.now())
    computed_at = StoredBoard.objects.get().computed_at
    real_board = board.board

    def overtaken(**kwargs):
        result = real_board(**kwargs)
        # Meanwhile a run that started later claimed the next generation and stored it.
        StoredBoard.objects.update(generation=F("generation") + 1)
        StoredBoard.objects.update(stored_generation=F("generation"))
        return result

    monkeypatch.setattr(board, "board", overtaken)

    assert board.board_refresh(now=timezone.now() + timedelta(hours=1)) is None
    assert StoredBoard.objects.get().computed_at == computed_at


def test_logging_in_does_not_mark_the_board_stale(quarters, client, executive):
    board.board_refresh(now=timezone.now())

    client.force_login(executive)  # saves the user's last_login

    assert not board.stored_board(now=timezone.now()).is_stale


def test_the_daily_refresh_finds_commitments_gone_stale_without_any_save(quarters):
    now = timezone.now()
    board.board_refresh(now=now)
    assert not any(GONE_STALE in r for r in _reasons())

    with time_machine.travel(now + timedelta(days=200), tick=False):
        assert sustain_tasks.refresh_stale_board() is None  # nothing was saved
        assert sustain_tasks.refresh_board() is not None

    assert "Logistics: 3 open commitments " + GONE_STALE in _reasons()
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-signal-board"]
    assert entry["task"] == "reviews.tasks.refresh_board"


# --- Pages read it -------------------------------------------------------------------------


def test_a_heads_home_shows_their_teams_signals_from_the_stored_board(
    quarters, login, head, other_head, monkeypatch
):
    board.board_refresh(now=timezone.now())
    monkeypatch.setattr(board, "board", _never_computed)

    logistics = text(login(head).get(reverse("home")))
    finance = text(login(other_head).get(reverse("home")))

    assert LOGISTICS in logistics
    assert FINANCE not in logistics
    assert FINANCE in finance
    assert LOGISTICS not in finance


def test_while_the_board_is_stale_pages_show_the_last_one_and_its_time(
    quarters, login, executive, head, org, monkeypatch
):
    board.board_refresh(now=timezone.now())
    config = SignalSettings.load()
    config.late_cycles = 3
    config.save()  # no worker here: the board stays stale
    monkeypatch.setattr(board, "board", _never_computed)

    signals = text(login(executive).get(reverse("sustain:signals")))
    team = text(login(head).get(org.logistics.get_absolute_url()))

    assert FINANCE in signals
    assert "recent changes are being counted" in signals
    assert "Signals as of" in signals
    assert LOGISTICS in team
    assert "recent changes are being counted" in team


def test_the_first_view_computes_and_stores_the_board_once(quarters, login, executive, monkeypatch):
    assert not StoredBoard.objects.exists()
    calls = []
    real_board = board.board
    monkeypatch.setattr(board, "board", lambda **kw: calls.append(kw) or real_board(**kw))
    client = login(executive)

    first = text(client.get(reverse("sustain:signals")))
    second = text(client.get(reverse("home")))

    assert len(calls) == 1
    assert FINANCE in first
    assert "recent changes are being counted" not in first + second


@pytest.fixture
def regions(current_position):
    """30 teams with one stale commitment each: 10 in the North region, 20 in the South."""
    company = UnitFactory(name="Acme", code="acme", level=Unit.Level.BUSINESS, kind="company")
    north, south = (
        UnitFactory(
            name=n, code=n.lower(), level=Unit.Level.BUSINESS, kind="region", parent=company
        )
        for n in ("North", "South")
    )
    objective = current_position.objectives.first()
    for i in range(30):
        team = UnitFactory(name=f"Depot {i:02d}", parent=north if i < 10 else south)
        CommitmentFactory(unit=team, objective=objective)
    Commitment.objects.update(updated_at=timezone.now() - timedelta(days=365))
    board.board_refresh(now=timezone.now())
    return north, south


def _listed(page: str) -> list[str]:
    """The reasons in the list of flagged signals (the promises table is listed apart)."""
    return [line for line in page.splitlines() if '<li class="mb-2"><span class="badge' in line]


def test_the_signals_page_shows_a_page_of_signals_at_a_time(regions, login, executive):
    total = StoredBoard.objects.get().signal_count
    assert total > 30  # the 30 stale teams and the promises no team backs
    client = login(executive)

    first = text(client.get(reverse("sustain:signals")))
    second = text(client.get(reverse("sustain:signals"), {"page": 2}))

    assert len(_listed(first)) == 25
    assert f"Showing 1–25 of {total}" in first
    assert "Page 1 of 2" in first
    assert len(_listed(second)) == total - 25
    assert f"Showing 26–{total} of {total}" in second


def test_the_signals_page_filters_by_region_and_kind_and_counts_what_it_hides(
    regions, login, executive
):
    north, _ = regions
    total = StoredBoard.objects.get().signal_count
    client = login(executive)

    page = text(client.get(reverse("sustain:signals"), {"region": north.pk}))
    promises = text(client.get(reverse("sustain:signals"), {"kind": "promise"}))
    complacency = text(client.get(reverse("sustain:signals"), {"kind": "complacency"}))

    assert len(_listed(page)) == 10
    assert all(f"Depot {i:02d}: 1 {STALE}" in page for i in range(10))
    assert f"{total - 10} more hidden by the filter" in page
    assert "Communicated inside: North" in page
    assert "North (10)" in page and "South (20)" in page
    assert len(_listed(promises)) == total - 30
    assert "30 more hidden by the filter" in promises
    assert "Funding (" not in page  # no funding signal: not offered
    assert len(_listed(complacency)) == 25
    assert "Showing 1–25 of 30" in complacency
    assert "Complacency (30)" in complacency


def test_a_region_that_does_not_exist_is_refused_on_the_filter(regions, login, executive):
    page = text(login(executive).get(reverse("sustain:signals"), {"region": 999999}))

    assert "Select a valid choice" in page
    assert len(_listed(page)) == 25  # the unfiltered list, not an empty one


def test_the_csv_holds_every_signal_streak_and_teams_reading(regions, login, executive):
    response = login(executive).get(reverse("reports:signals-csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == board.CSV_COLUMNS
    flagged = [r for r in rows if r[0] == "Flagged"]
    reading = [r for r in rows if r[0] == "Communicated inside"]
    assert len(flagged) == StoredBoard.objects.get().signal_count
    assert sorted(r[4] for r in flagged if STALE in r[3]) == ["North"] * 10 + ["South"] * 20
    assert len(reading) == 30
