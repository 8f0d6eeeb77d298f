"""A report in its reader's language and locale.

A report file is built by a task, later than it is asked for, so the language travels with it:
a file is built in the language of the person who asked (`request_language`, kept on
ReportFile.language and activated around the build), and a file built when a review closes,
which nobody in particular asked for, in the company's language (`report_language`). A file is
kept per (review, format, language): a German reader never gets the French one.

What the locale changes beside the words: the CSV's list separator and decimal mark (`;` and
`,` where the decimal mark is a comma, as spreadsheets in those locales expect), and the
workbook's money formats (the currency's symbol where the locale puts it). Excel's number
format codes are the same in every locale (Excel shows `#,##0.00` with the reader's own
separators), so only what a reader sees as text is made here. Read from Babel's CLDR data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel import numbers as babel_numbers
from django.conf import settings
from django.utils import translation

from strategy import languages


def supported(code: str | None) -> str:
    """`code` as one of the product's languages (its closest variant), else the default."""
    for candidate in (code, settings.LANGUAGE_CODE):
        if candidate:
            try:
                return translation.get_supported_language_variant(candidate)
            except LookupError:
                continue
    return settings.LANGUAGE_CODE


def report_language(*, cycle=None) -> str:
    """The language of a report nobody in particular asked for: the files built when a review
    closes (reports.services.reports_for_closed_cycle): the company's default language."""
    return supported(languages.company_language())


def request_language(request) -> str:
    """The language of the person making `request`: the one the request is answered in."""
    return supported(getattr(request, "LANGUAGE_CODE", None) or translation.get_language())


@lru_cache(maxsize=32)
def babel_locale(code: str) -> Locale:
    """The CLDR locale of a Django language code ("en-gb" → en_GB), English if unknown."""
    try:
        return Locale.parse(translation.to_locale(code))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_GB")


@lru_cache(maxsize=32)
def decimal_mark(code: str) -> str:
    return babel_numbers.get_decimal_symbol(babel_locale(code))


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written for a locale: its list separator and decimal mark."""

    delimiter: str
    decimal: str

    def number(self, value):
        """A figure as the file writes it: an int as it is, a float with the locale's decimal
        mark and no thousands separator (a spreadsheet reads it back as a number); anything
        else passes through."""
        if type(value) is float and self.decimal != ".":
            return repr(value).replace(".", self.decimal)
        return value


@lru_cache(maxsize=32)
def csv_dialect(code: str) -> CsvDialect:
    """A decimal comma takes `;` as the list separator (de, fr, es), a decimal point `,`."""
    decimal = decimal_mark(code)
    return CsvDialect(delimiter=";" if decimal == "," else ",", decimal=decimal)


@lru_cache(maxsize=256)
def money_format(currency: str, code: str) -> str:
    """An Excel number format for amounts in `currency` as the locale writes them: the symbol
    before or after the figure, with the space the locale puts between ("€25,000.00" in
    en-gb, "25.000,00 €" in de: Excel gives the separators). Without a currency, the figure."""
    locale = babel_locale(code)
    precision = babel_numbers.get_currency_precision(currency) if currency else 2
    figure = "#,##0" + ("." + "0" * precision if precision else "")
    if not currency:
        return figure
    symbol = babel_numbers.get_currency_symbol(currency, locale).replace('"', "")
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    before, _, after = pattern.partition("¤")
    if "#" in before or "0" in before:  # the symbol after the figure
        return f'{figure}"{_trailing_space(before)}{symbol}"'
    return f'"{symbol}{_leading_space(after)}"{figure}'


def _trailing_space(text: str) -> str:
    """The spaces (CLDR's no-break ones too) between a pattern's figure and its symbol."""
    stripped = text.rstrip(" \u00a0\u202f")
    return text[len(stripped) :]


def _leading_space(text: str) -> str:
    stripped = text.lstrip(" \u00a0\u202f")
    return text[: len(text) - len(stripped)]


# Excel refuses these in a sheet's name, and a name longer than 31 characters.
_SHEET_NAME_REFUSED = str.maketrans("", "", "[]:*?/\\")


def sheet_name(name: str) -> str:
    """A translated sheet name as Excel takes it: without the characters it refuses, at most
    31 characters, not starting or ending with an apostrophe."""
    return str(name).translate(_SHEET_NAME_REFUSED)[:31].strip("'") or "Sheet"
