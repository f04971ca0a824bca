"""Brand values are checked for where they land: validators when saved, neutralisers when rendered."""

import pytest
from django.core.exceptions import ValidationError
from django.template import engines
from hypothesis import given
from hypothesis import strategies as st

from apps.core.safe_values import (
    css_colour,
    css_font_family,
    is_font_family,
    validate_font_family,
    validate_single_line,
    validate_stored_file_name,
    validate_web_url,
    web_links,
    web_url,
)

FALLBACK_FONT = "-apple-system, 'Segoe UI', Arial, sans-serif"
CSS_BREAKERS = set(";{}<>\\/:()@!&\n\r")


@pytest.mark.parametrize(
    "font",
    [
        "Georgia, serif",
        'Georgia, "Times New Roman", serif',
        "Georgia, 'Noto Serif', serif",
        "-apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans KR', Arial, sans-serif",
        "system-ui, sans-serif",
        "Times New Roman",
        "'맑은 고딕', sans-serif",
        "PT Sans Caption",
    ],
)
def test_font_lists_merchants_write_are_accepted_and_rendered_as_written(font):
    validate_font_family(font)
    assert css_font_family(font, FALLBACK_FONT) == font


@pytest.mark.parametrize(
    "font",
    [
        "Arial} .foot{display:none}",
        "Arial; color: red",
        'Georgia"; } body { display:none } </style>',
        "Georgia, serif</style><script>alert(1)</script>",
        "\"Noto Serif', serif",  # quotes that do not pair
        "'Noto Serif, serif",
        "Arial, ",  # an empty name
        "url(https://evil.example/x)",
        "Arial\\3b color:red",  # a CSS escape
        "Arial /* comment */",
        "Arial\ncolor: red",
        "x" * 121,
    ],
)
def test_anything_else_in_a_font_is_refused_and_rendered_as_the_fallback(font):
    with pytest.raises(ValidationError):
        validate_font_family(font)
    assert css_font_family(font, FALLBACK_FONT) == FALLBACK_FONT


@given(st.text(max_size=150))
def test_whatever_is_stored_the_font_in_the_style_block_cannot_end_the_declaration(font):
    rendered = css_font_family(font, FALLBACK_FONT)
    assert is_font_family(rendered)
    assert not set(rendered) & CSS_BREAKERS
    for quote in "\"'":
        assert rendered.count(quote) % 2 == 0


@pytest.mark.parametrize("colour", ["#1f6feb", "#FFF", "#abc"])
def test_hex_colours_are_rendered_as_they_are(colour):
    assert css_colour(colour, "#000000") == colour


@pytest.mark.parametrize(
    "colour", ["red;background:url(https://evil)", "red", "#12345g", "#1234", "rgb(0,0,0)", "", None, "#fff;x:y"]
)
def test_anything_but_a_hex_colour_renders_as_the_fallback(colour):
    assert css_colour(colour, "#1f2937") == "#1f2937"


def test_a_fallback_must_itself_be_safe():
    with pytest.raises(ValueError):
        css_colour("red", "blue;x:y")
    with pytest.raises(ValueError):
        css_font_family("", "Arial}")


NOT_WEB = [
    "javascript:alert(1)",
    "data:text/html,x",
    "/relative",
    "//evil.example/x",
    "ftp://files.example/x",
    "https://ex ample.com",
    "https://x.example/\nSet-Cookie: a",
]


@pytest.mark.parametrize("url", NOT_WEB)
def test_only_absolute_web_addresses_are_links(url):
    with pytest.raises(ValidationError):
        validate_web_url(url)
    assert web_url(url) == ""


def test_web_links_keeps_plain_names_with_web_addresses():
    links = {"instagram": "https://instagram.com/shop", "x": "javascript:alert(1)", "a b": "https://ok.example"}
    assert web_links(links) == [("instagram", "https://instagram.com/shop")]
    assert web_links(["https://x.example"]) == []


@pytest.mark.parametrize("name", ["javascript:alert(1)", "https://evil.example/logo.png", "/etc/passwd", "../x.png"])
def test_a_stored_file_name_is_a_path_in_our_storage(name):
    with pytest.raises(ValidationError):
        validate_stored_file_name(name)
    validate_stored_file_name("logos/northwind.png")


def test_header_text_is_one_line():
    validate_single_line("Smith, Jones & Co")
    with pytest.raises(ValidationError):
        validate_single_line("Shop\r\nBcc: everyone@example.com")


def test_the_filters_render_the_safe_value():
    template = engines["django"].from_string(
        "{% load safe_values %}{{ font|css_font_family:'Georgia, serif' }}|{{ colour|css_colour:'#ffffff' }}|"
        "{{ logo|web_url }}|{% for name, url in links|web_links %}{{ name }}={{ url }}{% endfor %}"
    )
    hostile = {
        "font": "Arial} .foot{display:none}",
        "colour": "red;background:url(https://evil)",
        "logo": "javascript:alert(1)",
        "links": {"x": "javascript:alert(1)", "instagram": "https://instagram.com/shop"},
    }
    assert template.render(hostile) == "Georgia, serif|#ffffff||instagram=https://instagram.com/shop"
    assert template.render({"font": "'Noto Serif', serif", "colour": "#abc"}).startswith("'Noto Serif', serif|#abc|")
