"""Importing measures' values: a preview that writes nothing, bad lines named, all or nothing,
and the same file twice changes nothing."""

import io
import re
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from strategy import actuals_import, outcomes, versions
from strategy.models import Measure, MeasureActual
from strategy.outcomes import Period
from tests.factories import MeasureFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

URL = reverse("strategy:measure-actuals-import")
HEADER = "fiscal_year,objective,measure,period,value,comment\n"


@pytest.fixture
def measures(current_position, logistics, finance):
    objective = current_position.objectives.order_by("order").first()
    objective.title = "Deliver on the promised date"
    objective.save()
    return {
        "on_time": MeasureFactory(
            objective=objective, name="On-time delivery", reporting_team=logistics
        ),
        "days": MeasureFactory(
            objective=objective,
            name="Days late",
            unit="days",
            baseline=D(10),
            target=D(4),
            direction=Measure.Direction.LOWER,
            frequency=Measure.Frequency.MONTHLY,
            reporting_team=logistics,
        ),
        "cost": MeasureFactory(objective=objective, name="Cost per order", reporting_team=finance),
    }


GOOD = (
    HEADER + "2026,Deliver on the promised date,On-time delivery,Q1,84.5,Two late trucks\n"
    "2026,deliver on the promised date,on-time delivery,Q2,86,\n"
    "\n"
    "FY2026,Deliver on the promised date,Days late,M3,8%,\n"
)


def check(text: str, by):
    return actuals_import.actuals_import_preview(content=text.encode(), by=by)


def test_the_preview_says_what_each_line_records_and_writes_nothing(measures, head):
    preview = check(GOOD, head)
    assert preview.errors == []
    assert [(x.line, x.measure.name, str(x.period), x.value, x.action) for x in preview.lines] == [
        (2, "On-time delivery", "FY2026 Q1", D("84.5"), "new"),
        (3, "On-time delivery", "FY2026 Q2", D(86), "new"),
        (5, "Days late", "FY2026 M3", D(8), "new"),
    ]
    assert preview.token
    assert not MeasureActual.objects.exists()


def test_confirming_records_every_line_with_its_history(measures, head):
    preview = actuals_import.actuals_import_apply(token=check(GOOD, head).token, by=head)
    assert preview.count("new") == 3
    values = {
        (a.measure.name, a.period): (a.value, a.comment, a.source, a.entered_by)
        for a in MeasureActual.objects.select_related("measure")
    }
    assert values == {
        ("On-time delivery", 1): (D("84.5"), "Two late trucks", "imported", head),
        ("On-time delivery", 2): (D(86), "", "imported", head),
        ("Days late", 3): (D(8), "", "imported", head),
    }
    assert MeasureActual.history.count() == 3
    assert {h.history_user for h in MeasureActual.history.all()} == {head}


def test_an_import_moves_the_cached_pages_version_on(measures, head):
    """Its values are written in bulk, without a save signal per row: the strategy pages'
    cached parts must not be read again after it."""
    token = check(GOOD, head).token
    before = versions.current()

    actuals_import.actuals_import_apply(token=token, by=head)

    assert versions.current() > before


def test_the_same_file_twice_changes_nothing(measures, head):
    actuals_import.actuals_import_apply(token=check(GOOD, head).token, by=head)
    before = list(MeasureActual.objects.values_list("pk", "value", "entered_at"))
    again = check(GOOD, head)
    assert [x.action for x in again.lines] == ["unchanged"] * 3
    assert again.changes == 0
    actuals_import.actuals_import_apply(token=again.token, by=head)
    assert list(MeasureActual.objects.values_list("pk", "value", "entered_at")) == before
    assert MeasureActual.history.count() == 3


def test_a_corrected_value_replaces_the_old_one_and_keeps_its_comment(measures, head):
    outcomes.measure_actual_record(
        measure=measures["on_time"], period=Period(2026, 2), value="85", by=head, comment="Snow"
    )
    preview = check(HEADER + "2026,Deliver on the promised date,On-time delivery,2,86.5,\n", head)
    (line,) = preview.lines
    assert (line.action, line.before.value) == ("changed", D(85))
    actuals_import.actuals_import_apply(token=preview.token, by=head)
    actual = MeasureActual.objects.get()
    assert (actual.value, actual.comment, actual.source) == (D("86.5"), "Snow", "imported")
    assert [h.value for h in actual.history.order_by("history_id")] == [D(85), D("86.5")]


BAD_LINES = [
    ("20x6,Deliver on the promised date,On-time delivery,Q1,84", "fiscal year “20x6” is not"),
    ("2026,Deliver on time,On-time delivery,Q1,84", "the FY2026 strategy has no objective"),
    ("2026,Deliver on the promised date,On time,Q1,84", "has no measure “On time”"),
    ("2026,Deliver on the promised date,On-time delivery,Q5,84", "period “Q5” does not exist"),
    ("2026,Deliver on the promised date,Days late,Q1,8", "reported monthly, M1 to M12"),
    ("2026,Deliver on the promised date,On-time delivery,Q1,eighty", "“eighty” is not a number"),
    ("2026,Deliver on the promised date,On-time delivery,Q1,84.123", "more than two decimals"),
    ("2026,Deliver on the promised date,On-time delivery,Q1,", "value is empty"),
    ("2026,,On-time delivery,Q1,84", "objective is empty"),
    ("2026,Deliver on the promised date,Cost per order,Q1,12", "Finance reports it"),
    ("2027,Objective 1,Plan,Q1,1", "the FY2027 strategy is a draft"),
]


