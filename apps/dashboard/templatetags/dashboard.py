"""Small helpers for dashboard templates: role checks for showing links, and percentages, durations and
differences in the merchant's language (numbers for people: localised; never use these in SVG attributes)."""

import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

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


# --- The message log's trace ----------------------------------------------------------------
@register.filter
def moment(value, zone: str = ""):
    """A moment (a datetime, or an ISO 8601 string as the message trace stores them) as the wall-clock time
    of a time zone, for the `date` filter: {{ entry.at|moment:current_store.time_zone|date:"j M Y, H:i" }}.
    A moment without an offset is UTC (what the ledger writes). The result is naive on purpose: `date`
    would turn an aware one back into the request's zone (UTC). Unreadable input → None."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        local = value.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = value.astimezone(UTC)
    return local.replace(tzinfo=None)


# What a step of an email's life was (the `action` campaigns writes in each trace entry)…
TRACE_ACTIONS = {
    "scheduled": pgettext_lazy("a step in an email's life", "Planned"),
    "deferred": pgettext_lazy("a step in an email's life", "Held back"),
    "retry": pgettext_lazy("a step in an email's life", "To be tried again"),
    "sending": pgettext_lazy("a step in an email's life", "Being sent"),
    "sent": pgettext_lazy("a step in an email's life", "Sent"),
    "skipped": pgettext_lazy("a step in an email's life", "Not sent"),
    "suppressed": pgettext_lazy("a step in an email's life", "Not sent: address suppressed"),
    "failed": pgettext_lazy("a step in an email's life", "Failed"),
    "unknown": pgettext_lazy("a step in an email's life", "Outcome unknown"),
}
# …and by which rule (`rule`: the send-time rules, the flows' exits, dispatch, the ledger, the demo).
TRACE_RULES = {
    "trigger": gettext_lazy("what started the flow"),
    "holdout": gettext_lazy("in the holdout group"),
    "cancelled": gettext_lazy("cancelled by a person"),
    "suppression": gettext_lazy("the address is suppressed"),
    "flow_disabled": gettext_lazy("the flow or step is switched off"),
    "send_window": gettext_lazy("too late to be worth sending"),
    "preferences": gettext_lazy("the buyer's email preferences"),
    "exit_on_order": gettext_lazy("the buyer ordered"),
    "order_cancelled": gettext_lazy("the order was cancelled"),
    "order_refunded": gettext_lazy("the order was refunded"),
    "answered": gettext_lazy("the buyer already answered"),
    "status_moved_on": gettext_lazy("the parcel's status moved on"),
    "spacing": gettext_lazy("spacing after the flow's previous email"),
    "transactional": gettext_lazy("transactional email: always sent"),
    "consent": gettext_lazy("no marketing consent"),
    "paused": gettext_lazy("the buyer paused marketing email"),
    "shipment_troubled": gettext_lazy("a parcel of this buyer has a problem"),
    "quiet_hours": gettext_lazy("quiet hours"),
    "frequency_cap": gettext_lazy("the frequency cap"),
    "marketing": gettext_lazy("marketing consent given, within pacing"),
    "coupon_in_shop": gettext_lazy("waiting for the shop to create the code"),
    "coupon_refused": gettext_lazy("the shop refused the code"),
    "template": gettext_lazy("the template did not render"),
    "invalid_address": gettext_lazy("the address is not valid"),
    "esp_refused": gettext_lazy("the sending service refused the address"),
    "esp_timeout": gettext_lazy("the sending service did not answer in time"),
    "esp_error": gettext_lazy("an error at the sending service"),
    "sweeper": gettext_lazy("the sending worker stopped mid-send"),
    "demo": gettext_lazy("demo history"),
}


@register.filter
def trace_action(code) -> str:
    """A trace entry's action in words; a code we have no words for is shown as it is."""
    return str(TRACE_ACTIONS.get(code, code or ""))


@register.filter
def trace_rule(code) -> str:
    """A trace entry's rule in words; a code we have no words for is shown as it is."""
    return str(TRACE_RULES.get(code, code or ""))
