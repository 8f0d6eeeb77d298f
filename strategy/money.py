"""Amounts of money: shown with thousands separators and their currency in the reader's locale,
converted to the company's base currency with the rates executives keep per fiscal year."""

from __future__ import annotations

from decimal import Decimal

from strategy import formats


def format_money(amount, currency: str = "") -> str:
    """12500 → "12,500 EUR" in English, "12.500 €" in German, "12 500 €" in French; cents only
    when there are some: "12,500.50 EUR", "12.500,50 €"."""
    if amount is None or amount == "":
        return ""
    value = formats.to_decimal(amount)
    if value is None:
        return str(amount)
    whole = value == value.to_integral_value()
    if currency and not formats.is_english():
        return formats.format_currency(value, currency)
    if formats.is_english():
        # The product's own English: the currency's code after the figure.
        text = f"{value:,.0f}" if whole else f"{value:,.2f}"
    else:
        text = formats.format_number(value, 0 if whole else 2)
    return f"{text} {currency}".strip()


def to_base(
    amount: Decimal, currency: str, *, base: str, rates: dict[str, Decimal]
) -> Decimal | None:
    """The amount in the base currency; None when its currency has no rate. An amount without
    a currency is in the base currency."""
    if currency in ("", base):
        return amount
    rate = rates.get(currency)
    return None if rate is None else amount * rate
