from django import template

from strategy import formats
from strategy.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """{{ c.amount|money:c.currency }} → 12,500 EUR (en), 12.500 € (de), 12 500 € (fr)."""
    return format_money(amount, currency)


@register.filter
def number(value, decimals="") -> str:
    """{{ n|number }} → 12,500 (en), 12.500 (de); {{ n|number:1 }} → 12,500.0, 12.500,0."""
    return formats.format_number(value, int(decimals) if str(decimals) != "" else None)


@register.filter
def percent(value, decimals=0) -> str:
    """{{ share|percent }}, a share in percent points → 42% (en), 42 % (de, fr, es)."""
    return formats.format_percent(value, int(decimals or 0))
