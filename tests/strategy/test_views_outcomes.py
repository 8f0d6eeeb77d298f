"""Measured outcomes on the strategy pages: the objective form's measures, the values beside
the plan with their status, the entry form, the team page, promises at risk, the company's
thresholds and the CSV of measures due."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from strategy import actuals_import, outcomes
from strategy.forms import MeasureForm
from strategy.models import (
    CompanySettings,
    Measure,
    MeasureActual,
    MeasurePlanPoint,
    fiscal_year_of,
)
from strategy.templatetags.outcome_tags import measure_chart_svg
from tests.factories import (
    MeasureFactory,
    UnitFactory,
    company_data,
    make_draft_position,
    make_published_position,
    measure_row,
    objective_data,
    objective_edit_data,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_year(executive):
    """The fiscal year before today's, published and current: all its periods are due, so
    what the pages show does not depend on the day the tests run."""
    return make_published_position(
        fiscal_year=fiscal_year_of(timezone.localdate()) - 1, by=executive
    )


@pytest.fixture
def measure(last_year, logistics):
    """80 → 96 quarterly (plan 84, 88, 92, 96), reported by Logistics."""
    objective = last_year.objectives.first()
    return MeasureFactory(
        objective=objective,
        name="On-time delivery",
        baseline=D("80"),
        target=D("96"),
        reporting_team=logistics,
    )


def record(measure, number, value, by):
    year = measure.objective.position.fiscal_year
    return outcomes.measure_actual_record(
        measure=measure, period=outcomes.Period(year, number, measure.frequency), value=value, by=by
    )


def entry(measure, period="Q1", value="85", comment="", next_url=""):
    prefix = f"measure-{measure.pk}"
    data = {f"{prefix}-period": period, f"{prefix}-value": value, f"{prefix}-comment": comment}
    return data | ({"next": next_url} if next_url else {})


# --- The objective form ----------------------------------------------------------------------


def test_the_objective_form_saves_direction_team_frequency_and_a_plan_per_period(
    login, executive, draft_position, logistics
):
    row = measure_row(
        "Days late",
        "days",
        "10",
        "2",
        direction="lower",
        reporting_team=logistics,
        frequency="quarterly",
        plan={4: "3.5"},
    )
    data = objective_data(owner=executive, title="Deliver on time", measures=[row])
    url = reverse("strategy:objective-create", args=[draft_position.fiscal_year])

    response = login(executive).post(url, data)

    assert response.status_code == 302
    measure = Measure.objects.get(name="Days late")
    assert (measure.direction, measure.reporting_team, measure.frequency) == (
        "lower",
        logistics,
        "quarterly",
    )
    assert outcomes.measure_plan(measure) == {1: D("8"), 2: D("6"), 3: D("4"), 4: D("3.5")}


def test_the_objective_form_lays_each_measure_out_in_a_fieldset_with_every_field_labelled(
    login, executive, draft_position
):
    objective = draft_position.objectives.first()
    measure = MeasureFactory(objective=objective, name="Days late")
    MeasurePlanPoint.objects.create(measure=measure, period=2, value=D("85"))

    response = login(executive).get(reverse("strategy:objective-edit", args=[objective.pk]))

    html = response.content.decode()
    assert "<table" not in html.split('id="measures-help"')[1]
    formset = response.context["measures"]
    assert len(formset.forms) == 3  # the measure and two blank ones
    for n, form in enumerate(formset.forms):
        for field in form.visible_fields():
            assert f'for="id_measures-{n}-{field.name}"' in html, field.name
        groups = form.field_groups()
        placed = [
            f.name for key in ("what", "how", "plan_quarters", "plan_months") for f in groups[key]
        ]
        assert sorted(placed) == sorted(f.name for f in form.visible_fields())
    assert "<legend" in html and "Days late</legend>" in html
    # The measure with a planned period shows its plan; a blank one folds it.
    assert html.count('<details class="mb-2" open>') == 1
    assert html.count("Plan per period: the straight line from baseline to target") == 2


def test_clearing_a_planned_period_returns_it_to_the_straight_line(
    login, executive, draft_position
):
    objective = draft_position.objectives.first()
    measure = MeasureFactory(objective=objective, baseline=D("80"), target=D("96"))
    MeasurePlanPoint.objects.create(measure=measure, period=2, value=D("85"))
    data = objective_edit_data(objective)
    assert data["measures-0-plan_2"] == "85.00"
    data["measures-0-plan_2"] = ""

    response = login(executive).post(reverse("strategy:objective-edit", args=[objective.pk]), data)

    assert response.status_code == 302
    assert not measure.plan_points.exists()
    assert outcomes.measure_plan(measure)[2] == D("88")


def test_a_plan_for_a_period_the_frequency_does_not_have_is_refused(
    login, executive, draft_position
):
    row = measure_row("Orders", "orders", "0", "100", plan={7: "50"})
    data = objective_data(owner=executive, measures=[row])
    url = reverse("strategy:objective-create", args=[draft_position.fiscal_year])

    response = login(executive).post(url, data)

    assertContains(response, "A quarterly measure has 4 periods, not 7.")
    assert not Measure.objects.filter(name="Orders").exists()


def test_the_frequency_of_a_measure_with_values_cannot_change(login, executive):
    draft = make_draft_position(fiscal_year=2031, owner=executive)
    objective = draft.objectives.first()
    measure = MeasureFactory(objective=objective)
    MeasureActual.objects.create(measure=measure, fiscal_year=2031, period=1, value=D("81"))
    data = objective_edit_data(objective)
    data["measures-0-frequency"] = "monthly"

    response = login(executive).post(reverse("strategy:objective-edit", args=[objective.pk]), data)

    assertContains(response, "its frequency cannot change")
    measure.refresh_from_db()
    assert measure.frequency == Measure.Frequency.QUARTERLY


def test_the_reporting_team_is_one_of_the_active_functional_teams(executive, logistics):

    closed = UnitFactory(name="Closed depot", is_active=False)
    region = UnitFactory(name="North", level="business", kind="region")
    teams = set(MeasureForm().fields["reporting_team"].queryset)
    assert logistics in teams
    assert closed not in teams and region not in teams


# --- The objective page ----------------------------------------------------------------------


def test_the_objective_page_shows_values_beside_the_plan_with_status_and_chart(
    login, member, measure, head
):
    record(measure, 1, "84", head)
    record(measure, 2, "83", head)  # plan 88: 5 short of a planned change of 16, 31%

    response = login(member).get(measure.objective.get_absolute_url())

    assertContains(response, "<td>84.00</td>", html=True)
    assertContains(response, "<td>88.00</td>", html=True)
    assertContains(response, "Behind plan")
    assertContains(response, "Stale: no value for Q4")
    assertContains(response, "<svg", count=1)
    assertContains(response, "stroke-dasharray")  # the planned path
    assertContains(response, reverse("strategy:measure-history", args=[measure.pk]))
    # A member reads the values but does not enter them, nor imports.
    assertNotContains(response, "Record value")
    assertNotContains(response, reverse("strategy:measure-actuals-import"))


def test_the_head_who_reports_a_measure_gets_the_entry_form_and_the_import_link(
    login, measure, head, other_head
):
    page = measure.objective.get_absolute_url()
    response = login(head).get(page)
    assertContains(response, "Record value")
    assertContains(response, reverse("strategy:measure-actuals-import"))
    assertContains(response, reverse("strategy:measure-actuals-template"))
    assertNotContains(login(other_head).get(page), "Record value")


def test_the_chart_describes_the_values_in_words():
    measure = Measure(
        name="Defects", unit="%", baseline=D("4"), target=D("2"), frequency="quarterly"
    )
    points = [
        outcomes.SeriesPoint(outcomes.Period(2026, n), actual, plan, 1)
        for n, actual, plan in [(1, D("3.8"), D("3.5")), (2, None, D("3"))]
    ]
    outcome = outcomes.MeasureOutcome(measure, points, points, None, points[0], None, False)
    svg = measure_chart_svg(outcome, 7)
    assert "FY2026 Q1: 3.8 (plan 3.5)" in svg
    assert 'aria-labelledby="measure-7-title measure-7-desc"' in svg
    assert "style=" not in svg and "<script" not in svg


# --- Entering a value ------------------------------------------------------------------------


def test_the_reporting_head_records_a_value_and_returns_to_the_page(login, measure, head):
    url = reverse("strategy:measure-actual-record", args=[measure.pk])
    page = measure.objective.get_absolute_url()

    response = login(head).post(url, entry(measure, "Q2", "87.5", "Two late trucks", page))

    assert response.status_code == 302 and response.url == page
    actual = MeasureActual.objects.get(measure=measure)
    assert (actual.period, actual.value, actual.comment) == (2, D("87.5"), "Two late trucks")
    assert actual.entered_by == head


def test_a_correction_keeps_the_old_value_in_the_history(login, measure, head):
    client = login(head)
    url = reverse("strategy:measure-actual-record", args=[measure.pk])
    client.post(url, entry(measure, "Q1", "85"))
    client.post(url, entry(measure, "Q1", "86"))

    assert MeasureActual.objects.get(measure=measure).value == D("86")
    assert MeasureActual.history.filter(measure_id=measure.pk).count() == 2
    history = client.get(reverse("strategy:measure-history", args=[measure.pk]))
    assertContains(history, "85.00")
    assertContains(history, "86.00")


def test_a_period_with_a_value_comes_with_its_value_and_comment_to_correct(
    login, measure, executive
):
    """Every period of last year is due: the form opens on Q4, and each period's option
    carries what was recorded for it (js/measure-value.js fills the form with it)."""
    record(measure, 4, "93", executive)
    outcomes.measure_actual_record(
        measure=measure,
        period=outcomes.Period(measure.objective.position.fiscal_year, 2, measure.frequency),
        value="87",
        by=executive,
        comment="Two late trucks",
    )

    response = login(executive).get(measure.objective.get_absolute_url())

    form = response.context["outcomes"][0].form
    prefix = f"measure-{measure.pk}"
    assert (form["period"].value(), form["value"].value(), form["comment_for"].value()) == (
        "Q4",
        "93.00",
        "Q4",
    )
    assertContains(response, 'data-value="87.00" data-comment="Two late trucks"')
    assertContains(response, f'name="{prefix}-comment_for" value="Q4"')
    assertContains(response, "js/measure-value.js")


def test_a_comment_cleared_where_it_was_shown_is_removed_and_kept_in_the_history(
    login, measure, executive
):
    client = login(executive)
    url = reverse("strategy:measure-actual-record", args=[measure.pk])
    client.post(url, entry(measure, "Q1", "85", "Strike at the depot"))
    prefix = f"measure-{measure.pk}"

    client.post(url, entry(measure, "Q1", "86", "") | {f"{prefix}-comment_for": "Q1"})

    actual = MeasureActual.objects.get(measure=measure)
    assert (actual.value, actual.comment) == (D("86"), "")
    old = actual.history.order_by("history_date").first()
    assert (old.value, old.comment) == (D("85"), "Strike at the depot")


def test_an_empty_comment_for_a_period_whose_comment_was_not_shown_keeps_it(
    login, measure, executive
):
    """The form showed Q4's comment (or none, before a script filled it): Q1's stays."""
    client = login(executive)
    url = reverse("strategy:measure-actual-record", args=[measure.pk])
    client.post(url, entry(measure, "Q1", "85", "Strike at the depot"))
    prefix = f"measure-{measure.pk}"

    client.post(url, entry(measure, "Q1", "86", "") | {f"{prefix}-comment_for": "Q4"})
    assert MeasureActual.objects.get(measure=measure).comment == "Strike at the depot"
    client.post(url, entry(measure, "Q1", "87", ""))
    assert MeasureActual.objects.get(measure=measure).comment == "Strike at the depot"
    client.post(url, entry(measure, "Q1", "88", "Depot reopened"))
    actual = MeasureActual.objects.get(measure=measure)
    assert (actual.value, actual.comment) == (D("88"), "Depot reopened")


def test_a_value_that_is_not_a_number_is_refused_with_a_message(login, measure, head):
    url = reverse("strategy:measure-actual-record", args=[measure.pk])
    response = login(head).post(url, entry(measure, "Q1", "85,5"), follow=True)

    assertContains(response, "Nothing was recorded for “On-time delivery”")
    assertContains(response, "use a point for decimals")
    assert not MeasureActual.objects.exists()


def test_someone_who_does_not_report_the_measure_is_refused(
    login, measure, member, other_head, admin_user
):
    url = reverse("strategy:measure-actual-record", args=[measure.pk])
    for user in (member, other_head, admin_user):
        assert login(user).post(url, entry(measure)).status_code == 403
    assert not MeasureActual.objects.exists()


def test_the_page_a_value_returns_to_must_be_ours(login, measure, executive):
    url = reverse("strategy:measure-actual-record", args=[measure.pk])
    response = login(executive).post(url, entry(measure, next_url="https://evil.example/"))
    assert response.url == measure.objective.get_absolute_url()


def test_a_draft_measure_takes_no_value(login, executive):
    draft = make_draft_position(fiscal_year=2031, owner=executive)
    measure = MeasureFactory(objective=draft.objectives.first())
    url = reverse("strategy:measure-actual-record", args=[measure.pk])

    response = login(executive).post(url, entry(measure), follow=True)

    assertContains(response, "The FY2031 strategy is a draft: its measures take values once")
    assert not MeasureActual.objects.exists()


def test_a_retired_objectives_measure_is_refused_with_the_rule_the_import_and_api_use(
    login, measure, executive
):
    measure.objective.retire()
    url = reverse("strategy:measure-actual-record", args=[measure.pk])

    response = login(executive).post(url, entry(measure), follow=True)

    refusal = outcomes.measure_entry_refusal(measure)
    assert refusal == (
        f"Objective “{measure.objective.title}” is retired: its measures take no more values."
    )
    assertContains(response, refusal)
    assert not MeasureActual.objects.exists()


# --- The team page and the position page -----------------------------------------------------


def test_the_team_page_lists_the_measures_it_reports_with_the_entry_form(
    login, measure, head, member
):
    record(measure, 1, "70", head)  # plan 84: off track

    response = login(head).get(measure.reporting_team.get_absolute_url())

    assertContains(response, "Measures this team reports")
    assertContains(response, "On-time delivery")
    assertContains(response, "Off track")
    assertContains(response, "Stale: no value for Q4")
    assertContains(response, "Record value")
    assertNotContains(login(member).get(measure.reporting_team.get_absolute_url()), "Record value")


def test_a_promise_is_at_risk_when_a_measure_is_behind_plan(login, measure, head, member):
    record(measure, 1, "84", head)
    page = measure.objective.position.get_absolute_url()
    assertNotContains(login(member).get(page), "Promise at risk")

    record(measure, 2, "83", head)

    response = login(member).get(page)
    assertContains(response, "Promise at risk")
    assertContains(response, "On-time delivery behind plan in Q2")


def test_an_internal_measure_behind_plan_puts_no_promise_at_risk(login, measure, head, member):
    """Only the measures customers feel judge the promise: an internal one behind plan keeps
    its status on the objective page and leaves the promise on the position page alone."""
    felt = MeasureFactory(
        objective=measure.objective,
        name="Complaints answered",
        baseline=D("80"),
        target=D("96"),
        reporting_team=measure.reporting_team,
    )
    measure.customer_felt = False
    measure.save()
    record(measure, 1, "70", head)  # plan 84: off track
    record(felt, 1, "84", head)  # on plan
    page = measure.objective.position.get_absolute_url()

    response = login(member).get(page)
    assertNotContains(response, "Promise at risk")
    assertContains(response, "Promise kept outside")
    assertContains(login(member).get(measure.objective.get_absolute_url()), "Off track")

    record(felt, 2, "80", head)  # plan 88: behind
    response = login(member).get(page)
    assertContains(response, "Promise at risk")
    assertContains(response, "Complaints answered behind plan in Q2")
    assertNotContains(response, "On-time delivery off track")


def test_a_promise_without_a_measure_customers_feel_says_so(login, measure, head, member):
    measure.customer_felt = False
    measure.save()
    record(measure, 1, "70", head)  # off track, but internal
    page = measure.objective.position.get_absolute_url()

    response = login(member).get(page)

    assertNotContains(response, "Promise at risk")
    assertNotContains(response, "Promise kept outside")
    assertContains(response, "no measure customers feel")


def test_a_measure_counts_for_the_promise_unless_told_otherwise(executive, draft_position):
    objective = draft_position.objectives.first()
    measure = Measure.objects.create(
        objective=objective, name="Days late", unit="days", baseline=D("10"), target=D("2")
    )
    assert measure.customer_felt is True
    field = MeasureForm().fields["customer_felt"]
    assert (field.label, field.initial) == ("Customers feel it", True)
    assert "promise to customers" in field.help_text


def test_the_objective_form_marks_a_measure_customers_do_not_feel(login, executive, draft_position):
    objective = draft_position.objectives.first()
    MeasureFactory(objective=objective, name="Days late")
    url = reverse("strategy:objective-edit", args=[objective.pk])
    shown = login(executive).get(url)
    assertContains(shown, 'name="measures-0-customer_felt"')
    assertContains(shown, "promise to customers: behind plan, the promise is at risk.")

    data = objective_edit_data(objective)
    del data["measures-0-customer_felt"]  # unticked: a browser sends nothing
    assert login(executive).post(url, data).status_code == 302
    assert objective.measures.get().customer_felt is False

    row = {"name": "Overtime cost", "unit": "EUR", "baseline": "100", "target": "80"}
    data = objective_data(
        owner=executive, title="Cut overtime", measures=[row | {"customer_felt": False}]
    )
    create = reverse("strategy:objective-create", args=[draft_position.fiscal_year])
    assert login(executive).post(create, data).status_code == 302
    assert Measure.objects.get(name="Overtime cost").customer_felt is False


# --- The company's thresholds ----------------------------------------------------------------


def test_an_executive_sets_the_thresholds_of_the_status(login, executive):
    url = reverse("strategy:company-edit")
    data = company_data(plan_tolerance_percent=5, off_track_percent=30)

    assert login(executive).post(url, data).status_code == 302

    company = CompanySettings.read()
    assert (company.plan_tolerance_percent, company.off_track_percent) == (5, 30)


def test_off_track_must_start_beyond_the_tolerance(login, executive):
    url = reverse("strategy:company-edit")
    data = company_data(plan_tolerance_percent=40, off_track_percent=40)

    response = login(executive).post(url, data)

    assertContains(response, "Off track must start beyond the on-plan tolerance.")
    assert CompanySettings.read().off_track_percent == 50


def test_the_status_follows_the_company_thresholds(login, executive, measure, head):
    record(measure, 1, "83", head)  # plan 84: 1 short of 16, 6%
    page = measure.objective.get_absolute_url()
    assertContains(login(executive).get(page), "On plan")
    login(executive).post(reverse("strategy:company-edit"), company_data(plan_tolerance_percent=5))
    assertContains(login(executive).get(page), "Behind plan")


# --- The CSV of measures due -----------------------------------------------------------------


def _rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_lists_the_periods_due_without_a_value_and_imports_once_filled_in(
    login, measure, head, logistics, executive
):
    record(measure, 1, "84", head)
    other = MeasureFactory(objective=measure.objective, name="=Not ours")  # no team: executives'

    response = login(head).get(reverse("strategy:measure-actuals-template"))

    assert response["Content-Type"].startswith("text/csv")
    rows = _rows(response)
    assert list(rows[0]) == list(actuals_import.COLUMNS)
    assert [(r["measure"], r["period"]) for r in rows] == [
        ("On-time delivery", "Q2"),
        ("On-time delivery", "Q3"),
        ("On-time delivery", "Q4"),
    ]
    assert preview_of(rows, head).count(actuals_import.NEW) == 3
    # The executive's file has the other measure too, its formula-like name neutralised,
    # and imports as it is once filled in.
    rows = _rows(login(executive).get(reverse("strategy:measure-actuals-template")))
    assert {r["measure"] for r in rows} == {"On-time delivery", "'=Not ours"}
    assert preview_of(rows, executive).count(actuals_import.NEW) == 7
    assert other.reporting_team is None


def preview_of(rows: list[dict], by):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=actuals_import.COLUMNS)
    writer.writeheader()
    writer.writerows(r | {"value": "90"} for r in rows)
    preview = actuals_import.actuals_import_preview(content=out.getvalue().encode(), by=by)
    assert preview.errors == []
    return preview


def test_the_csv_is_for_those_who_import(login, member, measure):
    assert login(member).get(reverse("strategy:measure-actuals-template")).status_code == 403


# --- Queries ---------------------------------------------------------------------------------


def _build(objective, earlier, team, count: int):
    """`count` measures of `objective`, each continuing one of `earlier` (last year's), with
    values in both years and a planned period."""
    year = objective.position.fiscal_year
    for n in range(count):
        old = MeasureFactory(objective=earlier, name=f"Old {objective.pk} {n}")
        MeasureActual.objects.create(measure=old, fiscal_year=year - 1, period=4, value=D("90"))
        new = MeasureFactory(
            objective=objective, name=f"Measure {n}", previous=old, reporting_team=team
        )
        MeasurePlanPoint.objects.create(measure=new, period=4, value=D("97"))
        MeasureActual.objects.create(measure=new, fiscal_year=year, period=1, value=D("84"))


@pytest.mark.parametrize("page", ["objective", "unit", "position"])
def test_the_pages_run_as_many_queries_for_many_measures_as_for_few(
    page, login, last_year, head, django_assert_max_num_queries
):
    small, large = last_year.objectives.all()[:2]
    before = make_draft_position(fiscal_year=last_year.fiscal_year - 1, owner=small.owner)
    earlier = before.objectives.first()
    team = head.memberships.first().unit
    _build(small, earlier, team, 1)
    client = login(head)

    def url(objective):
        if page == "objective":
            return objective.get_absolute_url()
        if page == "unit":
            return head.memberships.first().unit.get_absolute_url()
        return last_year.get_absolute_url()

    client.get(url(small))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(small)).status_code == 200
    expected = len(queries)
    _build(large, earlier, team, 8)
    client.get(url(large))
    with django_assert_max_num_queries(expected, info=f"{page}: {expected} with one measure"):
        assert client.get(url(large)).status_code == 200


def test_the_team_and_objective_pages_read_last_years_measure_only_to_name_it(
    login, last_year, head
):
    """Their series come from outcomes.measures_series's own read of the lineage: the team page
    joins no earlier measure, the objective page only last year's, which its history names."""
    objective = last_year.objectives.first()
    before = make_draft_position(fiscal_year=last_year.fiscal_year - 1, owner=objective.owner)
    _build(objective, before.objectives.first(), head.memberships.first().unit, 2)
    client = login(head)

    def measure_reads(url) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in queries if q["sql"].startswith('SELECT "alignment_measure"')]

    team_reads = measure_reads(head.memberships.first().unit.get_absolute_url())
    assert team_reads
    assert not [sql for sql in team_reads if 'JOIN "alignment_measure"' in sql]
    (objective_read,) = measure_reads(objective.get_absolute_url())
    assert 'LEFT OUTER JOIN "alignment_measure"' in objective_read
    assert '"alignment_objective"' not in objective_read
    assert '"alignment_strategicposition"' not in objective_read


