"""sustain.board over small organisations whose quarters are closed through the services.

The `org` fixture (conftest.py): objectives A (weight 60) and B (weight 40); Logistics and
Finance both have an item on each. A team giving every lever s has the fit (s − 1) × 25, so
A's and B's scores are the mean of the two teams' fits.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reviews.models import AlignmentCheck
from strategy import services as strategy
from strategy.models import Acknowledgement, Commitment, Lever, Objective, RefreshDecision
from sustain import board
from sustain.models import SignalSettings
from tests.factories import (
    CommitmentFactory,
    ObjectiveFactory,
    PositionFactory,
    UnitFactory,
)
from tests.sustain.support import FY, at, reasons

pytestmark = pytest.mark.django_db


def thresholds(**values) -> SignalSettings:
    config = SignalSettings.load()
    for name, value in values.items():
        setattr(config, name, value)
    config.full_clean()
    config.save()
    return config


# --- 1. Roller-coasters ----------------------------------------------------------------------


def test_a_roller_coaster_team_is_flagged_with_its_scores_in_the_reason(org):
    # Logistics 5, 2, 5, 2 → 100, 25, 100, 25: −75, +75, −75 → mean 75, 2 reversals.
    # Finance 4 every quarter → 75, 75, 75, 75: flat.
    org.quarters({org.logistics: [5, 2, 5, 2], org.finance: [4, 4, 4, 4]})

    result = org.board()

    assert reasons(result, "roller", "Logistics") == [
        "Logistics: 100, 25, 100, 25 over the last 4 quarters: moves 75 points a quarter on "
        "average and changed direction 2 times."
    ]
    assert reasons(result, "roller", "Finance") == []
    (signal,) = [s for s in result["signals"] if s["kind"] == "roller" and s["team"]]
    assert signal["label"] == "Roller-coaster"
    assert signal["team"] == org.logistics.pk
    assert signal["link"] == org.logistics.get_absolute_url()


def test_objectives_scored_by_a_roller_coaster_team_ride_with_it(org):
    # A and B: (100 + 75) / 2 = 87.5, then (25 + 75) / 2 = 50, … → −37.5, +37.5, −37.5 →
    # mean 37.5, 2 reversals; 87.5 and 37.5 print as 88 and 38.
    org.quarters({org.logistics: [5, 2, 5, 2], org.finance: [4, 4, 4, 4]})

    result = org.board()

    assert reasons(result, "roller", org.a.title) == [
        "Deliver on the promised date: 88, 50, 88, 50 over the last 4 quarters: moves 38 points "
        "a quarter on average and changed direction 2 times."
    ]
    (signal,) = [
        s for s in result["signals"] if s["kind"] == "roller" and s["objective"] == org.a.pk
    ]
    assert signal["team"] is None
    assert signal["link"] == org.a.get_absolute_url()


def test_a_steady_climb_is_no_roller_coaster(org):
    # Logistics 1, 2, 3, 4 → 0, 25, 50, 75: +25 each quarter, never reverses.
    org.quarters({org.logistics: [1, 2, 3, 4], org.finance: [4, 4, 4, 4]})

    assert reasons(org.board(), "roller") == []


def test_a_missed_quarter_is_skipped(org):
    # Window 5: Logistics 100, –, 25, 100, 25 → 100, 25, 100, 25 → mean 75, 2 reversals.
    thresholds(window=5)
    org.quarters({org.logistics: [5, None, 2, 5, 2], org.finance: [4, 4, 4, 4, 4]})

    assert reasons(org.board(), "roller", "Logistics") == [
        "Logistics: 100, –, 25, 100, 25 over the last 5 quarters: moves 75 points a quarter on "
        "average and changed direction 2 times."
    ]


def test_two_closed_quarters_are_too_short_to_judge(org):
    org.quarters({org.logistics: [5, 1], org.finance: [1, 5]})

    result = org.board()

    assert result["too_short"]
    assert result["window"] == ["Q1 FY2026", "Q2 FY2026"]
    assert reasons(result, "roller") == []


def test_only_the_window_counts(org):
    # Window 4 of 5 quarters: Logistics' 5, 2, 5, 2 started in Q4 FY2025 with a 1 before it:
    # the last four (5, 2, 5, 2 → 100, 25, 100, 25) are flagged; with a window of 3
    # (25, 100, 25: 1 reversal) they are not.
    org.quarters({org.logistics: [1, 5, 2, 5, 2], org.finance: [4, 4, 4, 4, 4]}, first=(FY - 1, 4))

    assert org.board()["window"] == ["Q1 FY2026", "Q2 FY2026", "Q3 FY2026", "Q4 FY2026"]
    assert reasons(org.board(), "roller", "Logistics")
    thresholds(window=3)
    assert reasons(org.board(), "roller", "Logistics") == []


# --- 2. Streaks ------------------------------------------------------------------------------


def test_streaks_count_the_quarters_at_or_above_target_back_from_the_latest(org):
    # Finance 4 → 75 every quarter: 4 (75 is the target, and reaching it counts).
    # Logistics 5, 5, 2, 5 → 100, 100, 25, 100: 1.
    # A and B: (100 + 75) / 2 = 87.5, 87.5, (25 + 75) / 2 = 50, 87.5: 1.
    org.quarters({org.logistics: [5, 5, 2, 5], org.finance: [4, 4, 4, 4]})

    streaks = org.board()["streaks"]

    assert [(s["subject"], s["quarters"]) for s in streaks] == [
        ("Finance", 4),
        ("Advise every customer", 1),
        ("Deliver on the promised date", 1),
        ("Logistics", 1),
    ]
    assert streaks[0]["team"] == org.finance.pk
    assert streaks[0]["link"] == org.finance.get_absolute_url()


def test_a_missed_quarter_ends_a_streak(org):
    # Finance 75, 75, –, 75 → 1. Logistics 1 → 0 every quarter: no streak, not listed.
    # A and B: (0 + 75) / 2 = 37.5 or, in Q3, Logistics' 0 alone: no streak.
    org.quarters({org.logistics: [1, 1, 1, 1], org.finance: [4, 4, None, 4]})

    assert [(s["subject"], s["quarters"]) for s in org.board()["streaks"]] == [("Finance", 1)]


# --- 3. Complacency --------------------------------------------------------------------------

SAME = "Trained twelve pickers; counted the stock every week."


def test_a_check_repeating_last_quarters_scores_and_evidence_is_flagged(org):
    # Q3 and Q4: both teams write the same evidence; Logistics keeps its 4s, Finance gives
    # funding a 3 in Q4. Q1 and Q2 have each quarter's own evidence.
    finance_q4 = (4, 4, 4, 4, 3, 4)
    org.quarters(
        {org.logistics: [3, 3, 4, 4], org.finance: [3, 3, 4, finance_q4]},
        evidence={q: dict.fromkeys((org.logistics, org.finance), SAME) for q in (2, 3)},
    )

    result = org.board()

    assert reasons(result, "complacency", "Logistics") == [
        "Logistics: the Q4 FY2026 check repeats Q3 FY2026's scores and evidence word for word."
    ]
    assert reasons(result, "complacency", "Finance") == []


def test_the_same_scores_with_new_evidence_are_not_a_repeat(org):
    org.quarters({org.logistics: [4, 4, 4, 4], org.finance: [4, 4, 4, 4]})

    assert reasons(org.board(), "complacency") == []


def test_every_lever_at_five_with_no_commitment_changed_is_flagged(org):
    # Finance: 5 on every lever and funding not applicable (0) in Q4; nothing changed since Q3
    # closed. Logistics: 5 everywhere too, but one of its commitments changed during Q4.
    cycles = org.quarters({org.logistics: [4, 4, 4, 5], org.finance: [4, 4, 4, (5, 5, 5, 5, 0, 5)]})
    Commitment.objects.filter(unit=org.logistics, lever=Lever.PEOPLE).update(
        updated_at=cycles[-1].opened_at
    )

    result = org.board()

    assert reasons(result, "complacency", "Finance") == [
        "Finance: every lever scored 5 in Q4 FY2026, and no commitment changed that quarter."
    ]
    assert reasons(result, "complacency", "Logistics") == []


def test_an_open_commitment_not_updated_for_two_quarters_is_flagged(org):
    org.quarters({org.logistics: [4, 4, 4, 4], org.finance: [4, 4, 4, 4]})
    now = org.now
    # Two quarters are 2 × 91 = 182 days. Logistics: one open commitment untouched for 183
    # days, one done commitment as old (done ones are not stale). Finance: 181 days.
    logistics = Commitment.objects.filter(unit=org.logistics)
    logistics.filter(lever=Lever.INVENTORY).update(updated_at=now - timedelta(days=183))
    logistics.filter(lever=Lever.PROCESSES).update(
        updated_at=now - timedelta(days=183), status=Commitment.Status.DONE
    )
    Commitment.objects.filter(unit=org.finance).update(updated_at=now - timedelta(days=181))

    result = org.board(now=now)

    assert reasons(result, "complacency", "Logistics") == [
        "Logistics: 1 open commitment not updated for 2 quarters or more."
    ]
    assert reasons(result, "complacency", "Finance") == []


def test_a_team_late_or_missing_twice_in_the_last_four_reviews_is_flagged(org):
    # Finance: late in Q2, missed Q4 → 2 of 4. Logistics: late in Q1 only → 1 of 4.
    org.quarters(
        {org.logistics: [4, 4, 4, 4], org.finance: [4, 4, 4, None]},
        late={0: {org.logistics}, 1: {org.finance}},
    )

    result = org.board()

    assert reasons(result, "complacency", "Finance") == [
        "Finance: missed or late in 2 of the last 4 reviews."
    ]
    assert reasons(result, "complacency", "Logistics") == []


def test_the_lateness_signal_looks_at_the_configured_window(org):
    # Window 5: Finance late in the first and the last of five quarters → 2 of 5.
    thresholds(window=5)
    org.quarters(
        {org.logistics: [4] * 5, org.finance: [4] * 5},
        late={0: {org.finance}, 4: {org.finance}},
    )

    assert reasons(org.board(), "complacency", "Finance") == [
        "Finance: missed or late in 2 of the last 5 reviews."
    ]


def test_lateness_is_judged_on_the_local_date_like_the_check_itself(org, settings):
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+12 in April
    thresholds(late_cycles=1)
    cycle = org.quarter(FY, 1, {org.logistics: 4, org.finance: 4})
    # Finance submitted at 20:00 UTC on the due date: 08:00 the next day in Auckland.
    AlignmentCheck.objects.filter(cycle=cycle, unit=org.finance).update(
        submitted_at=at(cycle.due_on, 20)
    )
    check = AlignmentCheck.objects.select_related("cycle").get(cycle=cycle, unit=org.finance)
    assert check.is_late

    assert reasons(org.board(), "complacency", "Finance") == [
        "Finance: missed or late in 1 of the last 1 reviews."
    ]


def _refresh(org, decisions: dict, *, add: bool = False):
    """The annual refresh into FY2027 through the services: objective A's and B's copies get
    `decisions` ({"a": "kept", …}), an objective is added if `add`, then it is published and
    every commitment is carried over."""
    draft = strategy.position_copy_for_refresh(source=org.position, fiscal_year=FY + 1)
    copies = {o.previous_id: o for o in draft.objectives.all()}
    for key, decision in decisions.items():
        strategy.objective_decide(objective=copies[getattr(org, key).pk], decision=decision)
    if add:
        ObjectiveFactory(position=draft, owner=org.executive, title="Plan with our customers")
    position = strategy.position_publish(position=draft, by=org.executive, switch_now=True)
    for commitment in Commitment.objects.filter(objective__position=org.position):
        strategy.commitment_carry_over(
            commitment=commitment, objective=copies[commitment.objective_id]
        )
    return position, copies


def test_a_refresh_that_kept_everything_and_added_nothing_is_flagged(org):
    position, _ = _refresh(org, {"a": RefreshDecision.KEPT, "b": RefreshDecision.KEPT})

    result = board.board(now=timezone.now())

    assert result["position"] == position
    (signal,) = [s for s in result["signals"] if s["subject"] == "Strategy FY2027"]
    assert signal["reason"] == (
        "The annual refresh for FY2027 kept all 2 objectives unchanged and added none."
    )
    assert signal["link"] == position.get_absolute_url()


@pytest.mark.parametrize(
    ("decisions", "add"),
    [
        ({"a": RefreshDecision.KEPT, "b": RefreshDecision.REVISED}, False),
        ({"a": RefreshDecision.KEPT, "b": RefreshDecision.RETIRED}, False),
        ({"a": RefreshDecision.KEPT, "b": RefreshDecision.KEPT}, True),
    ],
    ids=["one revised", "one retired", "one added"],
)
def test_a_refresh_that_changed_something_is_not_flagged(org, decisions, add):
    _refresh(org, decisions, add=add)

    assert reasons(board.board(now=timezone.now()), subject="Strategy FY2027") == []


# --- 4. Funding ------------------------------------------------------------------------------


def test_funding_that_does_not_follow_the_weights_is_flagged_with_the_index(org):
    # Finance moves its money: A (60% of the weight) 1,000 EUR, B (40%) 9,000 EUR.
    # A: 1,000 / 10,000 = 10% < 0.5 × 60 = 30 → flagged; B: 90% ≥ 20.
    # Index: (|10 − 60| + |90 − 40|) / 2 = 50. People and skills: Logistics' one commitment,
    # on B → A 0%, B 100%. A dropped 100,000 EUR counts for nothing; 50,000 USD on A, without
    # a FY2026 rate to EUR, is not counted either, and a signal says so.
    funding = Commitment.objects.filter(unit=org.finance, lever=Lever.FUNDING)
    funding.filter(objective=org.a).update(amount=Decimal("1000"))
    funding.filter(objective=org.b).update(amount=Decimal("9000"))
    CommitmentFactory(
        unit=org.finance,
        objective=org.a,
        lever=Lever.FUNDING,
        amount=Decimal("100000"),
        currency="EUR",
        status=Commitment.Status.DROPPED,
    )
    CommitmentFactory(
        unit=org.finance,
        objective=org.a,
        lever=Lever.FUNDING,
        amount=Decimal("50000"),
        currency="USD",
    )

    result = board.board(now=timezone.now())

    shares = {
        f.title: (f.weight_share, f.funding_share, f.people_share, f.flagged)
        for f in result["funding"]
    }
    assert shares == {
        "Deliver on the promised date": (60, 10, 0, True),
        "Advise every customer": (40, 90, 100, False),
    }
    assert result["misallocation"] == pytest.approx(50)
    assert reasons(result, "funding") == [
        "“Deliver on the promised date” carries 60% of the priority weight but gets 10% of the "
        "committed funding and 0% of the people-and-skills commitments.",
        "1 amount in USD has no rate for FY2026 and is not counted (50,000 USD).",
    ]


def test_money_that_follows_the_weights_is_not_flagged(org):
    # The fixture: 6,000 and 4,000 EUR for weights 60 and 40 → index 0.
    result = board.board(now=timezone.now())

    assert result["misallocation"] == 0
    assert reasons(result, "funding") == []


def test_funding_an_objective_outside_the_current_strategy_is_flagged(org):
    # A retired objective of this year and an objective of last year's strategy, each funded
    # with money still to be spent this year.
    retired = ObjectiveFactory(position=org.position, owner=org.executive, title="Old catalogue")
    last_year = ObjectiveFactory(position=PositionFactory(fiscal_year=FY - 1), title="Kiosks")
    for objective, amount in ((retired, "2500"), (last_year, "700")):
        CommitmentFactory(
            unit=org.finance,
            objective=objective,
            lever=Lever.FUNDING,
            amount=Decimal(amount),
            currency="EUR",
            due_on=date(FY, 3, 31),
        )
    # Done commitments are history, not misallocation.
    CommitmentFactory(
        unit=org.logistics,
        objective=last_year,
        lever=Lever.FUNDING,
        amount=Decimal("900"),
        currency="EUR",
        status=Commitment.Status.DONE,
    )
    retired.retire()

    found = sorted(reasons(board.board(now=timezone.now()), "funding"))

    assert len(found) == 2
    assert found[0] == (
        "Finance: 2,500 EUR committed to “Old catalogue”, which is not an objective of the "
        "FY2026 strategy."
    )
    assert found[1].startswith("Finance: 700 EUR")
    assert "“Kiosks”" in found[1]


def test_funding_of_a_year_that_has_ended_is_not_flagged_against_this_strategy(org):
    # Last year's commitment, due last year and never marked done: history, not misallocation.
    last_year = ObjectiveFactory(position=PositionFactory(fiscal_year=FY - 1), title="Kiosks")
    CommitmentFactory(
        unit=org.finance,
        objective=last_year,
        lever=Lever.FUNDING,
        amount=Decimal("700"),
        currency="EUR",
        due_on=date(FY - 1, 6, 30),
    )

    assert reasons(board.board(now=timezone.now()), "funding") == []


def test_a_retired_teams_funding_is_neither_flagged_nor_counted(org):
    kiosks = UnitFactory(name="Kiosks", code="kiosks")
    retired = ObjectiveFactory(position=org.position, owner=org.executive, title="Old catalogue")
    CommitmentFactory(
        unit=kiosks,
        objective=retired,
        lever=Lever.FUNDING,
        amount=Decimal("2500"),
        currency="EUR",
    )
    retired.retire()
    # All of it on B would make A under-funded, if it counted.
    CommitmentFactory(
        unit=kiosks, objective=org.b, lever=Lever.FUNDING, amount=Decimal("90000"), currency="EUR"
    )
    kiosks.is_active = False
    kiosks.save()

    result = board.board(now=timezone.now())

    assert reasons(result, "funding") == []
    assert result["misallocation"] == 0


# --- 5. Promises -----------------------------------------------------------------------------


def test_promises_not_backed_inside_are_flagged(org):
    # A's delivery promise needs inventory and processes: Logistics drops its processes
    # commitment. B is backed by Logistics' people. C, just added, has no commitment at all.
    Commitment.objects.filter(unit=org.logistics, lever=Lever.PROCESSES).update(
        status=Commitment.Status.DROPPED
    )
    c = ObjectiveFactory(
        position=org.position,
        owner=org.executive,
        title="Fair prices",
        external_promise="Fair prices, no surprises.",
    )

    result = board.board(now=timezone.now())

    promises = {p["subject"]: (p["flagged"], p["reason"]) for p in result["promises"]}
    assert promises == {
        "Deliver on the promised date": (
            True,
            "“Deliver on the promised date”: a delivery promise with no commitment on "
            "processes and policies.",
        ),
        "Advise every customer": (False, "“Advise every customer”: backed."),
        "Fair prices": (True, "“Fair prices”: promised to customers, no team backs it."),
    }
    flagged = [s for s in result["signals"] if s["kind"] == "promise"]
    assert [s["objective"] for s in flagged] == [org.a.pk, c.pk]
    assert flagged[1]["link"] == c.get_absolute_url()


def test_a_promise_whose_teams_score_under_target_names_the_teams_under_it(org):
    # Latest quarter: Logistics 2 → 25 on A and B; Finance 4 → 75. Mean (25 + 75) / 2 = 50,
    # under 75: Logistics is named, Finance (at 75) is not. Q1's scores do not count.
    org.quarters({org.logistics: [5, 2], org.finance: [5, 4]})

    result = org.board()

    assert reasons(result, "promise") == [
        "“Deliver on the promised date”: its teams average 50, under the target of 75 "
        "(Logistics below it).",
        "“Advise every customer”: its teams average 50, under the target of 75 "
        "(Logistics below it).",
    ]


# --- 6. Communicated inside ------------------------------------------------------------------


def test_the_share_of_each_team_that_has_read_the_strategy(org, head, member, other_head):
    # Logistics: its head and a member; the head has read it → 1 of 2 = 50%.
    # Finance: its head read last year's strategy only → 0 of 1 = 0%. HR: nobody, no share.
    Acknowledgement.objects.create(user=head, position=org.position)
    Acknowledgement.objects.create(user=other_head, position=PositionFactory(fiscal_year=FY - 1))
    UnitFactory(name="HR", code="hr")

    rows = board.board(now=timezone.now())["acknowledgement"]

    assert [(r["team"].name, r["read"], r["members"], r["share"]) for r in rows] == [
        ("Finance", 0, 1, 0),
        ("HR", 0, 0, None),
        ("Logistics", 1, 2, 50),
    ]


def test_a_deactivated_member_does_not_count_against_the_teams_share(org, head, member):
    Acknowledgement.objects.create(user=head, position=org.position)
    get_user_model().objects.filter(pk=member.pk).update(is_active=False)

    rows = {r["team"].name: r for r in board.board(now=timezone.now())["acknowledgement"]}

    assert (rows["Logistics"]["read"], rows["Logistics"]["members"]) == (1, 1)


# --- 7. Review cadence -----------------------------------------------------------------------


def test_cadence_kept_for_each_closed_quarter(org):
    # Q1: opened on its date, closed 7 days after the due date, both teams on time.
    # Q2: opened a day late, closed 15 days after the due date (grace 14), Finance late → 50%.
    org.quarter(FY, 1, {org.logistics: 4, org.finance: 4})
    org.quarter(
        FY,
        2,
        {org.logistics: 4, org.finance: 4},
        late={org.finance},
        opened_days_late=1,
        closed_days_after_due=15,
    )

    rows = org.board()["cadence"]

    assert [
        (
            r["cycle"].label,
            r["kept"].opened_on_time,
            r["kept"].closed_on_time,
            r["kept"].submitted_on_time,
        )
        for r in rows
    ] == [("Q1 FY2026", True, True, 100), ("Q2 FY2026", False, False, 50)]


# --- Across years and reviews ----------------------------------------------------------------


def test_an_objective_carried_over_by_the_refresh_continues_its_predecessors_series(org):
    # FY2026 Q2–Q4: Logistics 5, 2, 5; then the refresh into FY2027 keeps A and revises B, and
    # Q1 FY2027 (Logistics 2) scores their copies. Finance 4 throughout.
    # A then A′: 87.5, 50, 87.5, 50 → mean 37.5, 2 reversals, flagged under A′.
    org.quarters({org.logistics: [5, 2, 5], org.finance: [4, 4, 4]}, first=(FY, 2))
    position, copies = _refresh(org, {"a": RefreshDecision.KEPT, "b": RefreshDecision.REVISED})
    org.quarters({org.logistics: [2], org.finance: [4]}, first=(FY + 1, 1), position=position)
    a2 = copies[org.a.pk]

    result = org.board()

    (signal,) = [s for s in result["signals"] if s["kind"] == "roller" and s["objective"] == a2.pk]
    assert signal["link"] == a2.get_absolute_url()
    assert signal["reason"].startswith("Deliver on the promised date: 88, 50, 88, 50 over")
    # B′ was revised: it continues B's series too (revised objectives keep their history).
    b2 = copies[org.b.pk]
    assert reasons(result, "roller", b2.title)
    assert Objective.objects.get(pk=b2.pk).previous_id == org.b.pk


def test_as_of_a_past_review_ignores_the_later_quarters(org):
    # Logistics 5, 2, 5, 2: as of Q3 it is 100, 25, 100 (1 reversal), live it is flagged.
    # Finance 4, 4, 4, 1: a streak of 3 as of Q3, none live (0 in Q4).
    cycles = org.quarters({org.logistics: [5, 2, 5, 2], org.finance: [4, 4, 4, 1]})

    past = org.board(as_of=cycles[2])
    live = org.board()

    assert past["window"] == ["Q1 FY2026", "Q2 FY2026", "Q3 FY2026"]
    assert reasons(past, "roller", "Logistics") == []
    assert reasons(live, "roller", "Logistics")
    assert ("Finance", 3) in [(s["subject"], s["quarters"]) for s in past["streaks"]]
    assert "Finance" not in [s["subject"] for s in live["streaks"]]
    assert org.board(as_of=cycles[1])["too_short"]


def test_the_closing_snapshot_keeps_the_signals_as_they_stood(org):
    cycles = org.quarters({org.logistics: [5, 2, 5, 2], org.finance: [4, 4, 4, 4]})
    q3, q4 = cycles[2], cycles[3]

    def roller(snapshot) -> list[str]:
        return [
            s["reason"]
            for s in snapshot["signals"]
            if s["kind"] == "roller" and s["subject"] == "Logistics"
        ]

    # At Q3's close Logistics was 100, 25, 100 (1 reversal); at Q4's, a roller-coaster.
    assert roller(q3.snapshot) == []
    assert roller(q4.snapshot) == [
        "Logistics: 100, 25, 100, 25 over the last 4 quarters: moves 75 points a quarter on "
        "average and changed direction 2 times."
    ]
    assert {"signals", "streaks", "misallocation"} <= set(q4.snapshot)


def test_the_board_with_no_strategy_and_no_review_is_empty(db):
    result = board.board(now=timezone.now())

    assert result["position"] is None
    assert result["signals"] == []
    assert result["streaks"] == []
    assert result["misallocation"] is None
    assert result["too_short"]


def test_the_board_runs_as_many_queries_for_more_teams_objectives_and_quarters():
    from bench import data

    def count(**size) -> int:
        data.clear()
        built = data.build(**size)
        board.board(now=timezone.now())  # the first run creates the settings row
        with CaptureQueriesContext(connection) as queries:
            board.board(now=timezone.now())
        assert built.cycles
        return len(queries)

    small = count(teams=3, objectives=2, quarters=4)
    large = count(teams=15, objectives=5, quarters=6)

    assert small == large
