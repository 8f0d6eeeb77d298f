"""The measured-outcome signals on the board (docs/signals.md, 8): each measure's values read
quarter by quarter from the rows, the teams' fits from the frozen scores, stored with the other
signals, frozen with a closing cycle, and a fixed number of queries."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from strategy import actuals_import, outcomes
from strategy.models import Measure, MeasureActual, MeasurePlanPoint, StrategicPosition
from sustain import board
from sustain.models import StoredBoard
from tests.factories import MeasureFactory, ObjectiveFactory, PositionFactory, UnitFactory
from tests.sustain.support import FY, text

pytestmark = pytest.mark.django_db

KINDS = {"say_do", "roller_outcomes", "promise_risk", "not_measuring"}


def measure(objective, values, *, frequency=Measure.Frequency.QUARTERLY, **fields):
    """A measure of 80 → 96 (plans 84, 88, 92, 96 a quarter) with `values` from the first
    period on: {period: value} or a list (None: no value)."""
    fields = {"baseline": Decimal("80"), "target": Decimal("96"), **fields}
    m = MeasureFactory(objective=objective, frequency=frequency, **fields)
    if isinstance(values, list):
        values = dict(enumerate(values, start=1))
    MeasureActual.objects.bulk_create(
        MeasureActual(measure=m, fiscal_year=FY, period=p, value=Decimal(str(v)))
        for p, v in values.items()
        if v is not None
    )
    return m


def words(response) -> str:
    """A page's text, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def signals(result, kind):
    return [s for s in result["signals"] if s["kind"] == kind]


def four_quarters(org, logistics=4, finance=3):
    """FY2026 Q1-Q4 closed: Logistics fits 75 (the target) on both objectives every quarter,
    Finance 50."""
    return org.quarters({org.logistics: [logistics] * 4, org.finance: [finance] * 4})


def test_a_team_saying_it_is_aligned_while_the_measure_stays_behind_is_a_say_do_gap(org):
    measure(org.a, [84, 82, 83, 84], name="On-time delivery", reporting_team=org.logistics)
    four_quarters(org)

    gaps = signals(org.board(), "say_do")

    assert [(s["subject"], s["team"], s["objective"]) for s in gaps] == [
        ("Logistics", org.logistics.pk, org.a.pk)
    ]
    assert gaps[0]["reason"] == (
        "Logistics on “Deliver on the promised date” says 75, 75, 75; On-time delivery 82%, "
        "83%, 84% against a plan of 88%, 92%, 96%."
    )
    assert gaps[0]["link"] == org.a.get_absolute_url()


def test_a_measure_on_plan_is_no_say_do_gap(org):
    measure(org.a, [84, 88, 92, 96])
    four_quarters(org)

    result = org.board()

    assert signals(result, "say_do") == []
    assert signals(result, "promise_risk") == []


def test_the_say_do_gap_looks_at_the_configured_quarters(org):
    # Behind in Q3 and Q4 only: 2 quarters in a row, not 3.
    measure(org.a, [84, 88, 83, 84])
    four_quarters(org)
    assert signals(org.board(), "say_do") == []

    config = board.SignalSettings.load()
    config.say_do_quarters = 2
    config.save()
    assert [s["team"] for s in signals(org.board(), "say_do")] == [org.logistics.pk]


def test_a_measure_riding_up_and_down_is_a_roller_coaster_outcome(org):
    m = measure(org.b, [84, 92, 83, 93], name="Advice rating", reporting_team=org.finance)
    four_quarters(org)

    (found,) = signals(org.board(), "roller_outcomes")

    assert (found["subject"], found["team"], found["objective"]) == (
        m.name,
        org.finance.pk,
        org.b.pk,
    )
    assert found["reason"] == (
        "Advice rating 84%, 92%, 83%, 93% over the last 4 periods: moves 56% of the planned "
        "change a period on average and changed direction 2 times."
    )


