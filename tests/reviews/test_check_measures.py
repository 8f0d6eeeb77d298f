"""The values of the measures a team reports, entered by its head on the check page.

A value is its own row (MeasureActual), saved through outcomes.measure_actual_record by its own
autosave, apart from the check and its version. A save is checked against the value the page
showed: a value someone else changed since is not overwritten.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from reviews import services
from strategy import outcomes
from strategy.models import Measure, MeasureActual
from tests.factories import MeasureFactory, make_head

pytestmark = pytest.mark.django_db


@pytest.fixture
def returns(objectives, logistics):
    """Logistics reports B's returns each month, lower is better: 12 → 0."""
    return MeasureFactory(
        objective=objectives[1],
        name="Returns",
        unit="orders",
        baseline=Decimal("12"),
        target=Decimal("0"),
        direction=Measure.Direction.LOWER,
        frequency=Measure.Frequency.MONTHLY,
        reporting_team=logistics,
    )


def url(check) -> str:
    return reverse("reviews:check-measures-save", args=[check.pk])


def value_of(measure, number, year=2026):
    actual = MeasureActual.objects.filter(measure=measure, fiscal_year=year, period=number).first()
    return actual.value if actual else None


def test_the_check_page_shows_only_the_measures_the_team_reports_with_their_plan(
    client, head, logistics_check, on_time, returns, objectives, finance
):
    MeasureFactory(objective=objectives[0], name="Cash collected", reporting_team=finance)
    client.force_login(head)

    html = client.get(logistics_check.get_absolute_url()).content.decode()

    assert "Measures we report" in html
    assert "On-time share" in html and "Returns" in html
    assert "Cash collected" not in html
    # A quarterly measure has the review's quarter; a monthly one its three months.
    assert f'name="measure-{on_time.pk}-Q1"' in html
    assert f'name="measure-{on_time.pk}-Q2"' not in html
    for month in ("M1", "M2", "M3"):
        assert f'name="measure-{returns.pk}-{month}"' in html
    assert f'name="measure-{returns.pk}-M4"' not in html
    assert "84.00" in html  # Q1's plan on the straight line 80 → 96


