from django.db.models import CharField, Func, QuerySet
from django.shortcuts import get_object_or_404

from apps.stores.models import Store

from .models import Flow, FlowKind, Message, MessageStatus


def messages_for_store(*, store: Store, status: str = "", flow: str = "", search: str = "") -> QuerySet[Message]:
    messages = (
        Message.objects.filter(store=store)
        .select_related("step__flow", "order")
        .defer("body_html", "body_text", "trace")
    )
    if status in MessageStatus.values:
        messages = messages.filter(status=status)
    if flow:
        messages = messages.filter(step__flow__kind=flow)
    if search:
        term = search.strip()
        messages = messages.filter(email=term.lower()) if "@" in term else messages.filter(order__number__iexact=term)
    return messages.order_by("-scheduled_for", "-id")


def message_for_store(*, store: Store, pk: int) -> Message:
    queryset = Message.objects.filter(store=store).select_related("step__flow", "order", "customer", "variant", "cart")
    return get_object_or_404(queryset.prefetch_related("events"), pk=pk)


def flows_for_store(*, store: Store) -> QuerySet[Flow]:
    return Flow.objects.filter(store=store).order_by("priority", "kind")


# --- Flow editor ----------------------------------------------------------------------------
def flow_for_store(*, store: Store, pk: int) -> Flow:
    from django.db.models import Prefetch

    from .models import FlowStep

    steps = FlowStep.objects.order_by("position", "id")
    return get_object_or_404(
        Flow.objects.filter(store=store).prefetch_related(Prefetch("steps", queryset=steps)), pk=pk
    )


def step_for_store(*, store: Store, pk: int):
    from .models import FlowStep

    return get_object_or_404(
        FlowStep.objects.filter(store=store).select_related("flow", "store").prefetch_related("variants"), pk=pk
    )


def variant_for_store(*, store: Store, pk: int):
    from .models import Variant

    return get_object_or_404(Variant.objects.filter(step__store=store).select_related("step__flow"), pk=pk)


def flow_step_counts(*, store: Store) -> dict[int, dict]:
    """Steps per flow, and how many are switched on, in one query."""
    from django.db.models import Count, Q

    from .models import FlowStep

    rows = (
        FlowStep.objects.filter(store=store)
        .values("flow_id")
        .annotate(steps=Count("id"), enabled=Count("id", filter=Q(enabled=True)))
        .order_by()
    )
    return {row["flow_id"]: {"steps": row["steps"], "enabled": row["enabled"]} for row in rows}


# --- Figures --------------------------------------------------------------------------------
def _sent_since(store: Store, since):
    return Message.objects.filter(store=store, status=MessageStatus.SENT, sent_at__gte=since)


def email_totals(*, store: Store, since) -> dict:
    """Emails sent since a moment and what became of them: delivered, opened (by a person), clicked,
    bounced, and the orders and revenue credited to them. One aggregate query."""
    from django.db.models import Count, Q, Sum

    totals = _sent_since(store, since).aggregate(
        sent=Count("id"),
        delivered=Count("id", filter=Q(delivered_at__isnull=False)),
        opened=Count("id", filter=Q(opened_at__isnull=False)),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
        bounced=Count("id", filter=Q(bounced_at__isnull=False)),
        conversions=Count("id", filter=Q(attributed_order__isnull=False)),
        revenue=Sum("attributed_revenue"),
    )
    totals["revenue"] = totals["revenue"] or 0
    return totals


def _figures_by(messages: QuerySet, key: str) -> dict[int, dict]:
    """Sent, opened, clicked, credited orders and revenue of `messages`, per `key` (one aggregate query)."""
    from django.db.models import Count, Q, Sum

    rows = (
        messages.values(key)
        .annotate(
            sent=Count("id"),
            opened=Count("id", filter=Q(opened_at__isnull=False)),
            clicked=Count("id", filter=Q(clicked_at__isnull=False)),
            conversions=Count("id", filter=Q(attributed_order__isnull=False)),
            revenue=Sum("attributed_revenue"),
        )
        .order_by()
    )
    return {row.pop(key): {**row, "revenue": row["revenue"] or 0} for row in rows}


def flow_figures(*, store: Store, since) -> dict[int, dict]:
    """Per flow id: sent, opened, clicked, conversions and revenue of its emails since a moment (one query)."""
    return _figures_by(_sent_since(store, since), "step__flow_id")