def test_a_promise_whose_measure_is_behind_in_its_latest_quarter_is_at_risk(org):
    measure(org.a, [84, 88, 92, 83], name="On-time delivery")
    four_quarters(org)

    (found,) = signals(org.board(), "promise_risk")

    assert (found["subject"], found["objective"], found["team"]) == (
        org.a.title,
        org.a.pk,
        None,
    )
    assert found["reason"] == (
        "“Deliver on the promised date” promises “Your order arrives on the date we promise.”; "
        "On-time delivery 83% in FY2026 Q4 against a plan of 96% (off track)."
    )


def test_a_measure_without_its_last_value_or_copied_forward_is_not_measuring(org):
    measure(org.a, [84, 88, 92, None], name="On-time delivery", reporting_team=org.logistics)
    measure(org.b, [90, 90, 90, 90], name="Advice rating", baseline=90, target=90)
    # Monthly: read at each quarter's last month; M12 (the year's last) has no value.
    measure(org.b, {3: 84, 6: 88, 9: 92, 11: 95}, name="Calls answered", frequency="monthly")
    four_quarters(org)

    found = {s["subject"]: s for s in signals(org.board(), "not_measuring")}

    assert found["On-time delivery"]["reason"] == "On-time delivery has no value for FY2026 Q4."
    assert found["On-time delivery"]["team"] == org.logistics.pk
    assert found["Advice rating"]["reason"] == (
        "Advice rating reads 90% for 4 periods in a row: is it measured?"
    )
    assert found["Calls answered"]["reason"] == "Calls answered has no value for FY2026 M12."
    assert len(found) == 3


def test_a_measure_set_this_year_is_not_due_before_its_first_quarter_ends(org):
    """FY2026 Q1-Q4 are closed and FY2027 Q1 has not ended: a measure of FY2027 has no value
    due yet, whatever the earlier quarters had."""
    four_quarters(org)
    StrategicPosition.objects.update(is_current=False)
    position = PositionFactory(
        fiscal_year=FY + 1, status=StrategicPosition.Status.PUBLISHED, is_current=True
    )
    measure(ObjectiveFactory(position=position), [], name="On-time delivery")

    assert signals(org.board(), "not_measuring") == []


def test_a_plan_point_replaces_the_straight_line(org):
    m = measure(org.a, [84, 88, 92, 90])
    four_quarters(org)
    assert len(signals(org.board(), "promise_risk")) == 1

    MeasurePlanPoint.objects.create(measure=m, period=4, value=Decimal("90"))
    assert signals(org.board(), "promise_risk") == []


def test_last_years_values_are_read_through_the_refresh(org):
    """FY2027's measure continues FY2026's: FY2026's values, under its own plan, are its past."""
    last_year = measure(org.a, [84, 92, 83, 93], name="On-time delivery")
    four_quarters(org)
    StrategicPosition.objects.update(is_current=False)
    position = PositionFactory(
        fiscal_year=FY + 1, status=StrategicPosition.Status.PUBLISHED, is_current=True
    )
    next_year = ObjectiveFactory(position=position, title="Deliver on the promised date")
    this_year = measure(next_year, [], name="On-time delivery")
    Measure.objects.filter(pk=this_year.pk).update(previous=last_year)

    result = org.board()

    assert any(
        s["kind"] == "roller_outcomes" and s["objective"] == next_year.pk for s in result["signals"]
    )


def test_the_strategy_page_shows_each_promise_backed_inside_beside_kept_outside(
    org, login, executive, member
):
    """A's delivery promise lacks its processes commitment (not backed) and its measure is
    behind plan in Q2 (at risk); B is backed, its measure on plan (kept). The page reads the
    real clock: FY2026's Q1 and Q2 have ended whatever the day."""
    from strategy.models import Commitment, Lever

    Commitment.objects.filter(unit=org.logistics, lever=Lever.PROCESSES).update(
        status=Commitment.Status.DROPPED
    )
    measure(org.a, [84, 82], name="On-time delivery")
    measure(org.b, [84, 88], name="Advice rating")
    board.board_refresh(now=timezone.now())
    page = org.position.get_absolute_url()

    seen = words(login(executive).get(page))
    assert (
        "Promise not backed inside “Deliver on the promised date”: a delivery promise with no "
        "commitment on processes and policies."
    ) in seen
    assert "Promise at risk On-time delivery behind plan in Q2" in seen
    assert "Promise backed inside by the teams' commitments" in seen
    assert "Promise kept outside its measures on plan" in seen

    # Members read the measures, not the signals about the teams' backing.
    seen = words(login(member).get(page))
    assert "Promise at risk On-time delivery behind plan in Q2" in seen
    assert "backed inside" not in seen


