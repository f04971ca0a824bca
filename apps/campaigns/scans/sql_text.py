"""Texts the scans write (subject keys, the reason in a trace) built in SQL from the same Python function that
builds them one at a time, so each format is written once.

`text_of(function, **expressions)` calls the function once with placeholders and reads back what it made: the
literal parts become SQL strings, each placeholder the expression it stands for: as text, or, where the
function formats it as a date (`{moment:%Y-%m-%d}`), formatted in SQL the same way, in UTC.
"""

import re
from collections.abc import Callable

from django.db.models import CharField, Expression, F, Func, TextField, Value
from django.db.models.functions import Cast, Concat

MARK = "\x00"  # never part of a key or a reason: it cannot be stored in a PostgreSQL text column
SEPARATOR = "\x01"
# strftime codes and their to_char spelling; other letters in a format would need quoting in to_char.
TO_CHAR = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH24", "%M": "MI", "%S": "SS"}


class _Placeholder:
    """Stands for a column in the function's text; remembers how the function formatted it."""

    def __init__(self, name: str):
        self.name = name

    def __format__(self, spec: str) -> str:
        return f"{MARK}{self.name}{SEPARATOR}{spec}{MARK}"

    def __str__(self) -> str:
        return format(self, "")


class UtcStrftime(Func):
    """`f"{moment:<format>}"` of an aware datetime in UTC, in PostgreSQL (to_char)."""

    output_field = TextField()

    def __init__(self, expression, strftime: str):
        self.strftime = strftime
        super().__init__(expression)

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"to_char(({sql}) AT TIME ZONE 'UTC', %s)", [*params, to_char_pattern(self.strftime)]


def to_char_pattern(strftime: str) -> str:
    """'%Y-%m-%d %H:%M' → 'YYYY-MM-DD HH24:MI'; anything between the codes stays literal (quoted)."""
    pieces = []
    for piece in re.split(r"(%.)", strftime):
        if piece.startswith("%") and len(piece) == 2:
            if piece not in TO_CHAR:
                raise ValueError(f"no to_char spelling for {piece!r}")
            pieces.append(TO_CHAR[piece])
        elif piece:
            pieces.append('"' + piece.replace('"', "") + '"')
    return "".join(pieces)


def text_of(function: Callable[..., str], **expressions: Expression | str) -> Expression:
    """The text `function(**values)` makes for each row, as a SQL expression over the row's columns."""
    made = function(**{name: _Placeholder(name) for name in expressions})
    parts: list[Expression] = []
    for index, piece in enumerate(made.split(MARK)):
        if index % 2 == 0:
            if piece:
                parts.append(Value(piece, output_field=CharField()))
            continue
        name, spec = piece.split(SEPARATOR)
        expression = expressions[name]
        expression = F(expression) if isinstance(expression, str) else expression
        if spec:
            parts.append(UtcStrftime(expression, spec))
        else:
            parts.append(Cast(expression, TextField()))
    if not parts:
        return Value("", output_field=CharField())
    if len(parts) == 1:
        return parts[0]
    return Concat(*parts, output_field=CharField())
