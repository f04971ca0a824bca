"""Render-time neutralisers for merchant values (apps/core/safe_values.py): each outputs the value when
it is valid for where it lands, else a safe fallback.

    {% load safe_values %}
    background: {{ store.background_colour|css_colour:"#f8fafc" }};
    font-family: {{ store.font_family|css_font_family:"Georgia, serif" }};
    <img src="{{ store.logo_url|web_url }}">   {% for name, url in store.social_links|web_links %}…
"""

from django import template

from apps.core import safe_values

register = template.Library()


@register.filter
def css_colour(value, fallback: str):
    """#rgb / #rrggbb, else the fallback colour."""
    return safe_values.css_colour(value, fallback)


@register.filter
def css_font_family(value, fallback: str):
    """A list of font names, else the fallback list."""
    return safe_values.css_font_family(value, fallback)


@register.filter
def web_url(value) -> str:
    """An absolute http(s) URL, else ''."""
    return safe_values.web_url(value)


@register.filter
def web_links(value) -> list[tuple[str, str]]:
    """The (name, url) pairs of a {name: url} mapping whose URL is an absolute http(s) one."""
    return safe_values.web_links(value)