def test_a_strategy_the_board_did_not_judge_shows_no_backing(org, login, executive):
    from tests.factories import make_draft_position

    draft = make_draft_position(fiscal_year=FY + 1, owner=executive)
    board.board_refresh(now=timezone.now())

    assert "backed inside" in words(login(executive).get(org.position.get_absolute_url()))
    assert "backed inside" not in words(login(executive).get(draft.get_absolute_url()))


def test_the_stored_board_shows_the_outcome_signals_on_every_page(org, login, executive):
    measure(org.a, [84, 82, 83, 84], name="On-time delivery", reporting_team=org.logistics)
    measure(org.b, [84, 92, 83, None], name="Advice rating", reporting_team=org.logistics)
    four_quarters(org)
    board.board_refresh(now=org.now)  # FY2026 Q4 has ended
    stored = set(board.stored_signals().values_list("kind", flat=True))
    assert KINDS - {"roller_outcomes"} <= stored  # Q4 missing: three values, no ride
    client = login(executive)
    csv = b"".join(client.get(reverse("reports:signals-csv")).streaming_content).decode()
    assert "Say-do gap" in csv and "Not measuring" in csv and "Promise at risk" in csv

    page = text(client.get(reverse("sustain:signals"), {"kind": "say_do"}))
    assert "Say-do gap (1)" in page and "Not measuring (1)" in page
    assert "Promise at risk (" in page
    assert "says 75, 75, 75; On-time delivery 82%" in page
    assert "Advice rating has no value" not in page  # filtered out
    assert "Advice rating has no value for FY2026 Q4." in text(
        client.get(reverse("sustain:signals"), {"kind": "not_measuring"})
    )
    assert "says 75, 75, 75" in text(client.get(org.logistics.get_absolute_url()))
    assert "On-time delivery 84% in FY2026 Q4" in text(client.get(org.a.get_absolute_url()))
    assert "Advice rating has no value" in text(
        login(org.head_of(org.logistics)).get(reverse("home"))
    )


def test_a_closing_cycle_freezes_the_outcome_signals(org):
    measure(org.a, [84, 82, 83, 84], name="On-time delivery")
    cycles = four_quarters(org)

    frozen = cycles[-1].snapshot["signals"]
    # Q1 was on plan: Q3's board had two quarters behind only, Q4's has three in a row.
    assert not [s for s in cycles[-2].snapshot["signals"] if s["kind"] == "say_do"]
    assert [s["team"] for s in frozen if s["kind"] == "say_do"] == [org.logistics.pk]
    assert any(s["kind"] == "promise_risk" for s in frozen)

    # A later correction changes the live board, never the closed quarter's.
    MeasureActual.objects.filter(period=4).update(value=Decimal("96"))
    assert signals(org.board(), "promise_risk") == []
    cycles[-1].refresh_from_db()
    assert cycles[-1].snapshot["signals"] == frozen


# --- Stale marks -----------------------------------------------------------------------------


def _refreshed():
    board.board_refresh(now=timezone.now())
    assert StoredBoard.objects.get().stale_since is None


def _stale() -> bool:
    return StoredBoard.objects.get().stale_since is not None


def test_saving_or_deleting_a_measure_its_plan_or_a_value_marks_the_board_stale(org, executive):
    _refreshed()
    m = MeasureFactory(objective=org.a)
    assert _stale()

    _refreshed()
    actual = outcomes.measure_actual_record(
        measure=m, period=outcomes.Period(FY, 1), value="85", by=executive
    )
    assert _stale()

    _refreshed()
    outcomes.measure_plan_set(measure=m, values={2: "90"}, by=executive)
    assert _stale()

    _refreshed()
    outcomes.measure_plan_set(measure=m, values={2: None}, by=executive)
    assert _stale()

    _refreshed()
    actual.delete()
    assert _stale()

    _refreshed()
    m.delete()
    assert _stale()


