"""Locale-aware formatting for buyer pages: money, dates and times in the buyer's language and zone.

Dates and numbers come from CLDR through Babel, in the active language and the active time zone
(views activate the buyer's). Formatting never fails a page: odd input prints as it is.
"""

import contextlib
from datetime import date, datetime

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal
from django import template
from django.utils import timezone, translation

from apps.core import formats
from apps.tracking.links import go_path, web_url_or_empty
from apps.tracking.progress import status_label

register = template.Library()


def _locale() -> str:
    return (translation.get_language() or "en").replace("-", "_")


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def money(amount, currency: str = "") -> str:
    """42.5, 'EUR' → '€42.50' (en), '42,50 €' (ru, it, kk); 39000, 'KRW' → '39,000원' (ko): apps.core.formats,
    the same text as the emails."""
    return formats.money(amount, currency, translation.get_language())


@register.filter
def number(value) -> str:
    try:
        return format_decimal(value, locale=_locale())
    except (UnknownLocaleError, ValueError, TypeError):
        return str(value)


@register.filter
def when(value) -> str:
    """A moment as day, month and time: '14 мар. 14:05', '3월 14일 14:05', 'Mar 14, 2:05 PM'."""
    if not isinstance(value, datetime):
        return ""
    local = _local(value)
    locale = _locale()
    day = format_skeleton("MMMd", local, locale=locale)
    time = format_skeleton("Hm", local, locale=locale) if locale != "en" else format_time(local, "short", locale=locale)
    return f"{day}, {time}" if locale == "en" else f"{day} {time}"


@register.filter
def weekday(value) -> str:
    """A day with its weekday: 'Tue, Dec 1', 'вт, 1 дек.', '12월 1일 화요일', '1 желтоқсан, сейсенбі'."""
    return formats.delivery_day(value, translation.get_language())


@register.filter
def long_date(value) -> str:
    """'March 14, 2025', '14 марта 2025 г.', '2025년 3월 14일': the same text as the emails."""
    return formats.long_date(value, translation.get_language())


@register.filter
def iso(value) -> str:
    """The machine-readable form for <time datetime=...>."""
    if isinstance(value, datetime):
        return _local(value).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return ""


@register.filter
def web_url(value) -> str:
    """The URL when it is an absolute http(s) one, else '': merchant and carrier data never become
    javascript: links."""
    return web_url_or_empty(str(value or ""))


@register.simple_tag(takes_context=True)
def go(context, order, block: str, url: str) -> str:
    """The counted, signed link from a block of this order's tracking page to `url` ('' if unusable).
    A page reached by lookup links straight to `url`: a counted link would carry the emailed token."""
    if context.get("limited"):
        return web_url_or_empty(url)
    return go_path(token=order.tracking_token, block=block, url=url)


@register.filter
def shipment_status(status: str) -> str:
    """A normalised shipment status in the buyer's words."""
    return status_label(status)


@register.filter
def place(event) -> str:
    """Where a carrier event happened, with the country named in the buyer's language."""
    country = getattr(event, "country", "") or ""
    if country:
        with contextlib.suppress(UnknownLocaleError, ValueError):
            country = Locale.parse(_locale()).territories.get(country.upper(), country)
    parts = (getattr(event, "city", ""), getattr(event, "region", ""), country)
    return ", ".join(part for part in parts if part)