def test_the_lineages_of_many_measures_are_read_together(
    last_year, head, django_assert_num_queries
):
    objective = last_year.objectives.first()
    before = make_draft_position(fiscal_year=last_year.fiscal_year - 1, owner=objective.owner)
    earlier = before.objectives.first()
    team = head.memberships.first().unit
    _build(objective, earlier, team, 3)
    measures = list(
        Measure.objects.filter(objective=objective).select_related("objective__position")
    )
    # One query for last year's measures, their values and plans: not one per measure.
    with django_assert_num_queries(1):
        series = outcomes.measures_series(measures)
    for measure in measures:
        assert series[measure.pk] == outcomes.measure_series(measure)
        assert [p.period.fiscal_year for p in series[measure.pk]] == [
            last_year.fiscal_year - 1
        ] * 4 + [last_year.fiscal_year] * 4


def test_the_outcomes_of_objectives_and_the_company_are_read_in_one_query(
    last_year, head, django_assert_num_queries
):
    objective = last_year.objectives.first()
    before = make_draft_position(fiscal_year=last_year.fiscal_year - 1, owner=objective.owner)
    _build(objective, before.objectives.first(), head.memberships.first().unit, 3)
    measures = list(
        Measure.objects.filter(objective=objective).select_related("objective__position")
    )
    now = timezone.now()

    with django_assert_num_queries(1):
        company, found = outcomes.objectives_outcomes([objective.pk], now=now)
    assert company.name == CompanySettings.read().name
    expected = outcomes.measures_outcomes(
        measures,
        company=CompanySettings.read(),
        today=timezone.localdate(),
        start_month=CompanySettings.read().start_month,
    )
    assert [(o.measure.pk, o.series, o.status, o.is_stale) for o in found] == [
        (o.measure.pk, o.series, o.status, o.is_stale) for o in expected
    ]
    # Without the earlier years: each measure's own year, as the whole outcome has it.
    with django_assert_num_queries(1):
        _, own = outcomes.objectives_outcomes([objective.pk], now=now, earlier_years=False)
    assert [(o.series, o.year, o.latest) for o in own] == [
        (o.year, o.year, o.latest) for o in expected
    ]