def test_importing_values_marks_the_board_stale_and_the_same_file_again_does_not(org, executive):
    m = MeasureFactory(objective=org.a, name="On-time delivery")
    csv = (
        "fiscal_year,objective,measure,period,value,comment\n"
        f"{FY},{org.a.title},On-time delivery,Q1,85,Two late trucks\n"
    ).encode()

    def imported() -> None:
        preview = actuals_import.actuals_import_preview(content=csv, by=executive)
        assert preview.errors == []
        actuals_import.actuals_import_apply(token=preview.token, by=executive)

    _refreshed()
    imported()  # written in bulk: no save signal per row
    assert MeasureActual.objects.get(measure=m).value == Decimal("85")
    assert _stale()

    _refreshed()
    imported()  # nothing changes: nothing to recompute
    assert not _stale()


# --- Queries ---------------------------------------------------------------------------------


def test_the_board_reads_the_measures_in_a_fixed_number_of_queries(org):
    measure(org.a, [84, 82, 83, 84], reporting_team=org.logistics)
    four_quarters(org)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            result = org.board()
        assert signals(result, "say_do")
        return len(queries)

    small = count()
    for i in range(6):
        team = UnitFactory(name=f"Depot {i}")
        m = measure(org.b, [84, 92, 83, 93], reporting_team=team, frequency="monthly")
        MeasurePlanPoint.objects.create(measure=m, period=3, value=Decimal("85"))
        measure(org.a, [90, 90, 90, 90])
    assert count() == small


# --- On a review page's agenda ---------------------------------------------------------------


def _agenda(response) -> str:
    """The review page's agenda section, as text."""
    page = text(response)
    start = page.index('id="agenda-heading"')
    section = page[start : page.index("</section>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", section).split())


def test_a_running_reviews_agenda_lists_the_measured_outcomes_with_an_action_each(
    org, login, executive
):
    from tests.factories import make_open_cycle

    measure(org.a, [84, 82, 83, 84], name="On-time delivery", reporting_team=org.logistics)
    measure(org.b, [84, 92, 83, None], name="Advice rating", reporting_team=org.logistics)
    four_quarters(org)
    board.board_refresh(now=org.now)
    running = make_open_cycle(org.position, fiscal_year=FY + 1, quarter=1)

    response = login(executive).get(running.get_absolute_url())

    agenda = _agenda(response)
    assert "Say-do gaps (measured outcomes)" in agenda
    assert "Logistics on “Deliver on the promised date” says 75, 75, 75; On-time delivery" in (
        agenda
    )
    assert "Promises at risk (measured outcomes)" in agenda
    assert (
        "Measures not measured (measured outcomes) Advice rating has no value for FY2026 Q4."
        in agenda
    )
    html = response.content.decode()
    action = reverse("reviews:action-create", args=[running.pk])
    assert f"{action}?item=Logistics%20on%20" in html
    assert f"&amp;objective={org.a.pk}&amp;owner={org.logistics.pk}" in html


def test_the_agenda_shows_the_first_outcomes_of_a_kind_and_counts_the_rest(org, login, executive):
    from tests.factories import make_open_cycle

    for n in range(board.AGENDA_OUTCOMES_SHOWN + 2):
        measure(org.a, [84, 88, 92, None], name=f"Measure {n}")
    four_quarters(org)
    board.board_refresh(now=org.now)
    running = make_open_cycle(org.position, fiscal_year=FY + 1, quarter=1)

    response = login(executive).get(running.get_absolute_url())

    agenda = _agenda(response)
    shown = [n for n in range(7) if f"Measure {n} has no value" in agenda]
    assert shown == list(range(board.AGENDA_OUTCOMES_SHOWN))
    assert "And 2 more: every one on the Signals page" in agenda
    assert f"{reverse('sustain:signals')}?kind=not_measuring" in response.content.decode()


