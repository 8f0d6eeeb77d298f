"""Numbers, amounts of money, percentages and dates in the active language's locale."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from strategy.money import format_money

NBSP, NNBSP = "\xa0", "\u202f"  # Babel's no-break spaces (French groups with the narrow one)

MONEY = {
    "en-gb": ("12,500 EUR", "12,500.50 EUR", "1,234,567 USD"),
    "de": (f"12.500{NBSP}€", f"12.500,50{NBSP}€", f"1.234.567{NBSP}$"),
    "fr": (f"12{NNBSP}500{NBSP}€", f"12{NNBSP}500,50{NBSP}€", f"1{NNBSP}234{NNBSP}567{NBSP}$US"),
    "es": (f"12.500{NBSP}€", f"12.500,50{NBSP}€", f"1.234.567{NBSP}US$"),
}


def _render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load company_tags %}" + source).render(Context(context))


@pytest.mark.parametrize("language", MONEY)
def test_amounts_are_written_with_the_locales_separators_and_currency(language):
    whole, cents, dollars = MONEY[language]

    assert _render("{{ a|money:'EUR' }}", language, a=Decimal("12500")) == whole
    assert _render("{{ a|money:'EUR' }}", language, a="12500.5") == cents
    assert _render("{{ a|money:'USD' }}", language, a=1234567) == dollars


def test_english_keeps_the_currency_code_after_the_figure_and_the_empty_cases():
    with translation.override("en-gb"):
        assert format_money(12500, "EUR") == "12,500 EUR"
        assert format_money(5, "") == "5"
        assert format_money(None, "EUR") == format_money("", "EUR") == ""
        assert format_money("n/a", "EUR") == "n/a"
    with translation.override("de"):
        assert format_money(12500, "") == "12.500"
        assert format_money(Decimal("0.5"), "") == "0,50"


@pytest.mark.parametrize(
    "language, grouped, one_place, share, share_one_place",
    [
        ("en-gb", "12,500", "3.1", "42%", "42.5%"),
        ("de", "12.500", "3,1", f"42{NBSP}%", f"42,5{NBSP}%"),
        ("fr", f"12{NNBSP}500", "3,1", f"42{NBSP}%", f"42,5{NBSP}%"),
        ("es", "12.500", "3,1", f"42{NBSP}%", f"42,5{NBSP}%"),
    ],
)
def test_numbers_and_percentages_follow_the_locale(
    language, grouped, one_place, share, share_one_place
):
    assert _render("{{ n|number }}", language, n=12500) == grouped
    assert _render("{{ n|number:1 }}", language, n=3.14159) == one_place
    assert _render("{{ p|percent }}", language, p=42) == share
    assert _render("{{ p|percent:1 }}", language, p=Decimal("42.5")) == share_one_place


def test_a_missing_number_is_shown_as_nothing_and_text_as_it_is():
    assert (
        _render("[{{ n|number }}][{{ p|percent }}][{{ t|percent }}]", "de", n=None, p=None, t="—")
        == "[][][—]"
    )


@pytest.mark.parametrize(
    "language, day, moment",
    [
        ("en-gb", "2 Dec 2026", "2 Dec 2026 14:30"),
        ("de", "2. Dezember 2026", "2. Dezember 2026 14:30"),
        ("fr", "2 décembre 2026", "2 décembre 2026 14:30"),
        ("es", "2 de diciembre de 2026", "2 de diciembre de 2026 a las 14:30"),
    ],
)
def test_dates_are_written_in_the_locales_named_formats(language, day, moment):
    at = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)
    source = '{{ d|date:"DATE_FORMAT" }}|{{ at|date:"DATETIME_FORMAT" }}|'
    source += '{{ d|date:"SHORT_DATE_FORMAT" }}'

    shown = _render(source, language, d=date(2026, 12, 2), at=at).split("|")

    assert shown[:2] == [day, moment]
    assert shown[2] == {"de": "02.12.2026"}.get(language, "02/12/2026")
