"""The table the benchmark prints: sections of rows, each section with its own column headings."""

import sys
import time
from dataclasses import dataclass, field

STARTED = time.monotonic()


def log(message: str) -> None:
    """Progress goes to stderr, so stdout holds nothing but the table."""
    sys.stderr.write(f"[bench {time.monotonic() - STARTED:6.0f} s] {message}\n")
    sys.stderr.flush()


@dataclass
class Section:
    title: str
    columns: list[str] = field(default_factory=list)  # headings after the first (label) column
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # free text under the rows (plans, caveats)
    align_left: bool = False  # text values (machine details) read better left-aligned

    def row(self, label: str, *values: object) -> None:
        self.rows.append([label, *(str(value) for value in values)])

    def note(self, text: str) -> None:
        self.notes.extend(text.rstrip("\n").split("\n"))


def seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.1f} ms"
    if value < 120:
        return f"{value:.2f} s"
    return f"{value / 60:.1f} min"


def count(value: int) -> str:
    return f"{value:,}"


def render(sections: list[Section], heading: str) -> str:
    lines = [heading, "=" * len(heading)]
    for section in sections:
        label_width = max([len(row[0]) for row in section.rows] + [10])
        lines += ["", f"── {section.title} " + "─" * max(3, 96 - len(section.title))]
        width_count = max([len(section.columns)] + [len(row) - 1 for row in section.rows])
        headings = section.columns + [""] * (width_count - len(section.columns))
        widths = [len(heading) for heading in headings]
        for row in section.rows:
            for index, value in enumerate(row[1:]):
                widths[index] = max(widths[index], len(value))
        if section.columns:
            cells = [heading.rjust(width) for heading, width in zip(headings, widths, strict=True)]
            lines.append(("  ".join(["".ljust(label_width), *cells])).rstrip())
        for row in section.rows:
            cells = [
                value.ljust(width) if section.align_left else value.rjust(width)
                for value, width in zip(row[1:], widths, strict=False)
            ]
            lines.append(("  ".join([row[0].ljust(label_width), *cells])).rstrip())
        lines += [f"  {note}".rstrip() for note in section.notes]
    return "\n".join(lines) + "\n"
