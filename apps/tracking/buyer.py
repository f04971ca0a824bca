"""The shell every buyer-facing page shares: language, time zone and the store's brand.

Used by the tracking pages here and by apps.feedback (NPS, preference centre, unsubscribe).
"""

import re
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from apps.core.contrast import (
    AA_NON_TEXT,
    DEFAULT_ACCENT,
    DEFAULT_PAGE,
    DEFAULT_PRIMARY,
    NEAR_BLACK,
    WHITE,
    contrast_ratio,
    ensure_contrast,
    is_hex_colour,
    readable_text_on,
)
from apps.core.safe_values import css_font_family

# The buyer's explicit choice (?lang=) is remembered in its own cookie, not Django's, so a
# merchant previewing their buyer page in Korean does not get a Korean dashboard.
LANGUAGE_COOKIE = "afterglow_lang"
LANGUAGE_COOKIE_AGE = timedelta(days=365)
SUPPORTED_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
LANGUAGE_NAMES = dict(settings.LANGUAGES)


def _base_language(code: str | None) -> str:
    """'ru-RU', 'ru_ru' or 'RU' → 'ru'; '' when not one we translate into."""
    base = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return base if base in SUPPORTED_LANGUAGES else ""


def accept_language(header: str) -> list[str]:
    """Languages from an Accept-Language header, best first, as base codes (duplicates kept once)."""
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        code = _base_language(tag)
        if code and quality > 0:
            ranked.append((-quality, position, code))
    seen: list[str] = []
    for _quality, _position, code in sorted(ranked):
        if code not in seen:
            seen.append(code)
    return seen


def offered_languages(store) -> list[str]:
    languages = [code for code in store.offered_languages if code in SUPPORTED_LANGUAGES]
    return languages or [_base_language(store.default_language) or "en"]


def choose_language(request, *, store, customer=None, order=None) -> tuple[str, str]:
    """The language for a buyer page, and the one to remember in a cookie ('' for none).

    In order: `?lang=` (then remembered), the remembered choice, the customer's own locale (or
    the order's), the browser's Accept-Language among the languages the store offers, and last
    the store's default.
    """
    asked = _base_language(request.GET.get("lang"))
    if asked:
        return asked, asked
    remembered = _base_language(request.COOKIES.get(LANGUAGE_COOKIE))
    if remembered:
        return remembered, ""
    for locale in (getattr(customer, "locale", ""), getattr(order, "locale", "")):
        if _base_language(locale):
            return _base_language(locale), ""
    offered = offered_languages(store)
    for code in accept_language(request.headers.get("Accept-Language", "")):
        if code in offered:
            return code, ""
    return _base_language(store.default_language) or offered[0], ""


def use_language(request, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = language


def remember_language(response, language: str) -> None:
    if language:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=int(LANGUAGE_COOKIE_AGE.total_seconds()),
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )


def language_links(store, current: str) -> list[dict]:
    """The language switcher: the store's languages, and the current one if the buyer chose another."""
    codes = offered_languages(store)
    if current not in codes:
        codes = [*codes, current]
    return [{"code": code, "name": LANGUAGE_NAMES[code], "current": code == current} for code in codes]


def buyer_time_zone(*, store, customer=None) -> zoneinfo.ZoneInfo:
    """The customer's time zone when it is a real one, else the store's, else UTC."""
    for name in (getattr(customer, "time_zone", ""), store.time_zone):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


# --- Brand ----------------------------------------------------------------------------------
SYSTEM_FONTS = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans KR", sans-serif'


def _colour(value: str, default: str) -> str:
    return value.lower() if is_hex_colour(value) and value.startswith("#") and len(value) == 7 else default


def safe_font_stack(font_family: str) -> str:
    """The merchant's font list, when it is one (apps/core/safe_values), ahead of the system fonts."""
    chosen = css_font_family(font_family, SYSTEM_FONTS)
    return SYSTEM_FONTS if chosen == SYSTEM_FONTS else f"{chosen}, {SYSTEM_FONTS}"


def brand_palette(store) -> dict[str, str]:
    """The store's colours with text colours chosen to be readable on them (WCAG 2.1 AA)."""
    primary = _colour(store.primary_colour, DEFAULT_PRIMARY)
    accent = _colour(store.accent_colour, DEFAULT_ACCENT)
    page = _colour(store.background_colour, DEFAULT_PAGE)
    on_page = readable_text_on(page, candidates=(NEAR_BLACK, WHITE, "#000000"))
    return {
        "brand": primary,
        "on-brand": readable_text_on(primary, candidates=(WHITE, NEAR_BLACK, "#000000")),
        "accent": accent,
        "on-accent": readable_text_on(accent, candidates=(WHITE, NEAR_BLACK, "#000000")),
        # Links and small accent text sit on white panels.
        "link": ensure_contrast(accent, WHITE),
        # Progress bars, focus rings, borders: 3:1 against the white panel is enough.
        "ui": ensure_contrast(accent, WHITE, ratio=AA_NON_TEXT),
        "page": page,
        "on-page": on_page,
        "on-page-muted": ensure_contrast("#4b5563" if on_page != WHITE else "#d1d5db", page),
        "focus-on-page": ensure_contrast(accent, page, ratio=AA_NON_TEXT),
    }


def brand_css(store) -> SafeString:
    """The `:root` custom properties for the nonce'd <style> block: validated colours and a cleaned font."""
    palette = brand_palette(store)
    declarations = [f"--{name}: {value};" for name, value in palette.items()]
    declarations.append(f"--font: {safe_font_stack(store.font_family)};")
    return mark_safe(":root { " + " ".join(declarations) + " }")  # every part is validated above


def brand_contrast_report(store) -> dict[str, float]:
    """Contrast ratios of the pairs the pages use, for the brand settings page and tests."""
    palette = brand_palette(store)
    return {
        "header": contrast_ratio(palette["on-brand"], palette["brand"]),
        "button": contrast_ratio(palette["on-accent"], palette["accent"]),
        "link": contrast_ratio(palette["link"], WHITE),
        "page": contrast_ratio(palette["on-page"], palette["page"]),
    }


def buyer_page(request, *, store, customer, template: str, context: dict, remember: str = "", status: int = 200):
    """A buyer page reached from an email (NPS, cart answers, reviews…): in the store's brand, with the language
    switcher, times in the buyer's zone, and the language remembered when the buyer chose one."""
    context = {
        "store": store,
        "brand_css": brand_css(store),
        "languages": language_links(store, request.LANGUAGE_CODE),
        **context,
    }
    with timezone.override(buyer_time_zone(store=store, customer=customer)):
        response = render(request, template, context, status=status)
    remember_language(response, remember)
    return response


def see_other(url: str) -> HttpResponseRedirect:
    """After a POST, the page to GET next (303: never re-sent by a reload)."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response
