"""Merchant values that land in CSS, in URL attributes and in email headers: what each one may be.

A brand value is checked twice. When it is saved, a validator refuses anything that is not plainly
what it claims to be (a clear form error). When it is rendered, a neutraliser outputs it only if it
is still valid, else a safe fallback: a value may be in the database from before the validators, or
written past them (an import, the admin, a queryset update). A font family or colour goes into a
<style> block, where HTML escaping does not apply and `}` or `;` would end the declaration, so the
grammar, not escaping, is what makes them safe.

Templates use the neutralisers as filters: `{% load safe_values %}`, then `css_colour`,
`css_font_family`, `web_url` and `web_links` (templatetags/safe_values.py).
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from apps.core.mailbox import CONTROL_CHARACTERS

# --- Colours --------------------------------------------------------------------------------
HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def is_css_colour(value) -> bool:
    """#rgb or #rrggbb, nothing else (no names, no functions, no `;`)."""
    return isinstance(value, str) and HEX_COLOUR.fullmatch(value) is not None


def css_colour(value, fallback: str) -> SafeString:
    """The colour when it is #rgb or #rrggbb, else `fallback` (which must be one)."""
    if is_css_colour(value):
        return mark_safe(value)  # only # and hex digits
    if not is_css_colour(fallback):
        raise ValueError(f"the fallback colour {fallback!r} is not #rgb or #rrggbb")
    return mark_safe(fallback)


# --- Font families --------------------------------------------------------------------------
FONT_FAMILY_MAX_CHARS = 120
# A comma-separated list of font names. A name is either quoted ("Noto Sans", 'Segoe UI': letters,
# digits, spaces, hyphens and underscores inside a balanced pair of the same quote) or unquoted words
# (Georgia, Times New Roman, -apple-system, sans-serif). Nothing can end the declaration or the block.
_WORD = r"-?[^\W\d][\w-]*"
_FAMILY = rf"(?:\"[\w -]+\"|'[\w -]+'|{_WORD}(?: +{_WORD})*)"
FONT_FAMILY = re.compile(rf" *{_FAMILY}(?: *, *{_FAMILY})* *")


def is_font_family(value) -> bool:
    return isinstance(value, str) and len(value) <= FONT_FAMILY_MAX_CHARS and FONT_FAMILY.fullmatch(value) is not None


def validate_font_family(value: str) -> None:
    if value and not is_font_family(value):
        raise ValidationError(
            _(
                'Use font names separated by commas, such as Georgia, "Times New Roman", serif: letters, digits, '
                "spaces and hyphens, with quotes in pairs."
            ),
            code="font_family",
        )


def css_font_family(value, fallback: str) -> SafeString:
    """The merchant's font list when it is valid, else `fallback` (which must be valid)."""
    if value and is_font_family(value):
        return mark_safe(value.strip())  # the grammar admits no <, &, ;, {, } or backslash
    if not is_font_family(fallback):
        raise ValueError(f"the fallback font family {fallback!r} is not a valid font list")
    return mark_safe(fallback)


# --- Links ----------------------------------------------------------------------------------
WEB_SCHEMES = ("http", "https")


def is_web_url(value) -> bool:
    """An absolute http(s) URL: never javascript:, data:, a relative path or something with a line break."""
    if not isinstance(value, str) or not value or CONTROL_CHARACTERS.search(value) or " " in value:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in WEB_SCHEMES and bool(parts.netloc)


def validate_web_url(value: str) -> None:
    if value and not is_web_url(value):
        raise ValidationError(_("Use a full web address starting with https:// (or http://)."), code="web_url")


def web_url(value) -> str:
    """The URL when it is an absolute http(s) one, else ''."""
    return value if is_web_url(value) else ""


_LINK_NAME = re.compile(r"[a-z0-9_-]{1,40}")


def web_links(links) -> list[tuple[str, str]]:
    """(name, url) pairs of a {name: url} mapping (social links), keeping only plain names and web URLs."""
    if not isinstance(links, dict):
        return []
    return [
        (name, url)
        for name, url in links.items()
        if isinstance(name, str) and _LINK_NAME.fullmatch(name) and is_web_url(url)
    ]


# --- Stored file names and header text ------------------------------------------------------
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def validate_stored_file_name(value) -> None:
    """A stored file (the logo) is a relative path in our storage: never a URL, an absolute path or `..`."""
    if not getattr(value, "_committed", True):
        return  # a new upload: the storage chooses its name when it saves it
    name = getattr(value, "name", value) or ""
    if (
        _SCHEME.match(name)
        or name.startswith(("/", "\\"))
        or ".." in name.split("/")
        or CONTROL_CHARACTERS.search(name)
    ):
        raise ValidationError(_("This is not a file uploaded here. Upload the image again."), code="stored_file")


def validate_single_line(value: str) -> None:
    """Text that goes into an email header (the sender's name) or a one-line place: no line breaks or
    other control characters."""
    if value and CONTROL_CHARACTERS.search(value):
        raise ValidationError(_("Use one line of text, without line breaks or tabs."), code="single_line")
