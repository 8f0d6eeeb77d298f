"""Numbers, amounts of money and percentages written the way the active language writes them.

Babel knows each locale's separators and where the currency goes ("12.500 €" in German,
"12 500 €" in French); English keeps the product's own "12,500 EUR", with the currency's code.
Dates and times are Django's localized formats (`|date:"SHORT_DATE_FORMAT"`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache

from babel import Locale, numbers
from django.utils import translation


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(translation.to_locale(language))


def locale() -> Locale:
    """Babel's locale of the active language."""
    return _locale(translation.get_language() or "en-gb")


def is_english() -> bool:
    return (translation.get_language() or "en").startswith("en")


def to_decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def format_number(value, decimals: int | None = None) -> str:
    """12500 → "12,500" (en), "12.500" (de), "12 500" (fr); `decimals` fixes the places shown,
    else up to three as the value has them."""
    number = to_decimal(value)
    if number is None:
        return "" if value is None else str(value)
    if decimals is None:
        return numbers.format_decimal(number, locale=locale())
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return numbers.format_decimal(number, format=pattern, locale=locale())


def format_percent(value, decimals: int = 0) -> str:
    """A share in percent points: 42 → "42%" (en), "42 %" (de, fr, es)."""
    number = to_decimal(value)
    if number is None:
        return "" if value is None else str(value)
    pattern = locale().percent_formats[None].pattern.split(";")[0]
    if decimals > 0:
        pattern = pattern.replace("0", "0." + "0" * decimals, 1)
    return numbers.format_percent(number / 100, format=pattern, locale=locale())


def format_currency(value: Decimal, currency: str) -> str:
    """An amount in the active locale's currency format, cents only when there are some."""
    loc = locale()
    pattern = loc.currency_formats["standard"].pattern.split(";")[0]
    whole = value == value.to_integral_value()
    if whole:
        pattern = pattern.replace(".00", "")
    return numbers.format_currency(
        value, currency, format=pattern, locale=loc, currency_digits=False
    )
