"""Server-side SVG chart geometry: no JavaScript and no CDN, so charts also work under a strict CSP."""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float


def daily_bars(values_by_day: dict[date, float], *, first_day: date, days: int, width=600, height=160) -> list[Bar]:
    """One bar per day, including empty days, scaled to the tallest."""
    peak = max(values_by_day.values(), default=0) or 1
    slot = width / days
    bars = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        value = values_by_day.get(day, 0)
        bar_height = round(height * float(value) / float(peak), 2)
        bars.append(
            Bar(
                label=day.isoformat(),
                value=value,
                x=round(offset * slot + slot * 0.15, 2),
                y=round(height - bar_height, 2),
                width=round(slot * 0.7, 2),
                height=bar_height,
            )
        )
    return bars


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    value: int
    percent: float
    offset: float  # where the segment starts in a 0-100 stacked bar


def share_segments(counts: dict[str, int], labels: dict[str, str]) -> list[Segment]:
    """Parts of a whole, largest first, for stacked bars and legends."""
    total = sum(counts.values()) or 1
    segments, offset = [], 0.0
    for key, n in sorted(((k, n) for k, n in counts.items() if n), key=lambda item: -item[1]):
        percent = round(100 * n / total, 1)
        segments.append(Segment(key, labels.get(key, key), n, percent, round(offset, 2)))
        offset += 100 * n / total
    return segments


# --- Categories, lines, stacks and funnels ----------------------------------------------------
# Geometry only: templates draw it with SVG presentation attributes (x, y, width, height, points) and
# CSS classes for colour, never a `style` attribute (the CSP allows styles from our stylesheet only).


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 2)


def category_bars(
    values: list[tuple[str, str, float]], *, width: float = 600, height: float = 160, gap: float = 0.2
) -> list[Column]:
    """One column per (key, label, value), scaled to the tallest; empty categories keep their place."""
    if not values:
        return []
    peak = max((float(v) for _k, _l, v in values), default=0) or 1
    slot = width / len(values)
    columns = []
    for index, (key, label, value) in enumerate(values):
        bar_height = round(height * float(value) / peak, 2)
        columns.append(
            Column(
                key=key,
                label=label,
                value=value,
                x=round(index * slot + slot * gap / 2, 2),
                y=round(height - bar_height, 2),
                width=round(slot * (1 - gap), 2),
                height=bar_height,
            )
        )
    return columns


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    x: float
    y: float


@dataclass(frozen=True)
class Line:
    points: list[Point]
    polyline: str  # the "points" attribute of an SVG <polyline>, gaps skipped
    baseline_y: float  # where zero is (NPS goes from -100 to 100)
    low: float
    high: float


def line_chart(
    values: list[tuple[str, float | None]], *, low: float, high: float, width: float = 600, height: float = 160
) -> Line:
    """A line through the values on a fixed scale (low..high), one point in the middle of each of `len(values)`
    equal slots (as `stacked_columns` places its columns); None values have no dot and the line skips them."""
    span = (high - low) or 1
    slot = width / (len(values) or 1)
    points = []
    for index, (label, value) in enumerate(values):
        x = round(index * slot + slot / 2, 2)  # the middle of the slot, so a line lines up with columns
        y = round(height - (float(value) - low) / span * height, 2) if value is not None else height
        points.append(Point(label, value, x, y))
    polyline = " ".join(f"{p.x},{p.y}" for p in points if p.value is not None)
    zero = min(max(0.0, low), high)
    return Line(points, polyline, round(height - (zero - low) / span * height, 2), low, high)


@dataclass(frozen=True)
class StackPart:
    key: str
    value: int
    y: float
    height: float


@dataclass(frozen=True)
class StackedColumn:
    label: str
    total: int
    x: float
    width: float
    parts: list[StackPart]

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 2)


def stacked_columns(
    columns: list[tuple[str, dict[str, int]]], *, keys: list[str], width: float = 600, height: float = 160
) -> list[StackedColumn]:
    """Columns split into parts (bottom to top in `keys` order), all scaled to the tallest total."""
    if not columns:
        return []
    peak = max((sum(parts.get(k, 0) for k in keys) for _label, parts in columns), default=0) or 1
    slot = width / len(columns)
    stacked = []
    for index, (label, values) in enumerate(columns):
        top = float(height)
        parts = []
        for key in keys:
            value = values.get(key, 0)
            part_height = round(height * value / peak, 2)
            top = round(top - part_height, 2)
            if value:
                parts.append(StackPart(key, value, top, part_height))
        stacked.append(
            StackedColumn(
                label=label,
                total=sum(values.get(k, 0) for k in keys),
                x=round(index * slot + slot * 0.15, 2),
                width=round(slot * 0.7, 2),
                parts=parts,
            )
        )
    return stacked


@dataclass(frozen=True)
class FunnelRow:
    key: str
    label: str
    value: int
    width: float  # 0–100, of the first row
    rate: float | None  # of the first row, 0–1


def funnel(rows: list[tuple[str, str, int]]) -> list[FunnelRow]:
    """Horizontal bars that each compare with the first (sent → delivered → opened → clicked)."""
    first = rows[0][2] if rows else 0
    return [
        FunnelRow(key, label, value, round(100 * value / first, 2) if first else 0, value / first if first else None)
        for key, label, value in rows
    ]


# --- Diverging horizontal bars (NPS by group) -------------------------------------------------
@dataclass(frozen=True)
class HBar:
    """One row's bar on a scale from `low` to `high` drawn `width` wide: from zero to the value, so negative
    values grow left of the zero line and positive ones right of it. No value: no bar (width 0)."""

    key: str
    label: str
    value: float | None
    x: float
    width: float
    zero: float  # where zero is, for the axis line
    negative: bool
    muted: bool  # too few answers to trust: drawn grey


def diverging_bars(
    values: list[tuple[str, str, float | None, bool]], *, low: float = -100, high: float = 100, width: float = 200
) -> list[HBar]:
    """One bar per (key, label, value, muted) on a fixed scale, so groups compare across charts."""
    span = (high - low) or 1
    zero = round((min(max(0.0, low), high) - low) / span * width, 2)
    bars = []
    for key, label, value, muted in values:
        if value is None:
            bars.append(HBar(key, label, None, zero, 0, zero, False, muted))
            continue
        clamped = min(max(float(value), low), high)
        end = round((clamped - low) / span * width, 2)
        bars.append(HBar(key, label, value, min(zero, end), round(abs(end - zero), 2), zero, clamped < 0, muted))
    return bars