def test_a_closed_reviews_agenda_keeps_the_outcomes_as_they_stood_at_closing(org, login, executive):
    on_time = measure(org.a, [84, 82, 83, 84], name="On-time delivery")
    q4 = four_quarters(org)[-1]
    client = login(executive)
    assert "says 75, 75, 75; On-time delivery 82%" in _agenda(client.get(q4.get_absolute_url()))

    # The values are corrected since: the live board no longer sees a gap, the review does.
    for number, value in ((2, "88"), (3, "92"), (4, "96")):
        outcomes.measure_actual_record(
            measure=on_time, period=outcomes.Period(FY, number), value=value, by=executive
        )
    board.board_refresh(now=timezone.now())
    assert not board.stored_signals().filter(kind="say_do").exists()

    agenda = _agenda(client.get(q4.get_absolute_url()))
    assert "Say-do gaps (measured outcomes, as they stood at closing)" in agenda
    assert "says 75, 75, 75; On-time delivery 82%" in agenda
    assert "Record an action" not in agenda


def _report_measures(client, cycle) -> str:
    """The Measured outcomes section of a review's report print view, as text."""
    response = client.get(reverse("reports:report-print", args=[cycle.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('<section id="measures">')
    section = page[start : page.index("</section>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", section).split())


def test_the_report_print_view_shows_the_say_do_gaps_as_they_stood_at_closing(
    org, login, executive
):
    on_time = measure(org.a, [84, 82, 83, 84], name="On-time delivery")
    q4 = four_quarters(org)[-1]
    client = login(executive)
    gap = "Logistics on “Deliver on the promised date” says 75, 75, 75; On-time delivery 82%"

    assert "Say-do gaps " + gap in _report_measures(client, q4)

    # Corrected since: the live board no longer sees a gap, the closed review's report does.
    for number, value in ((2, "88"), (3, "92"), (4, "96")):
        outcomes.measure_actual_record(
            measure=on_time, period=outcomes.Period(FY, number), value=value, by=executive
        )
    board.board_refresh(now=timezone.now())
    assert not board.stored_signals().filter(kind="say_do").exists()
    assert "Say-do gaps " + gap in _report_measures(client, q4)


def test_a_running_reviews_print_view_shows_the_say_do_gaps_of_the_stored_board(
    org, login, executive
):
    from tests.factories import make_open_cycle

    measure(org.a, [84, 82, 83, 84], name="On-time delivery", reporting_team=org.logistics)
    four_quarters(org)
    board.board_refresh(now=org.now)
    running = make_open_cycle(org.position, fiscal_year=FY + 1, quarter=1)

    section = _report_measures(login(executive), running)

    assert "Say-do gaps Logistics on “Deliver on the promised date” says 75, 75, 75" in section
    assert "Promises at risk" in section


def test_a_review_closed_before_the_agenda_was_frozen_reads_its_first_signals(
    org, login, executive
):
    """Its snapshot has no outcome_agenda: the agenda is taken from the frozen signals the
    page reads anyway."""
    measure(org.a, [84, 82, 83, 84], name="On-time delivery")
    q4 = four_quarters(org)[-1]
    snapshot = dict(q4.snapshot)
    del snapshot["outcome_agenda"]
    type(q4).objects.filter(pk=q4.pk).update(snapshot=snapshot)

    agenda = _agenda(login(executive).get(q4.get_absolute_url()))
    assert "Say-do gaps (measured outcomes, as they stood at closing)" in agenda


def test_an_internal_measure_behind_plan_puts_no_promise_at_risk(org):
    """Only the measures customers feel judge the promise: an internal cost behind plan keeps
    its own signals (a say-do gap here) and leaves the promise alone."""
    measure(
        org.a,
        [84, 82, 83, 84],
        name="Cost of overtime",
        reporting_team=org.logistics,
        customer_felt=False,
    )
    four_quarters(org)

    result = org.board()

    assert signals(result, "promise_risk") == []
    assert [s["subject"] for s in signals(result, "say_do")] == ["Logistics"]


def test_a_felt_measure_behind_plan_puts_the_promise_at_risk_beside_an_internal_one(org):
    measure(org.a, [84, 88, 92, 83], name="On-time delivery")
    measure(org.a, [84, 88, 92, 70], name="Cost of overtime", customer_felt=False)
    four_quarters(org)

    (found,) = signals(org.board(), "promise_risk")

    assert found["objective"] == org.a.pk
    assert "On-time delivery 83%" in found["reason"]
    assert "Cost of overtime" not in found["reason"]
