"""WCAG 2.1 contrast helpers, and the readable colours buyer pages pick on a merchant's brand."""

import pytest

from apps.core.contrast import (
    NEAR_BLACK,
    WHITE,
    contrast_ratio,
    ensure_contrast,
    parse_hex,
    readable_text_on,
    relative_luminance,
)
from apps.tracking.buyer import brand_contrast_report, brand_css, safe_font_stack
from tests.stores.factories import StoreFactory


def test_relative_luminance_follows_wcag():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert relative_luminance("#808080") == pytest.approx(0.2159, abs=1e-4)


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#777777", "#ffffff", 4.48),  # the classic "just fails AA" grey
        ("#2563eb", "#ffffff", 5.17),
        ("#fff", "#000", 21.0),
    ],
)
def test_contrast_ratio_is_symmetric_and_matches_known_values(first, second, ratio):
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)


def test_white_text_on_dark_brands_and_dark_text_on_light_ones():
    assert readable_text_on("#1f2937") == WHITE
    assert readable_text_on("#fde047") == NEAR_BLACK  # a sunny yellow
    assert readable_text_on("#22c55e") == NEAR_BLACK  # white on this green is only 2.3:1


@pytest.mark.parametrize("background", ["#777777", "#ff00ff", "#00a3ff", "#e11d48", "#10b981", "#6b7280"])
def test_some_candidate_always_reaches_aa_on_any_brand_colour(background):
    text = readable_text_on(background, candidates=(WHITE, NEAR_BLACK, "#000000"))
    assert contrast_ratio(text, background) >= 4.5


def test_ensure_contrast_keeps_a_readable_colour_and_darkens_a_pale_one():
    assert ensure_contrast("#1d4ed8", "#ffffff") == "#1d4ed8"
    shade = ensure_contrast("#fbbf24", "#ffffff")  # amber links on white are unreadable
    assert contrast_ratio(shade, "#ffffff") >= 4.5
    assert parse_hex(shade)[0] > parse_hex(shade)[2]  # still amber-ish, not grey or blue
    assert contrast_ratio(ensure_contrast("#1e3a8a", "#0f172a"), "#0f172a") >= 4.5  # lightened on dark


def test_bad_colours_are_refused():
    with pytest.raises(ValueError):
        parse_hex("red")


def test_a_stores_palette_passes_aa_whatever_the_merchant_picked():
    store = StoreFactory.build(primary_colour="#facc15", accent_colour="#a3e635", background_colour="#111111")
    report = brand_contrast_report(store)
    assert all(ratio >= 4.5 for ratio in report.values()), report


def test_brand_css_cannot_be_broken_out_of():
    store = StoreFactory.build(
        primary_colour="red;}</style><script>", font_family='Georgia"; } body { display:none } </style>'
    )
    css = brand_css(store)
    assert "</style>" not in css and "<" not in css and "}" not in css.rstrip(" }")
    assert "--brand: #1f2937;" in css  # an invalid colour falls back to the default
    assert safe_font_stack('"Playfair Display", serif').startswith('"Playfair Display", serif, system-ui')
    # a list that is not one (an unclosed quote) is dropped for the system fonts, as in emails
    assert safe_font_stack('"Playfair Display, serif').startswith("system-ui")
