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

from django.core.exceptions import EmptyResultSet
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
    Func,
    JSONField,
    PositiveSmallIntegerField,
    Q,
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


def ledger_columns(step: FlowStep, row: LedgerRow, written_at: str) -> dict[str, Expression]:
    """campaigns_message column → its expression, for one step, written at `written_at` (ISO). The columns left
    out (attempts, the content, created_at…) get their model defaults from insert_from_select."""
    flow = step.flow
    at = _text(written_at)
    window = definition_for(flow.kind).window(step)
    variants = getattr(step, "live_variants", None)  # prefetched by steps.live_steps
    if variants is None:
        variants = list(step.variants.filter(retired=False).order_by("label"))
    scheduled = JSONObject(
        at=at, action=_text("scheduled"), rule=_text("trigger"), reason=row.why
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
    skipped = JSONObject(at=at, action=_text(MessageStatus.SKIPPED), rule=_text("holdout"), reason=_text(reason))
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


class ArrayOf(Func):
    """ARRAY[a, b, …] (PostgreSQL): one value per step, unnested by the outer SELECT of `compiled_select`."""

    template = "ARRAY[%(expressions)s]"


@dataclass(frozen=True)
class StepPlan:
    """One step of a statement: what each candidate becomes for it, and, when the step is for some of the
    candidates only (a win-back step for one audience), the condition that picks them: over the candidate's
    own columns (with several steps it becomes a CASE, where a join to many rows would not filter alike)."""

    step: FlowStep
    row: LedgerRow
    only: Q | None = None


def compiled_select(candidates: QuerySet, plans: Sequence[StepPlan]) -> tuple[str, tuple, list[str]]:
    """The candidate query as the SELECT of ledger rows for every step in `plans`: (sql, params, the ledger
    columns it yields in order).

    Several steps read the candidates once (a UNION ALL of one SELECT per step ran the candidate query once per
    step). The inner SELECT yields each candidate once, with every column that differs between the steps as an
    array of the steps' values (the step id NULL where the step is not for that candidate); the outer SELECT
    unnests the arrays into one row per step and drops the NULL steps. `OFFSET 0` keeps the inner SELECT a
    subquery of its own, so the texts and JSON common to all steps are computed once per candidate, not once
    per step."""
    if not plans:
        raise ValueError("compiled_select needs at least one step")
    if candidates.query.is_sliced:  # its LIMIT/OFFSET would meet the OFFSET 0 below, and a scan plans every candidate
        raise ValueError("compiled_select takes the whole candidate query, not a slice of it")
    written_at = timezone.now().isoformat()
    per_step = [ledger_columns(plan.step, plan.row, written_at) for plan in plans]
    columns = list(per_step[0])
    if any(list(step_columns) != columns for step_columns in per_step):
        raise ValueError("every step must yield the same ledger columns")
    if len(plans) == 1 and plans[0].only is not None:
        candidates = candidates.filter(plans[0].only)
    fanned = len(plans) > 1
    aliases: dict[str, Expression] = {}
    stepwise: list[str] = []
    for column in columns:
        alias, field = f"{PREFIX}{column}", _column_type(column)
        # Each cast to its column's type: a NULL or a text literal would not settle the type of an array.
        each: list[Expression] = [Cast(step_columns[column], field) for step_columns in per_step]
        if fanned and column == "step_id":
            each = [
                Case(When(plan.only, then=value), output_field=field) if plan.only is not None else value
                for plan, value in zip(plans, each, strict=True)
            ]
        if fanned and (column == "step_id" or len({_compiled(candidates, value) for value in each}) > 1):
            if column == "email":  # the filter below reads it as one address
                raise ValueError("every step must write to the same address")
            aliases[alias] = ArrayOf(*each, output_field=field)
            stepwise.append(alias)
        else:
            aliases[alias] = each[0]
    rows = (
        candidates.order_by()
        .annotate(**aliases)
        .filter(**{f"{PREFIX}email__gt": ""})  # messages_schedule plans nothing for an empty address
        .values_list(*aliases)
    )
    sql, params = rows.query.sql_with_params()
    if fanned:
        quote = connection.ops.quote_name
        listed = ", ".join(f"{'step' if alias in stepwise else 'fanned'}.{quote(alias)}" for alias in aliases)
        arrays = ", ".join(f"fanned.{quote(alias)}" for alias in stepwise)
        names = ", ".join(quote(alias) for alias in stepwise)
        sql = (
            f"SELECT {listed} FROM ({sql} OFFSET 0) AS fanned CROSS JOIN LATERAL unnest({arrays}) AS step({names}) "
            f"WHERE step.{quote(PREFIX + 'step_id')} IS NOT NULL"
        )
    return sql, tuple(params), columns


def _compiled(candidates: QuerySet, expression: Expression) -> tuple[str, tuple[str, ...]]:
    """An expression's SQL over the candidate query, its parameters by repr: whether two steps write the same
    value is read off what PostgreSQL would get (Django's own == calls Value(1) and Value(True) equal)."""
    query = candidates.query.chain()
    sql, params = query.get_compiler(connection=connection).compile(expression.resolve_expression(query))
    return sql, tuple(repr(param) for param in params)


def insert(candidates: QuerySet, plans: Sequence[StepPlan]) -> list[tuple[int, str]]:
    """Insert the ledger rows of every step in `plans` for these candidates in ONE statement (so every step sees
    the ledger as it was before it); returns (id, subject_key) of the rows inserted now."""
    try:
        sql, params, columns = compiled_select(candidates, plans)
    except EmptyResultSet:  # a condition no candidate can meet (an audience nobody is in): nothing to plan
        return []
    return insert_from_select(select_sql=sql, params=params, columns=columns)
