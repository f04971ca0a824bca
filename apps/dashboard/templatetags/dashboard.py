"""Small helpers for dashboard templates: role checks for showing links, and percentages, durations and
differences in the merchant's language (numbers for people: localised; never use these in SVG attributes)."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
    return f"{_rounded(100 * float(value), int(digits))}%"


def _rounded(value, digits: int, grouping: bool = False) -> str:
    """A number rounded half-even to `digits` decimals (as f-strings round), written the merchant's way."""
    return number_format(Decimal(f"{value:.{digits}f}"), digits, force_grouping=grouping)


def _length(minutes: int) -> str:
    if minutes and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    if minutes and minutes % 60 == 0:
        return _("%(count)s h") % {"count": minutes // 60}
    return _("%(count)s min") % {"count": minutes}


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
        return _("right away")
    return _length(minutes)


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def duration(minutes) -> str:
    """A length of time in words: "45 min", "12 h", "2 days"; None → ""."""
    if minutes is None or minutes == "":
        return ""
    return _length(int(minutes))


@register.filter
def points(value, digits: int = 1) -> str:
    """A difference of two rates in percentage points, signed: +2.3 pts, −0.4 pts; None → "—"."""
    if value is None:
        return "—"
    text = f"{abs(float(value)):.{int(digits)}f}"
    sign = "+" if value > 0 and float(text) else ("−" if value < 0 and float(text) else "±")
    return _("%(points)s pts") % {"points": sign + _rounded(abs(float(value)), int(digits))}


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
    return ("+" if value > 0 else "−" if value < 0 else "±") + _rounded(abs(value), 2, grouping=True)