def test_a_head_enters_a_value_and_sees_its_status(client, head, logistics_check, on_time):
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"

    response = client.post(
        url(logistics_check), {name: "80", f"{name}-shown": ""}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Values saved" in html
    assert "Behind plan" in html  # 4 points short of 84, on a planned change of 16: 25%
    actual = MeasureActual.objects.get(measure=on_time, fiscal_year=2026, period=1)
    assert actual.value == Decimal("80.00")
    assert actual.source == MeasureActual.Source.ENTERED
    assert actual.entered_by == head
    # The value the next save is checked against comes back with the answer.
    assert f'id="id_{name}-shown" value="80.00"' in html


def test_a_monthly_measure_shows_last_months_value_and_last_years_for_the_first_month(
    client, head, logistics_check, returns, executive
):
    old = MeasureFactory(
        objective__position__fiscal_year=2025,
        name="Returns",
        frequency=Measure.Frequency.MONTHLY,
        direction=Measure.Direction.LOWER,
    )
    Measure.objects.filter(pk=returns.pk).update(previous=old)
    outcomes.measure_actual_record(
        measure=old, period=outcomes.Period(2025, 12, "monthly"), value="7.5", by=executive
    )
    outcomes.measure_actual_record(
        measure=returns, period=outcomes.Period(2026, 1, "monthly"), value="11", by=executive
    )
    client.force_login(head)

    page = client.get(logistics_check.get_absolute_url()).context
    (row,) = [r for r in page["measures"] if r.measure.pk == returns.pk]

    assert [c.period.number for c in row.cells] == [1, 2, 3]
    assert [c.last for c in row.cells] == [Decimal("7.50"), Decimal("11.00"), None]
    assert [c.stored for c in row.cells] == [Decimal("11.00"), None, None]
    assert [c.planned for c in row.cells] == [Decimal("11.00"), Decimal("10.00"), Decimal("9.00")]
    assert row.cells[0].status == outcomes.OutcomeStatus.ON_PLAN
    assert page["can_enter_measures"] is True


def test_a_value_that_is_not_a_number_gets_a_field_error_and_nothing_is_saved_or_lost(
    client, head, logistics_check, on_time, returns
):
    client.force_login(head)
    bad, good = f"measure-{on_time.pk}-Q1", f"measure-{returns.pk}-M2"
    data = {bad: "ninety", f"{bad}-shown": "", good: "9", f"{good}-shown": ""}

    response = client.post(url(logistics_check), data)

    html = response.content.decode()
    assert response.status_code == 400
    assert "Value “ninety” is not a number." in html
    assert 'value="ninety"' in html and f'name="{good}" id="id_{good}" value="9"' in html
    assert MeasureActual.objects.count() == 0

    answer = client.post(url(logistics_check), data, HTTP_HX_REQUEST="true").content.decode()
    assert "Not saved: see the marked values." in answer
    assert f'id="id_{bad}-feedback"' in answer and "is not a number" in answer
    assert MeasureActual.objects.count() == 0


def test_a_recorded_value_cannot_be_emptied(client, head, logistics_check, on_time, executive):
    outcomes.measure_actual_record(
        measure=on_time, period=outcomes.Period(2026, 1), value="90", by=executive
    )
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"

    response = client.post(url(logistics_check), {name: "", f"{name}-shown": "90.00"})

    assert response.status_code == 400
    assert "enter the corrected value" in response.content.decode()
    assert value_of(on_time, 1) == Decimal("90.00")


def test_saving_the_same_value_twice_keeps_one_history_entry_and_a_correction_keeps_the_old(
    client, head, logistics_check, on_time
):
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"
    for _ in range(2):
        response = client.post(url(logistics_check), {name: "85", f"{name}-shown": ""})
        assert response.status_code == 302
    assert MeasureActual.history.filter(measure_id=on_time.pk).count() == 1

    client.post(url(logistics_check), {name: "86.5", f"{name}-shown": "85.00"})

    assert value_of(on_time, 1) == Decimal("86.50")
    history = MeasureActual.history.filter(measure_id=on_time.pk).order_by("history_date")
    assert [h.value for h in history] == [Decimal("85.00"), Decimal("86.50")]
    assert history.last().history_user == head


def test_a_value_someone_else_changed_since_the_page_was_loaded_is_not_overwritten(
    client, head, logistics, logistics_check, on_time
):
    second = make_head(logistics, username="hana-second-head", first_name="Hana")
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"
    page = client.get(logistics_check.get_absolute_url()).content.decode()
    assert f'id="id_{name}-shown" value=""' in page
    # Meanwhile the other head records the value.
    outcomes.measure_actual_record(
        measure=on_time, period=outcomes.Period(2026, 1), value="90", by=second
    )

    answer = client.post(
        url(logistics_check), {name: "85", f"{name}-shown": ""}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "changed by someone else" in answer and "Hana" in answer and "90.00" in answer
    assert value_of(on_time, 1) == Decimal("90.00")

    response = client.post(url(logistics_check), {name: "85", f"{name}-shown": ""})
    assert response.status_code == 409
    assert 'value="85"' in response.content.decode()  # what the head typed is still there
    assert value_of(on_time, 1) == Decimal("90.00")

    # Entering the value the other recorded is no conflict, and changes nothing.
    assert client.post(url(logistics_check), {name: "90", f"{name}-shown": ""}).status_code == 302
    assert MeasureActual.history.filter(measure_id=on_time.pk).count() == 1


def test_a_measure_value_is_saved_apart_from_the_checks_version(
    client, head, logistics_check, on_time
):
    version = logistics_check.version
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"

    client.post(url(logistics_check), {name: "85", f"{name}-shown": ""}, HTTP_HX_REQUEST="true")

    logistics_check.refresh_from_db()
    assert logistics_check.version == version  # an open score autosave is not made stale
    assert value_of(on_time, 1) == Decimal("85.00")


def test_a_submitted_check_still_takes_its_measures_values_while_the_review_runs(
    client, head, logistics_check, on_time, objectives, score
):
    score(logistics_check, by=head, scores={objectives[0]: 4, objectives[1]: 4})
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"

    html = client.get(logistics_check.get_absolute_url()).content.decode()
    assert f'name="{name}"' in html

    assert client.post(url(logistics_check), {name: "85", f"{name}-shown": ""}).status_code == 302
    assert value_of(on_time, 1) == Decimal("85.00")


def test_a_closed_reviews_check_shows_its_measures_read_only(
    client, head, executive, cycle, logistics_check, on_time
):
    outcomes.measure_actual_record(
        measure=on_time, period=outcomes.Period(2026, 1), value="88", by=head
    )
    services.cycle_close(cycle=cycle, by=executive)
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"

    html = client.get(logistics_check.get_absolute_url()).content.decode()
    assert "On-time share" in html and "88.00" in html
    assert f'name="{name}"' not in html and "Save values" not in html

    response = client.post(url(logistics_check), {name: "70", f"{name}-shown": "88.00"})
    assert response.status_code == 400
    assert "read-only" in response.content.decode()
    assert value_of(on_time, 1) == Decimal("88.00")


def test_an_executive_sees_the_values_and_may_enter_them(
    client, executive, logistics_check, on_time
):
    client.force_login(executive)
    name = f"measure-{on_time.pk}-Q1"

    assert f'name="{name}"' in client.get(logistics_check.get_absolute_url()).content.decode()
    assert client.post(url(logistics_check), {name: "85", f"{name}-shown": ""}).status_code == 302
    assert value_of(on_time, 1) == Decimal("85.00")


# --- A value's comment -----------------------------------------------------------------------


def fields(name, value, shown="", comment=None, comment_shown=""):
    """What the page posts for one value: the value and comment typed, and those it showed."""
    posted = {name: value, f"{name}-shown": shown, f"{name}-comment-shown": comment_shown}
    return posted | ({} if comment is None else {f"{name}-comment": comment})


def comment_of(measure, number, year=2026):
    return MeasureActual.objects.get(measure=measure, fiscal_year=year, period=number).comment


def test_a_head_enters_a_value_with_a_comment_saved_as_they_go(
    client, head, logistics_check, on_time
):
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"
    page = client.get(logistics_check.get_absolute_url()).content.decode()
    assert f'name="{name}-comment"' in page and f'id="id_{name}-comment-shown" value=""' in page

    answer = client.post(
        url(logistics_check),
        fields(name, "80", comment=" Two late trucks "),
        HTTP_HX_REQUEST="true",
    ).content.decode()

    assert "Values saved" in answer
    assert (value_of(on_time, 1), comment_of(on_time, 1)) == (Decimal("80.00"), "Two late trucks")
    # The comment the next save is checked against comes back with the answer.
    assert f'id="id_{name}-comment-shown" value="Two late trucks"' in answer
    page = client.get(logistics_check.get_absolute_url()).content.decode()
    assert f'id="id_{name}-comment" value="Two late trucks"' in page


def test_a_comment_alone_is_corrected_and_the_history_keeps_the_old_one(
    client, head, logistics_check, on_time
):
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"
    client.post(url(logistics_check), fields(name, "85", comment="Snow"))

    response = client.post(
        url(logistics_check),
        fields(name, "85.00", "85.00", comment="Snow, then ice", comment_shown="Snow"),
    )

    assert response.status_code == 302
    assert (value_of(on_time, 1), comment_of(on_time, 1)) == (Decimal("85.00"), "Snow, then ice")
    history = MeasureActual.history.filter(measure_id=on_time.pk).order_by("history_date")
    assert [(h.value, h.comment) for h in history] == [
        (Decimal("85.00"), "Snow"),
        (Decimal("85.00"), "Snow, then ice"),
    ]
    # Clearing the comment shown removes it.
    client.post(url(logistics_check), fields(name, "85.00", "85.00", "", "Snow, then ice"))
    assert comment_of(on_time, 1) == ""


def test_a_value_saved_without_its_comment_keeps_the_stored_comment(
    client, head, executive, logistics_check, on_time
):
    outcomes.measure_actual_record(
        measure=on_time, period=outcomes.Period(2026, 1), value="85", by=executive, comment="Audit"
    )
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"

    # A comment field left as the page showed it, or not posted at all, changes no comment.
    client.post(url(logistics_check), fields(name, "86", "85.00", "Audit", "Audit"))
    assert (value_of(on_time, 1), comment_of(on_time, 1)) == (Decimal("86.00"), "Audit")
    client.post(url(logistics_check), fields(name, "87", "86.00"))
    assert (value_of(on_time, 1), comment_of(on_time, 1)) == (Decimal("87.00"), "Audit")


def test_a_comment_someone_else_changed_since_the_page_was_loaded_is_not_overwritten(
    client, head, executive, logistics_check, on_time
):
    outcomes.measure_actual_record(
        measure=on_time, period=outcomes.Period(2026, 1), value="85", by=head, comment="Snow"
    )
    # Meanwhile an executive corrects the comment.
    outcomes.measure_actual_record(
        measure=on_time, period=outcomes.Period(2026, 1), value="85", by=executive, comment="Ice"
    )
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"

    response = client.post(url(logistics_check), fields(name, "85.00", "85.00", "Hail", "Snow"))

    assert response.status_code == 409
    assert 'value="Hail"' in response.content.decode()  # what the head typed is still there
    assert comment_of(on_time, 1) == "Ice"
    # Typing the comment now stored is no conflict.
    response = client.post(url(logistics_check), fields(name, "85.00", "85.00", "Ice", "Snow"))
    assert response.status_code == 302


def test_a_comment_without_a_value_is_refused_with_the_fields_error(
    client, head, logistics_check, on_time
):
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"

    answer = client.post(
        url(logistics_check), fields(name, "", comment="No data yet"), HTTP_HX_REQUEST="true"
    ).content.decode()

    assert "A comment goes with a value: enter the value." in answer
    assert not MeasureActual.objects.exists()


def test_a_comment_too_long_is_refused_and_nothing_is_saved(client, head, logistics_check, on_time):
    client.force_login(head)
    name = f"measure-{on_time.pk}-Q1"

    response = client.post(url(logistics_check), fields(name, "85", comment="x" * 501))

    assert response.status_code == 400
    assert "A comment has at most 500 characters." in response.content.decode()
    assert not MeasureActual.objects.exists()


def test_a_closed_reviews_check_shows_the_comments_read_only(
    client, head, executive, cycle, logistics_check, on_time
):
    outcomes.measure_actual_record(
        measure=on_time, period=outcomes.Period(2026, 1), value="88", by=head, comment="Snow"
    )
    services.cycle_close(cycle=cycle, by=executive)
    client.force_login(head)

    html = client.get(logistics_check.get_absolute_url()).content.decode()

    assert "Snow" in html
    assert f'name="measure-{on_time.pk}-Q1-comment"' not in html


# --- A review of a year without its own strategy --------------------------------------------


@pytest.fixture
def next_year_check(current_position, commitments, logistics):
    """Q1 FY2027, held against the FY2026 strategy (FY2027 has none published yet)."""
    from tests.factories import make_open_cycle

    cycle = make_open_cycle(current_position, fiscal_year=2027, quarter=1)
    return cycle.checks.get(unit=logistics)


def test_a_review_of_a_year_without_a_strategy_says_why_it_shows_no_measure(
    client, head, executive, next_year_check, on_time, returns
):
    for user in (head, executive):
        client.force_login(user)
        response = client.get(next_year_check.get_absolute_url())

        assert response.status_code == 200
        html = response.content.decode()
        assert "FY2027 has no published strategy yet, so it has no measure to report" in html
        assert "there is no value to enter for Q1 FY2027" in html
        assert "take FY2026 values, on their objective pages: " in html
        assert f'href="/strategy/objectives/{on_time.objective_id}/#measures">On-time share' in (
            html
        )
        assert f'name="measure-{on_time.pk}-Q1"' not in html and "Save values" not in html

    name = f"measure-{on_time.pk}-Q1"
    response = client.post(url(next_year_check), {name: "85", f"{name}-shown": ""})
    assert response.status_code == 400
    assert "These are not values your team reports for this review." in response.content.decode()
    assert not MeasureActual.objects.exists()


def test_a_draft_strategys_measures_are_neither_shown_nor_saved_on_the_check(
    client, head, executive, next_year_check, on_time, logistics
):
    from tests.factories import make_draft_position

    draft = make_draft_position(fiscal_year=2027, owner=executive)
    planned = MeasureFactory(objective=draft.objectives.first(), reporting_team=logistics)
    client.force_login(head)

    html = client.get(next_year_check.get_absolute_url()).content.decode()
    assert f'name="measure-{planned.pk}-Q1"' not in html
    assert "FY2027 has no published strategy yet" in html

    name = f"measure-{planned.pk}-Q1"
    response = client.post(url(next_year_check), {name: "85", f"{name}-shown": ""})
    assert response.status_code == 400
    assert not MeasureActual.objects.exists()


def test_a_team_without_a_measure_in_the_year_or_the_strategy_reviewed_sees_no_section(
    client, head, next_year_check
):
    client.force_login(head)

    html = client.get(next_year_check.get_absolute_url()).content.decode()
    assert "Measures we report" not in html


def test_a_team_with_no_measure_in_the_years_published_strategy_is_told_so(
    client, head, executive, next_year_check, on_time
):
    from strategy import services as strategy_services
    from tests.factories import make_draft_position

    draft = make_draft_position(fiscal_year=2027, owner=executive)
    strategy_services.position_publish(position=draft, by=executive, switch_now=False)
    client.force_login(head)

    html = client.get(next_year_check.get_absolute_url()).content.decode()
    assert "Logistics reports no measure of the FY2027 strategy" in html
    assert "On-time share" in html