@pytest.mark.parametrize(("line", "message"), BAD_LINES)
def test_a_bad_line_is_named_with_its_number_and_nothing_is_imported(
    measures, head, draft_position, line, message
):
    draft_objective = draft_position.objectives.get()
    draft_objective.title = "Objective 1"
    draft_objective.save()
    MeasureFactory(
        objective=draft_objective, name="Plan", reporting_team=measures["cost"].reporting_team
    )
    preview = check(GOOD + line + "\n", head)
    assert len(preview.errors) == 1
    assert preview.errors[0].startswith("Line 6: ")
    assert message in preview.errors[0]
    assert preview.token == ""
    assert not MeasureActual.objects.exists()


def test_a_period_listed_twice_is_a_bad_line(measures, executive):
    preview = check(GOOD + "2026,Deliver on the promised date,On-time delivery,q1,85\n", executive)
    assert preview.errors == ["Line 6: FY2026 Q1 of “On-time delivery” is also on line 2."]


def test_a_retired_objective_takes_no_values(measures, executive):
    measures["on_time"].objective.retire()
    preview = check(GOOD, executive)
    assert preview.errors[0] == (
        "Line 2: objective “Deliver on the promised date” is retired: its measures take no "
        "more values."
    )


def test_an_executive_imports_the_values_of_any_team(measures, executive):
    preview = check(HEADER + "2026,Deliver on the promised date,Cost per order,Q1,12\n", executive)
    assert preview.errors == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"year,objective,measure\n2026,a,b\n", "no “fiscal_year”, “period”, “value” columns"),
        (HEADER.encode(), "no values below its first line"),
        (
            "fiscal_year,objective,measure,period,value\n2026,Déliver,x,1,1\n".encode("latin-1"),
            "not UTF-8",
        ),
        (b"PK\x03\x04not really a workbook", "could not be read as an XLSX workbook"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_in_words(measures, head, content, message):
    with pytest.raises(Exception, match=message):
        actuals_import.actuals_import_preview(content=content, by=head)


def test_an_xlsx_workbook_is_read_like_a_csv(measures, head):
    book = Workbook()
    sheet = book.active
    sheet.append(["Fiscal year", "Objective", "Measure", "Period", "Value"])
    sheet.append([2026, "Deliver on the promised date", "On-time delivery", "Q3", 91.3])
    sheet.append([2026, "Deliver on the promised date", "Days late", 7, 6])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = actuals_import.actuals_import_preview(content=buffer.getvalue(), by=head)
    assert preview.errors == []
    assert [(str(x.period), x.value) for x in preview.lines] == [
        ("FY2026 Q3", D("91.3")),
        ("FY2026 M7", D(6)),
    ]


def test_a_semicolon_csv_is_read(measures, head):
    text = GOOD.replace(",", ";")
    assert check(text, head).errors == []


def test_the_confirm_step_checks_again_and_imports_nothing_if_a_line_no_longer_holds(
    measures, head
):
    token = check(GOOD, head).token
    measures["days"].name = "Days behind"
    measures["days"].save()
    with pytest.raises(Exception, match="Line 5: .*has no measure “Days late”"):
        actuals_import.actuals_import_apply(token=token, by=head)
    assert not MeasureActual.objects.exists()


def test_a_preview_is_confirmed_only_by_whoever_made_it(measures, head, executive):
    token = check(GOOD, head).token
    with pytest.raises(Exception, match="made by someone else"):
        actuals_import.actuals_import_apply(token=token, by=executive)
    with pytest.raises(Exception, match="could not be read"):
        actuals_import.actuals_import_apply(token=token[:-2] + "xx", by=head)
    assert not MeasureActual.objects.exists()


def test_the_check_takes_a_few_queries_whatever_the_file_length(
    measures, executive, django_assert_max_num_queries
):
    def file_of(lines: int) -> str:
        objectives = [
            ObjectiveFactory(position=measures["on_time"].objective.position, title=f"O{lines}-{i}")
            for i in range(lines)
        ]
        for o in objectives:
            MeasureFactory(objective=o, name="M")
        return HEADER + "".join(f"2026,{o.title},M,Q1,1\n" for o in objectives)

    for size in (2, 40):
        text = file_of(size)
        with django_assert_max_num_queries(4):
            preview = check(text, executive)
        assert preview.errors == []


# --- The page --------------------------------------------------------------------------------


def upload(client, text: str, name: str = "values.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def test_the_page_previews_then_imports_and_says_how_many(client, measures, head):
    client.force_login(head)
    response = upload(client, GOOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Import 3 values" in html
    assert not MeasureActual.objects.exists()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    response = client.post(URL, {"token": token}, follow=True)
    assert MeasureActual.objects.count() == 3
    assert "Imported: 3 new values, 0 corrected, 0 already recorded." in response.content.decode()


def test_the_page_lists_the_bad_lines_and_offers_no_import(client, measures, head):
    client.force_login(head)
    response = upload(client, GOOD + "2026,Deliver on the promised date,Cost per order,Q1,12\n")
    html = response.content.decode()
    assert "Line 6: you do not enter the values of “Cost per order”: Finance reports it." in html
    assert 'name="token"' not in html


def test_the_page_says_when_the_file_changes_nothing(client, measures, head):
    client.force_login(head)
    actuals_import.actuals_import_apply(token=check(GOOD, head).token, by=head)
    html = upload(client, GOOD).content.decode()
    assert "Nothing to import: every value of the file is already recorded." in html
    assert 'name="token"' not in html


def test_a_stale_preview_imports_nothing_and_says_why(client, measures, head):
    client.force_login(head)
    response = client.post(URL, {"token": "nonsense"})
    assert response.status_code == 200
    assert "The preview could not be read: upload the file again." in response.content.decode()
    assert not MeasureActual.objects.exists()


def test_members_and_admins_cannot_import(client, measures, member, admin_user):
    for user in (member, admin_user):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert upload(client, GOOD).status_code == 403
    assert not MeasureActual.objects.exists()
