"""Reports in the reader's language and locale: each export read back in en-gb, de, fr and es.

Until translators fill the catalogues the German words are the English ones, so the words are
checked against what gettext gives for the English under the same language (a catalogue then
changes both sides alike); the separators, decimal marks and money formats differ already.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.translation import pgettext

from reports import locales, writers
from reports import services as report_services
from reports.models import ReportFile
from reviews.models import LEVERS
from strategy.models import CompanySettings
from tests.reports.support import csv_text, read_csv, read_xlsx
from tests.reports.test_injection import (
    FIELDS,
    KNOWN,
    assert_no_cell_starts_a_formula,
    neutralised,
    type_everywhere,
)
from tests.reports.test_xlsx import SHEETS

pytestmark = pytest.mark.django_db

LANGUAGES = ["en-gb", "de", "fr", "es"]
# The CSV's list separator and decimal mark in each.
DIALECTS = {"en-gb": (",", "."), "de": (";", ","), "fr": (";", ","), "es": (";", ",")}
# What Excel is told to show an amount in euros as (it puts in the reader's separators).
EURO_FORMATS = {
    "en-gb": '"€"#,##0.00',
    "de": '#,##0.00"\xa0€"',
    "fr": '#,##0.00"\xa0€"',
    "es": '#,##0.00"\xa0€"',
}


def as_number(text: str, decimal: str) -> float | str:
    """A CSV figure read back with the locale's decimal mark; "" stays ""."""
    return "" if text == "" else float(text.replace(decimal, "."))


# --- The CSV ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_csv_follows_the_locale_and_reads_back_to_the_same_figures(org, language):
    delimiter, decimal = DIALECTS[language]
    english = read_csv(csv_text(org.cycle, "en-gb"))

    content = csv_text(org.cycle, language)
    rows = read_csv(content, delimiter)

    header = content.removeprefix("\ufeff").splitlines()[0]
    assert header.count(f'"{delimiter}"') == len(writers.CSV_COLUMNS) - 1
    with translation.override(language):
        names = [pgettext("CSV column", c) for c in writers.CSV_COLUMNS]
        yes, no = pgettext("CSV value", "yes"), pgettext("CSV value", "no")
    assert list(rows[0]) == names
    assert len(rows) == len(english) == 4 * len(LEVERS)
    for row, ours in zip(rows, english, strict=True):
        row = dict(zip(writers.CSV_COLUMNS, row.values(), strict=True))
        for column in ("score", "team_objective_fit", "objective_weight", "fiscal_year"):
            assert as_number(row[column], decimal) == as_number(ours[column], ".")
        assert row["not_applicable"] == (yes if ours["not_applicable"] == "yes" else no)
        for column in ("team", "objective", "evidence", "lever", "check_state"):
            assert row[column] == ours[column]
    fits = {r["team_objective_fit"] for r in english} - {""}
    assert fits == {"75.0", "25.0", "100.0"}
    fits_here = {
        dict(zip(writers.CSV_COLUMNS, r.values(), strict=True))["team_objective_fit"] for r in rows
    }
    assert fits_here - {""} == {f.replace(".", decimal) for f in fits}


@pytest.mark.parametrize("language", ["en-gb", "de"])
@pytest.mark.parametrize("typed", KNOWN)
def test_formula_like_text_is_neutralised_in_both_dialects(org, language, typed):
    texts = dict.fromkeys(FIELDS, typed)
    type_everywhere(org, texts)
    delimiter, _ = DIALECTS[language]

    content = csv_text(org.cycle, language)

    # Whichever separator a spreadsheet splits the file at, no cell starts a formula ...
    assert_no_cell_starts_a_formula(content)
    # ... and read with the file's own, the text is as typed but for its apostrophes.
    rows = read_csv(content, delimiter)
    with translation.override(language):  # the file's column names are in its language
        evidence, team_code = (
            pgettext("CSV column", "evidence"),
            pgettext("CSV column", "team_code"),
        )
    logistics = [r for r in rows if r[team_code] == "logistics"]
    assert logistics and {r[evidence] for r in logistics} == {neutralised(typed)}


def test_the_signals_csv_follows_the_locale(login, org, executive):
    response = login(executive).get(reverse("reports:signals-csv"), HTTP_ACCEPT_LANGUAGE="de")
    content = b"".join(response.streaming_content).decode()
    header = next(csv.reader(io.StringIO(content.removeprefix("\ufeff")), delimiter=";"))
    assert len(header) > 1


def test_the_csv_view_answers_in_the_language_of_the_request(login, org, executive):
    url = reverse("reports:report-csv", args=[org.cycle.pk])
    response = login(executive).get(url, HTTP_ACCEPT_LANGUAGE="fr")
    content = b"".join(response.streaming_content).decode()
    assert content == csv_text(org.cycle, "fr")
    with translation.override("fr"):
        assert content.startswith('\ufeff"' + pgettext("CSV column", "company") + '";')


