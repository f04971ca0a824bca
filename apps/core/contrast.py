"""WCAG 2.1 colour contrast: relative luminance, contrast ratio, and readable colours on a brand.

A merchant picks their colours for looks; these helpers make sure text set on them stays
readable (AA: 4.5:1 for body text, 3:1 for large text and for focus rings and other UI parts).
"""

import re

AA_TEXT = 4.5
AA_LARGE_TEXT = 3.0
AA_NON_TEXT = 3.0

WHITE = "#ffffff"
NEAR_BLACK = "#111827"
# A store's brand colours when it sets none (or a stored one is not a colour): pages and emails alike.
DEFAULT_PRIMARY = "#1f2937"
DEFAULT_ACCENT = "#2563eb"
DEFAULT_PAGE = "#f8fafc"

_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


def parse_hex(colour: str) -> tuple[int, int, int]:
    """(r, g, b) in 0–255 from '#1f6feb', '1f6feb' or '#fff'; ValueError for anything else."""
    match = _HEX.match((colour or "").strip())
    if not match:
        raise ValueError(f"not a hex colour: {colour!r}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def is_hex_colour(colour: str) -> bool:
    return bool(_HEX.match((colour or "").strip()))


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance: 0 for black, 1 for white."""
    r, g, b = (_channel(c) for c in parse_hex(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05) with L1 the lighter colour: from 1 (same) to 21 (black on white)."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def passes(foreground: str, background: str, *, ratio: float = AA_TEXT) -> bool:
    return contrast_ratio(foreground, background) >= ratio


def readable_text_on(background: str, *, candidates: tuple[str, ...] = (WHITE, NEAR_BLACK)) -> str:
    """The first candidate that passes AA for body text on `background`, else the one with most contrast.

    White or near-black on a brand colour: at least one of them always reaches 4.5:1.
    """
    for candidate in candidates:
        if passes(candidate, background):
            return candidate
    return max(candidates, key=lambda c: contrast_ratio(c, background))


def _mix(colour: str, target: str, amount: float) -> str:
    (r1, g1, b1), (r2, g2, b2) = parse_hex(colour), parse_hex(target)
    return to_hex((r1 + (r2 - r1) * amount, g1 + (g2 - g1) * amount, b1 + (b2 - b1) * amount))


def ensure_contrast(foreground: str, background: str, *, ratio: float = AA_TEXT) -> str:
    """`foreground` itself when it is readable on `background`; else the nearest shade of it that is.

    The colour is mixed towards black (on light backgrounds) or white (on dark ones) in small
    steps, so a brand's accent keeps its hue while links and buttons become readable.
    """
    if passes(foreground, background, ratio=ratio):
        return to_hex(parse_hex(foreground))
    towards = "#000000" if relative_luminance(background) > 0.18 else "#ffffff"
    for step in range(1, 21):
        shade = _mix(foreground, towards, step / 20)
        if passes(shade, background, ratio=ratio):
            return shade
    return readable_text_on(background)
