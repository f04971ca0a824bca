from django.db.models import QuerySet
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
    queryset = Message.objects.filter(store=store).select_related("step__flow", "order", "customer", "variant")
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


def flow_figures(*, store: Store, since) -> dict[int, dict]:
    """Per flow id: sent, opened, clicked, conversions and revenue of its emails since a moment (one query)."""
    from django.db.models import Count, Q, Sum

    rows = (
        _sent_since(store, since)
        .values("step__flow_id")
        .annotate(
            sent=Count("id"),
            opened=Count("id", filter=Q(opened_at__isnull=False)),
            clicked=Count("id", filter=Q(clicked_at__isnull=False)),
            conversions=Count("id", filter=Q(attributed_order__isnull=False)),
            revenue=Sum("attributed_revenue"),
        )
        .order_by()
    )
    return {row.pop("step__flow_id"): {**row, "revenue": row["revenue"] or 0} for row in rows}


def emails_sent_by_day(*, store: Store, since) -> dict:
    """Emails sent per local day of the store (one query)."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    rows = (
        _sent_since(store, since)
        .annotate(day=TruncDate("sent_at", tzinfo=store.tz))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    return {row["day"]: row["n"] for row in rows}


def abandoned_cart_recovery(*, store: Store, since) -> dict:
    """Carts that got an abandoned-cart email since a moment, and how many of them became an order
    after it: the recovery rate is recovered ÷ emailed. One query."""
    from django.db.models import Count, F, Q

    totals = (
        _sent_since(store, since)
        .filter(step__flow__kind=FlowKind.ABANDONED_CART, cart__isnull=False)
        .aggregate(
            emailed=Count("cart", distinct=True),
            recovered=Count(
                "cart",
                distinct=True,
                filter=Q(cart__converted_order__isnull=False, cart__converted_at__gte=F("sent_at")),
            ),
        )
    )
    totals["rate"] = totals["recovered"] / totals["emailed"] if totals["emailed"] else None
    return totals


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
