"""Planning a step's candidates into the ledger in one statement (PostgreSQL).

The scan's candidate query (its rules, written once with the ORM) is compiled by Django into the SELECT of one
`INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING` (apps/campaigns/ledger.py): each row it yields is a whole
ledger row, written as `services.messages_schedule` writes it, with its latest moment, priority, variant,
holdout status and trace. Nothing travels to Python but the ids of the rows inserted.

Elsewhere (SQLite, or inside `row_by_row()`), scans read their candidates and plan them through
`messages_schedule`: the same rows, which tests/campaigns/test_scan_sql_agrees.py checks.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from datetime import timedelta

from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    DurationField,
    Expression,
    ExpressionWrapper,
    JSONField,
    PositiveSmallIntegerField,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, JSONArray, JSONObject
from django.utils import timezone

from ..flows import definition_for
from ..models import TRANSACTIONAL_KINDS, FlowStep, Message, MessageStatus
from ..services.ledger import insert_from_select
from . import abtest_sql

_ROW_BY_ROW = ContextVar("campaign_scans_row_by_row", default=False)
PREFIX = "ledger_"  # the annotations that make up a ledger row (clear of the candidates' own names)


def set_based() -> bool:
    """Whether scans plan in one statement per step: on PostgreSQL, unless `row_by_row()` says otherwise."""
    return connection.vendor == "postgresql" and not _ROW_BY_ROW.get()


@contextmanager
def row_by_row() -> Iterator[None]:
    """Scans read their candidates and plan them through `messages_schedule` (what SQLite always does)."""
    token = _ROW_BY_ROW.set(True)
    try:
        yield
    finally:
        _ROW_BY_ROW.reset(token)


@dataclass(frozen=True)
class LedgerRow:
    """What each candidate of a step becomes, as expressions over the candidate query's row."""

    subject_key: Expression
    email: Expression
    scheduled_for: Expression
    why: Expression
    customer_id: Expression | None = None
    order_id: Expression | None = None
    cart_id: Expression | None = None
    shipment_id: Expression | None = None
    product_id: Expression | None = None


def holdout_reason(flow) -> str:
    # Word for word what messages_schedule writes.
    return f"in the holdout group ({flow.holdout_percent} % of buyers get none of this flow)"


def _text(value: str) -> Value:
    return Value(value, output_field=CharField())


def ledger_columns(step: FlowStep, row: LedgerRow) -> dict[str, Expression]:
    """campaigns_message column → its expression, for one step. The columns left out (attempts, the content,
    created_at…) get their model defaults from insert_from_select."""
    flow = step.flow
    written_at = _text(timezone.now().isoformat())
    window = definition_for(flow.kind).window(step)
    variants = getattr(step, "live_variants", None)  # prefetched by steps.live_steps
    if variants is None:
        variants = list(step.variants.filter(retired=False).order_by("label"))
    scheduled = JSONObject(
        at=written_at, action=_text("scheduled"), rule=_text("trigger"), reason=row.why
    )  # the keys messages_schedule writes
    columns: dict[str, Expression] = {
        "store_id": Value(step.store_id, output_field=BigIntegerField()),
        "step_id": Value(step.pk, output_field=BigIntegerField()),
        "subject_key": row.subject_key,
        "email": row.email,
        "scheduled_for": row.scheduled_for,
        "latest_at": _plus(row.scheduled_for, window),
        "transactional": Value(flow.kind in TRANSACTIONAL_KINDS, output_field=BooleanField()),
        "priority": Value(flow.priority, output_field=PositiveSmallIntegerField()),
        "variant_id": abtest_sql.variant_expression(step, row.subject_key, variants),
    }
    for field in fields(LedgerRow):
        if field.name.endswith("_id") and getattr(row, field.name) is not None:
            columns[field.name] = getattr(row, field.name)
    held = abtest_sql.holdout_condition(flow, row.email)
    if held is None:
        columns |= {
            "status": _text(MessageStatus.SCHEDULED),
            "reason": _text(""),
            "trace": JSONArray(scheduled),
        }
        return columns
    reason = holdout_reason(flow)
    skipped = JSONObject(
        at=written_at, action=_text(MessageStatus.SKIPPED), rule=_text("holdout"), reason=_text(reason)
    )
    columns |= {
        "status": Case(When(held, then=_text(MessageStatus.SKIPPED)), default=_text(MessageStatus.SCHEDULED)),
        "reason": Case(When(held, then=_text(reason)), default=_text("")),
        "trace": Case(
            When(held, then=JSONArray(scheduled, skipped)), default=JSONArray(scheduled), output_field=JSONField()
        ),
    }
    return columns


def _plus(moment: Expression, window: timedelta) -> Expression:
    if isinstance(moment, Value):
        return Value(moment.value + window, output_field=DateTimeField())
    return ExpressionWrapper(moment + Value(window, output_field=DurationField()), output_field=DateTimeField())


def _column_type(column: str):
    field = next(field for field in Message._meta.concrete_fields if field.column == column)
    return BigIntegerField() if field.is_relation else field


def compiled_select(step: FlowStep, candidates: QuerySet, row: LedgerRow) -> tuple[str, tuple, list[str]]:
    """The candidate query as the SELECT of ledger rows: (sql, params, the ledger columns it yields in order)."""
    columns = ledger_columns(step, row)
    # Each cast to its column's type: the SELECTs of several steps are joined by UNION ALL, where a NULL or a
    # text literal in one would not settle the type of the others.
    aliases = {f"{PREFIX}{column}": Cast(expression, _column_type(column)) for column, expression in columns.items()}
    rows = (
        candidates.order_by()
        .annotate(**aliases)
        .filter(**{f"{PREFIX}email__gt": ""})  # messages_schedule plans nothing for an empty address
        .values_list(*aliases)
    )
    sql, params = rows.query.sql_with_params()
    return sql, tuple(params), list(columns)


def insert(plans: Sequence[tuple[FlowStep, QuerySet, LedgerRow]]) -> list[tuple[int, str]]:
    """Insert every plan's ledger rows in ONE statement (their SELECTs joined by UNION ALL, so all of them see
    the ledger as it was before it); returns (id, subject_key) of the rows inserted now."""
    selects, params, columns = [], [], None
    for step, candidates, row in plans:
        sql, step_params, step_columns = compiled_select(step, candidates, row)
        if columns is not None and step_columns != columns:
            raise ValueError("every step's SELECT must yield the same ledger columns")
        columns = step_columns
        selects.append(f"({sql})" if len(plans) > 1 else sql)
        params.extend(step_params)
    if columns is None:
        return []
    return insert_from_select(select_sql=" UNION ALL ".join(selects), params=params, columns=columns)