def test_a_measure_continued_over_many_years_is_read_in_one_query(
    last_year, head, django_assert_num_queries
):
    """Four annual refreshes back: the series reads them all at once, each year under its own
    plan and frequency, and so do the lineage's measures."""
    objective = last_year.objectives.first()
    year = last_year.fiscal_year
    previous = None
    for back in (4, 3, 2, 1):
        older = make_draft_position(fiscal_year=year - back, owner=objective.owner)
        previous = MeasureFactory(
            objective=older.objectives.first(),
            name=f"FY{year - back}",
            baseline=D("10"),
            target=D("20"),
            previous=previous,
            frequency=Measure.Frequency.MONTHLY if back == 2 else Measure.Frequency.QUARTERLY,
        )
        MeasureActual.objects.create(
            measure=previous, fiscal_year=year - back, period=1, value=D(back)
        )
    measure = MeasureFactory(objective=objective, previous=previous, baseline=D("10"))
    measure = Measure.objects.select_related("objective__position").get(pk=measure.pk)

    with django_assert_num_queries(1):
        series = outcomes.measures_series([measure])[measure.pk]
    years = [p.period.fiscal_year for p in series]
    assert years == [year - 4] * 4 + [year - 3] * 4 + [year - 2] * 12 + [year - 1] * 4 + [year] * 4
    firsts = [p for p in series if p.period.number == 1 and p.actual is not None]
    assert [(p.period.fiscal_year, p.actual) for p in firsts] == [
        (year - back, D(back)) for back in (4, 3, 2, 1)
    ]
    # Each year's plan is its own: 10 → 20 in four steps, or twelve for the monthly year.
    assert series[0].planned == D("12.50")
    assert series[8].planned == D("10.83")
    with django_assert_num_queries(1):
        lineage = outcomes.measure_lineage(measure)
    assert [m.name for m in lineage[:4]] == [f"FY{year - back}" for back in (4, 3, 2, 1)]
