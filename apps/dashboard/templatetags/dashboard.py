"""Small helpers for dashboard templates: role checks for showing links, and percentages."""

from django import template

from apps.stores.models import Membership
from apps.stores.permissions import can as role_can

register = template.Library()


@register.filter
def can(membership, action: str) -> bool:
    """{% if current_membership|can:"edit_flows" %}: only for showing links; views enforce the same rule."""
    if not isinstance(membership, Membership):
        return False  # not on a dashboard page, or not a member of any store
    return role_can(membership, action)


@register.filter
def percent(value, digits: int = 0) -> str:
    """0.256 → "26%"; None → "—"."""
    if value is None:
        return "—"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def signed(value) -> str:
    """An NPS score with its sign: +42, −7, 0; None → "—"."""
    if value is None:
        return "—"
    return f"+{value}" if value > 0 else ("−" + str(-value) if value < 0 else "0")


@register.filter
def delay(minutes) -> str:
    """A step's delay in words: "right away", "45 min", "3 h", "2 days"."""
    minutes = int(minutes or 0)
    if minutes == 0:
        return "right away"
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
