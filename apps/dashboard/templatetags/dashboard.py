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


@register.filter
def duration(minutes) -> str:
    """A length of time in words: "45 min", "12 h", "2 days"; None → ""."""
    if minutes is None or minutes == "":
        return ""
    minutes = int(minutes)
    if minutes and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes and minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


@register.filter
def points(value, digits: int = 1) -> str:
    """A difference of two rates in percentage points, signed: +2.3 pts, −0.4 pts; None → "—"."""
    if value is None:
        return "—"
    text = f"{abs(float(value)):.{int(digits)}f}"
    sign = "+" if value > 0 and float(text) else ("−" if value < 0 and float(text) else "±")
    return f"{sign}{text} pts"


@register.filter
def relative(value) -> str:
    """A relative change, signed: 0.18 → "+18 %", -0.05 → "−5 %"; None → "—"."""
    if value is None:
        return "—"
    rounded = round(100 * float(value))
    return f"+{rounded} %" if rounded > 0 else (f"−{-rounded} %" if rounded < 0 else "±0 %")


@register.filter
def signed_amount(value) -> str:
    """An amount of money with its sign and two decimals: +3.55, −0.40, ±0.00; None → "—"."""
    if value is None:
        return "—"
    text = f"{abs(value):,.2f}"
    return ("+" if value > 0 else "−" if value < 0 else "±") + text
