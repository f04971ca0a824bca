"""Money and dates as a buyer reads them, in one place: the emails (apps.campaigns.context) and the buyer
pages (apps.tracking templatetags) both call these, so one buyer never sees two formats.

Everything comes from CLDR through Babel, with a few shop conventions CLDR does not carry:

- a currency's own decimals (none for KRW or JPY), and for currencies whose shops price in whole units
  (RUB, KZT) no ',00' on a whole amount: '39 000 ₽', '39 000,50 ₽';
- Korean shops write won after the number: '39,000원', not '₩39,000';
- the delivery day names the weekday in full where CLDR's skeleton abbreviates it unreadably (kk).

Formatting never fails a page or an email: odd input prints as it is.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from babel.core import UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.numbers import format_currency, format_decimal, get_currency_precision

# Prices in these are whole in practice: a whole amount shows no minor units.
WHOLE_UNIT_CURRENCIES = {"RUB", "KZT"}
# A currency written after the number in words, per language (CLDR gives '₩39,000').
NATIVE_SUFFIXES = {("ko", "KRW"): "원"}
# The delivery day, 'd MMMM, EEEE' where the skeleton 'MMMMEEEEd' gives abbreviations ('1 жел., сс' in kk).
DELIVERY_DAY_PATTERNS = {"kk": "d MMMM, EEEE"}


def babel_locale(language: str | None) -> str:
    return (language or "en").replace("-", "_")


def _decimal(amount) -> Decimal | None:
    if amount is None or amount == "":
        return None
    try:
        return Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return None


def money(amount, currency: str, language: str | None) -> str:
    """42.5, 'EUR', 'it' → '42,50 €'; 39000, 'RUB', 'ru' → '39 000 ₽'; 39000, 'KRW', 'ko' → '39,000원'.
    '' for no amount; without a currency, the number alone."""
    value = _decimal(amount)
    if value is None:
        return "" if amount is None or amount == "" else str(amount)
    code = (currency or "").upper()
    locale = babel_locale(language)
    try:
        if not code:
            return format_decimal(value, locale=locale)
        digits = get_currency_precision(code)
        if code in WHOLE_UNIT_CURRENCIES and value == value.to_integral_value():
            digits = 0
        suffix = NATIVE_SUFFIXES.get((locale.split("_")[0], code))
        if suffix:
            number = format_decimal(value, format=_number_pattern(digits), locale=locale)
            return f"{number}{suffix}"
        if digits == get_currency_precision(code):
            return format_currency(value, code, locale=locale)
        return format_currency(value, code, format=_currency_pattern(locale, digits), locale=locale,
                               currency_digits=False)  # fmt: skip
    except (UnknownLocaleError, ValueError):
        return f"{value:.2f} {code}".strip()


def _number_pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits else "")


def _currency_pattern(locale: str, digits: int) -> str:
    from babel.core import Locale

    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    positive = pattern.split(";")[0]
    head, _, tail = positive.partition("0.")
    if not _:
        return positive
    # '#,##0.00 ¤' → '#,##0 ¤': drop the fraction digits, keep the symbol's place and spacing.
    rest = tail.lstrip("0")
    return f"{head}0" + ("." + "0" * digits if digits else "") + rest


def _day(value) -> date | None:
    if isinstance(value, datetime):
        from django.utils import timezone

        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    return value if isinstance(value, date) else None


def long_date(value, language: str | None) -> str:
    """'December 1, 2026', '1 декабря 2026 г.', '2026년 12월 1일', '2026 ж. 1 желтоқсан', '1 dicembre 2026'.
    A datetime is read in the active time zone."""
    day = _day(value)
    if day is None:
        return ""
    try:
        return format_date(day, "long", locale=babel_locale(language))
    except (UnknownLocaleError, ValueError):
        return day.isoformat()


def delivery_day(value, language: str | None) -> str:
    """A day with its weekday, for an estimated delivery: 'Tue, Dec 1', '1 желтоқсан, сейсенбі'."""
    day = _day(value)
    if day is None:
        return ""
    locale = babel_locale(language)
    try:
        pattern = DELIVERY_DAY_PATTERNS.get(locale.split("_")[0])
        return format_date(day, pattern, locale=locale) if pattern else format_skeleton("MMMMEEEEd", day, locale=locale)
    except (UnknownLocaleError, ValueError):
        return day.isoformat()