# --- The workbook ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_workbook_has_its_words_in_the_language_and_money_in_the_locale(org, language):
    with translation.override(language):
        content = writers.xlsx_bytes(org.cycle)
        sheets = [pgettext("sheet name", name) for name in SHEETS]
        columns = [
            pgettext("column", c)
            for c in ("Team", "Objective", "Lever", "Statement", "Target", "Due", "Status")
        ] + [pgettext("column", "Amount"), pgettext("column", "Currency")]
        label = pgettext("summary label", "Company")

    wb = read_xlsx(content)

    assert wb.sheetnames == sheets
    commitments = wb[sheets[SHEETS.index("Commitments")]]
    assert [c.value for c in commitments[1]] == columns
    finance = next(r for r in commitments.iter_rows(min_row=2) if r[0].value == "Finance")
    # The same number in every locale, shown with the euro where the reader expects it.
    assert finance[7].value == 25000
    assert finance[7].number_format == EURO_FORMATS[language]
    assert finance[5].number_format == "yyyy-mm-dd"  # ISO dates: unambiguous in every locale
    summary = wb[sheets[0]]
    assert summary["A3"].value == label
    # The tables keep one name in every language: formulas refer to them.
    assert sorted(t for ws in wb.worksheets for t in ws.tables) == sorted(SHEETS[1:])


def test_each_header_is_translated_once_per_file_not_per_cell(org, monkeypatch):
    calls = []
    original = writers.pgettext
    monkeypatch.setattr(writers, "pgettext", lambda *a: calls.append(a) or original(*a))

    writers.xlsx_bytes(org.cycle)

    assert ("column", "Team") in calls
    # A few dozen words for the whole file, whatever the number of rows.
    assert len(calls) < 80
    assert calls.count(("column", "Team")) == 1


def test_money_formats_put_the_currency_where_the_locale_does():
    assert locales.money_format("GBP", "en-gb") == '"£"#,##0.00'
    assert locales.money_format("EUR", "de") == '#,##0.00"\xa0€"'
    assert locales.money_format("JPY", "en-gb") == '"JP¥"#,##0'  # no minor unit
    assert locales.money_format("", "fr") == "#,##0.00"


def test_sheet_names_are_made_acceptable_to_excel():
    assert locales.sheet_name("Plan/Ist: [Q1]?") == "PlanIst Q1"
    assert len(locales.sheet_name("x" * 40)) == 31


# --- The PDF and the print view --------------------------------------------------------------


def test_report_pages_are_in_the_language_and_its_decimal_mark(org):
    with translation.override("de"):
        html = writers.report_html(org.cycle)
        assert writers.number(62.5, 1) == "62,5"
        heading = pgettext("column", "Team fit")
    assert '<html lang="de">' in html
    assert f'<th scope="col">{heading}</th>' in html
    assert writers.number(62.5, 1) == "62.5"  # the English ones, after


# --- The language of a report file ---------------------------------------------------------


def test_a_file_is_built_in_the_language_of_whoever_asked(org, executive, monkeypatch):
    seen = []

    def write(cycle, path, *, progress=None):
        seen.append(translation.get_language())
        with open(path, "wb") as handle:
            handle.write(b"PK")

    monkeypatch.setattr(writers, "xlsx_write", write)
    with translation.override("en-gb"):
        german = report_services.report_request(
            cycle=org.cycle, fmt="xlsx", language="de", by=executive
        )
        french = report_services.report_request(
            cycle=org.cycle, fmt="xlsx", language="fr", by=executive
        )
        again = report_services.report_request(
            cycle=org.cycle, fmt="xlsx", language="de", by=executive
        )

        for report in (german, french):
            assert report_services.report_build(report_id=report.pk) == "done"
        assert translation.get_language() == "en-gb"  # the build's language is let go

    assert again.pk == german.pk != french.pk
    assert seen == ["de", "fr"]
    assert ReportFile.objects.filter(cycle=org.cycle).count() == 2


def test_each_reader_sees_the_file_of_their_language_else_another(org, executive):
    german = report_services.report_request(cycle=org.cycle, fmt="pdf", language="de")
    ReportFile.objects.filter(pk=german.pk).update(state=ReportFile.State.DONE)
    french = report_services.report_request(cycle=org.cycle, fmt="pdf", language="fr")

    assert report_services.latest_report_files(org.cycle, "fr") == [french]
    assert report_services.latest_report_files(org.cycle, "de") == [german]
    # No Spanish one: the latest in another language, which says which.
    assert report_services.latest_report_files(org.cycle, "es") == [french]


def test_the_view_asks_for_the_file_in_the_language_of_the_request(
    login, org, executive, queued, django_capture_on_commit_callbacks
):
    url = reverse("reports:report-request", args=[org.cycle.pk, "xlsx"])
    with django_capture_on_commit_callbacks(execute=True):
        login(executive).post(url, HTTP_ACCEPT_LANGUAGE="es")

    assert list(ReportFile.objects.values_list("language", flat=True)) == ["es"]


def test_files_built_on_closing_are_in_the_company_language(
    login, org, executive, queued, django_capture_on_commit_callbacks
):
    company = CompanySettings.read()
    company.language = "de"
    company.save()
    with django_capture_on_commit_callbacks(execute=False), translation.override("fr"):
        login(executive).post(reverse("reviews:cycle-close", args=[org.cycle.pk]))

    # Not the language of whoever closed the review: the company's.
    languages = set(ReportFile.objects.values_list("language", flat=True))
    assert ReportFile.objects.count() == 2
    assert languages == {locales.report_language(cycle=org.cycle)} == {"de"}


def test_request_language_is_a_supported_language():
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = "de-at"
    assert locales.request_language(request) == "de"
    request.LANGUAGE_CODE = "xx"
    assert locales.request_language(request) == settings.LANGUAGE_CODE
