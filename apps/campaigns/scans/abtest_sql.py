"""`abtest.variant_for` and `abtest.in_holdout` as SQL expressions (PostgreSQL), so a set-based scan writes each
ledger row with its variant and holdout status in the statement that inserts it.

Both read the first 32 bits of a SHA-256 of a text, as abtest.py does: `int(sha256(text).hexdigest()[:8], 16)`.
tests/campaigns/test_scan_sql_agrees.py holds the two spellings together, key by key.
"""

import sys

from django.db.models import BigIntegerField, Case, CharField, Expression, Func, IntegerField, Value, When
from django.db.models.functions import Concat, Lower, Mod
from django.db.models.lookups import LessThan

# str.strip() with no argument strips exactly these (every whitespace character up to U+3000).
PYTHON_WHITESPACE = "".join(ch for ch in map(chr, range(min(sys.maxunicode, 0x3000) + 1)) if ch.isspace())


class Sha256Point(Func):
    """int(hashlib.sha256(text.encode()).hexdigest()[:8], 16): the first 32 bits, unsigned."""

    template = "('x' || left(encode(sha256(convert_to(%(expressions)s, 'UTF8')), 'hex'), 8))::bit(32)::bigint"
    output_field = BigIntegerField()


class Strip(Func):
    """str.strip(): btrim with Python's whitespace (PostgreSQL's own trim strips spaces only)."""

    function = "BTRIM"
    output_field = CharField()

    def __init__(self, expression):
        super().__init__(expression, Value(PYTHON_WHITESPACE, output_field=CharField()))


def _point(text: Expression, modulo: int) -> Expression:
    return Mod(Sha256Point(text), Value(modulo, output_field=IntegerField()), output_field=BigIntegerField())


def variant_expression(step, subject_key: Expression, variants: list) -> Expression:
    """The variant id `variant_for(step, subject_key, variants)` picks, per row; NULL without live variants."""
    if not variants:
        return Value(None, output_field=BigIntegerField())
    winner = next((variant for variant in variants if variant.is_winner), None)
    if winner:
        return Value(winner.pk, output_field=BigIntegerField())
    total = sum(variant.weight or 1 for variant in variants)
    point = _point(Concat(Value(f"{step.pk}:", output_field=CharField()), subject_key, output_field=CharField()), total)
    whens, upto = [], 0
    for variant in variants[:-1]:
        upto += variant.weight or 1
        whens.append(When(LessThan(point, upto), then=Value(variant.pk)))
    return Case(*whens, default=Value(variants[-1].pk), output_field=BigIntegerField())


def holdout_condition(flow, email: Expression) -> Expression | None:
    """Whether `in_holdout(flow, email)` holds, per row; None when the flow holds nobody out."""
    if flow.is_transactional or not flow.holdout_percent:
        return None
    text = Concat(Value(f"holdout:{flow.pk}:", output_field=CharField()), Lower(Strip(email)), output_field=CharField())
    return LessThan(_point(text, 100), flow.holdout_percent)