def messages_for_customer(*, store: Store, customer, limit: int = 50) -> list[Message]:
    return list(
        Message.objects.filter(store=store, customer=customer)
        .select_related("step__flow")
        .defer("body_html", "body_text", "trace")
        .order_by("-scheduled_for", "-id")[:limit]
    )


RESURVEY_STEP_KEY = "re-survey"
RESURVEY_SUBJECT_PREFIX = "recovery:"


def resurveys_for_store(*, store: Store, case_ids=None) -> dict[int, Message]:
    """The critics-queue re-surveys of a store by case id (from their `recovery:<case id>` subject key)."""
    messages = Message.objects.filter(
        store=store, step__flow__kind=FlowKind.NPS_SURVEY, step__key=RESURVEY_STEP_KEY
    ).only("pk", "subject_key", "status", "scheduled_for", "sent_at", "created_at", "reason")
    if case_ids is not None:
        messages = messages.filter(subject_key__in=[f"{RESURVEY_SUBJECT_PREFIX}{pk}" for pk in case_ids])
    found = {}
    for message in messages:
        case_id = message.subject_key.removeprefix(RESURVEY_SUBJECT_PREFIX)
        if case_id.isdigit():
            found[int(case_id)] = message
    return found


def live_coupon_for_order(*, order):
    """The newest coupon an email about this order handed out that is still usable, or None."""
    from django.db.models import Q
    from django.utils import timezone

    from .models import Coupon

    return (
        Coupon.objects.filter(message__order=order, redeemed_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .select_related("store")
        .order_by("-issued_at")
        .first()
    )


def first_step_of_kind(*, store: Store, kind: str):
    """The first step of the store's flow of this kind (e.g. the order confirmation, for brand previews)."""
    from .models import FlowStep

    return (
        FlowStep.objects.filter(store=store, flow__kind=kind)
        .select_related("flow", "store")
        .order_by("position", "id")
        .first()
    )


def scan_runs_for_store(*, store: Store, limit: int = 100):
    from .models import ScanRun

    return ScanRun.objects.filter(store=store).order_by("-started_at")[:limit]


# --- Sending rules and holdout lift ---------------------------------------------------------
def messaging_policy_for(*, store: Store):
    """The store's sending rules, read-only: the saved row, or an unsaved one with the defaults (a page
    that only shows them writes nothing)."""
    from .models import MessagingPolicy

    return MessagingPolicy.objects.filter(store=store).first() or MessagingPolicy(store=store)


def flow_steps_for_store(*, store: Store):
    """Every step of the store's flows, with its flow, in flow then step order (one query)."""
    from .models import FlowStep

    return (
        FlowStep.objects.filter(store=store)
        .select_related("flow")
        .only("pk", "key", "position", "send_window_minutes", "conditions", "flow__id", "flow__name", "flow__kind")
        .order_by("flow__priority", "flow__kind", "position", "id")
    )


HOLDOUT_RULE = "holdout"


class LastTraceRule(Func):
    """`rule` of a message's last trace entry, in SQL: how the ledger marks a held-out recipient."""

    arity = 1
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="json_extract(%(expressions)s, '$[#-1].rule')")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((%(expressions)s) -> -1 ->> 'rule')")


