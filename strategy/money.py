"""Amounts of money: shown with thousands separators and their currency, converted to the
company's base currency with the rates executives keep per fiscal year."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def format_money(amount, currency: str = "") -> str:
    """12500 → "12,500 EUR"; cents only when there are some: "12,500.50 EUR"."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
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
