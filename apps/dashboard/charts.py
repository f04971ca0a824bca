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