def flow_holdout_lift(*, store: Store, since, until, window_days: int) -> dict[int, dict[str, dict]]:
    """What each flow with a holdout adds: for the recipients it emailed and for those it held out, how
    many there were, how many converted and the revenue of their orders. One set-based query.

    A recipient (a customer, or an address without one) converts when they place an order that is not
    cancelled within `window_days` after the scheduled moment of one of the flow's emails to them (held-out
    rows have that moment too). An order within the windows of several emails counts once.

    Compared fairly:
    - the emailed group is every recipient the flow planned an email for outside the holdout, whether a
      later rule (an order placed first, consent, the cap) stopped that email or not: the holdout is drawn
      when an email is planned, before those rules, so only this whole group is alike the held-out one;
    - both groups start at the flow's first held-out email in the period (the emails before the holdout
      was switched on have nothing to compare with), and only emails whose window has closed by `until`
      count: a younger one could still convert.

    Returns {flow id: {"emailed": {...}, "held_out": {...}}}, each with `recipients`, `converted` and
    `revenue` (Decimal); flows without a held-out email in the period are missing.
    """
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection
    from django.db.models import BooleanField, Case, DateTimeField, ExpressionWrapper, F, Value, When
    from django.db.models.functions import Cast, Coalesce, Lower

    from apps.orders.models import Order, OrderStatus

    from .models import TRANSACTIONAL_KINDS

    window = timedelta(days=window_days)
    closed_before = until - window
    if closed_before <= since:
        return {}
    emails = (
        Message.objects.filter(
            store=store, step__flow__holdout_percent__gt=0, scheduled_for__gte=since, scheduled_for__lte=closed_before
        )
        .exclude(step__flow__kind__in=TRANSACTIONAL_KINDS)
        .annotate(last_rule=LastTraceRule("trace"))
        .annotate(
            lift_flow=F("step__flow_id"),
            # The trace is read only for skipped rows (a CASE evaluates in order).
            lift_held=Case(
                When(
                    status=MessageStatus.SKIPPED,
                    then=Case(When(last_rule=HOLDOUT_RULE, then=Value(True)), default=Value(False)),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
            lift_who=Coalesce(Cast("customer_id", CharField()), Lower("email"), output_field=CharField()),
            lift_customer=F("customer_id"),
            lift_email=Lower("email"),
            lift_from=F("scheduled_for"),
            lift_until=ExpressionWrapper(F("scheduled_for") + window, output_field=DateTimeField()),
        )
        .values("lift_flow", "lift_held", "lift_who", "lift_customer", "lift_email", "lift_from", "lift_until")
        .order_by()
    )
    orders = (
        Order.objects.filter(store=store, placed_at__gte=since, placed_at__lte=until)
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(
            lift_order=F("id"),
            lift_customer=F("customer_id"),
            lift_email=Lower("email"),
            lift_at=F("placed_at"),
            lift_total=F("total"),
        )
        .values("lift_order", "lift_customer", "lift_email", "lift_at", "lift_total")
        .order_by()
    )
    emails_sql, emails_params = emails.query.sql_with_params()
    orders_sql, orders_params = orders.query.sql_with_params()
    # Orders meet emails on the customer, or else on the address, within the email's window; UNION keeps
    # each (flow, group, recipient, order) once however many emails' windows hold the order.
    sql = f"""
        WITH x AS ({emails_sql}),
        starts AS (SELECT lift_flow, MIN(lift_from) AS first_at FROM x WHERE lift_held GROUP BY lift_flow),
        xs AS (SELECT x.* FROM x JOIN starts ON starts.lift_flow = x.lift_flow WHERE x.lift_from >= starts.first_at),
        o AS ({orders_sql}),
        hits AS (
            SELECT xs.lift_flow, xs.lift_held, xs.lift_who, o.lift_order, o.lift_total
            FROM xs JOIN o ON o.lift_customer = xs.lift_customer
                AND o.lift_at >= xs.lift_from AND o.lift_at <= xs.lift_until
            UNION
            SELECT xs.lift_flow, xs.lift_held, xs.lift_who, o.lift_order, o.lift_total
            FROM xs JOIN o ON o.lift_email = xs.lift_email
                AND o.lift_at >= xs.lift_from AND o.lift_at <= xs.lift_until
        )
        SELECT r.lift_flow, r.lift_held, r.recipients, COALESCE(c.converted, 0), COALESCE(v.revenue, 0)
        FROM (SELECT lift_flow, lift_held, COUNT(DISTINCT lift_who) AS recipients FROM xs
              GROUP BY lift_flow, lift_held) r
        LEFT JOIN (SELECT lift_flow, lift_held, COUNT(DISTINCT lift_who) AS converted FROM hits
                   GROUP BY lift_flow, lift_held) c
            ON c.lift_flow = r.lift_flow AND c.lift_held = r.lift_held
        LEFT JOIN (SELECT lift_flow, lift_held, SUM(lift_total) AS revenue
                   FROM (SELECT DISTINCT lift_flow, lift_held, lift_order, lift_total FROM hits) d
                   GROUP BY lift_flow, lift_held) v
            ON v.lift_flow = r.lift_flow AND v.lift_held = r.lift_held
    """  # both inner queries compiled by the ORM; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, (*emails_params, *orders_params))
        rows = cursor.fetchall()
    empty = {"recipients": 0, "converted": 0, "revenue": Decimal(0)}
    found: dict[int, dict[str, dict]] = {}
    for flow_id, held, recipients, converted, revenue in rows:
        groups = found.setdefault(flow_id, {"emailed": dict(empty), "held_out": dict(empty)})
        groups["held_out" if held else "emailed"] = {
            "recipients": recipients,
            "converted": converted,
            "revenue": Decimal(str(revenue)).quantize(Decimal("0.01")),
        }
    return found


# --- Coupon pools ---------------------------------------------------------------------------
def coupon_pools_for_store(*, store: Store, pk: int | None = None) -> QuerySet:
    """The store's pools with their free, issued and redeemed counts, and the flow steps that use them."""
    from django.db.models import Count, Prefetch, Q

    from .models import CouponPool, FlowStep

    steps = FlowStep.objects.filter(store=store).select_related("flow").order_by("flow__priority", "position", "id")
    pools = CouponPool.objects.filter(store=store)
    if pk is not None:
        pools = pools.filter(pk=pk)
    return (
        pools.annotate(
            free=Count("coupons", filter=Q(coupons__issued_at__isnull=True)),
            issued=Count("coupons", filter=Q(coupons__issued_at__isnull=False)),
            redeemed=Count("coupons", filter=Q(coupons__redeemed_at__isnull=False)),
        )
        .prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("name", "id")
    )


def coupon_pool_for_store(*, store: Store, pk: int):
    return get_object_or_404(coupon_pools_for_store(store=store, pk=pk))


def scan_run_in_progress(*, store: Store, name: str, since) -> bool:
    """Whether a run of this scan for the store started since `since` and has not finished."""
    from .models import ScanRun

    return ScanRun.objects.filter(store=store, name=name, finished_at__isnull=True, started_at__gte=since).exists()


# --- The message log ------------------------------------------------------------------------
PLANNED_STATUSES = (MessageStatus.SCHEDULED, MessageStatus.SENDING)


def message_subject_line(*, message: Message, store: Store) -> str:
    """The subject the log shows: the one sent; for an email still planned, its A/B variant's or step's
    subject template (not rendered) in the language it will go in; "" for one that never went."""
    if message.subject:
        return message.subject
    if message.status not in PLANNED_STATUSES:
        return ""
    from .dispatch import _pick, language_for

    message.store = store  # the request's store: language_for reads it, without a query per row
    language = language_for(message)
    if message.variant_id and message.variant.subject:
        return _pick(message.variant.subject, language, store.default_language)
    return _pick(message.step.subject or {}, language, store.default_language)


def message_preview(*, message: Message):
    """A planned email as it would go now, for a person to read: rendered as dispatch.build_email renders
    it, with the recipient's language, data, consent and the variant, and writing nothing. No coupon is
    issued: one already issued for the email is shown, else the step's sample code; nothing is sent, and
    the sending rules are read without creating them. Returns (RenderedEmail, whether the coupon is a
    sample). Raises TemplateError for a step whose template does not render."""
    from .dispatch import USABLE, language_for, render_message
    from .models import Coupon
    from .preview import sample_context

    step, store = message.step, message.store
    language = language_for(message)
    customer = message.customer if message.customer_id else None
    policy = messaging_policy_for(store=store)
    may_market = bool(customer and customer.marketing_consent) or not policy.marketing_requires_consent
    coupon = sample_coupon = None
    if may_market and step.incentive_kind:
        coupon = Coupon.objects.filter(message=message).select_related("store").first()
        if coupon is not None and coupon.shop_state not in USABLE:
            coupon = None
        if coupon is None:
            sample_coupon = sample_context(step, language)["coupon"]
    email, _context, _advertising = render_message(
        message, language=language, may_market=may_market, coupon=coupon, sample_coupon=sample_coupon
    )
    return email, sample_coupon is not None


def step_figures(*, flow: Flow, since) -> dict[int, dict]:
    """Per step id of the flow, its emails sent since a moment: sent, opened, clicked, the orders credited
    to them and their revenue, counted as `flow_figures` counts a flow (one aggregate query; a step
    without a sent email is missing)."""
    return _figures_by(_sent_since(flow.store_id, since).filter(step__flow=flow), "step_id")
