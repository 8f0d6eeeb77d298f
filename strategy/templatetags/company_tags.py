from django import template

from strategy.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """{{ c.amount|money:c.currency }} → 12,500 EUR."""
    return format_money(amount, currency)
