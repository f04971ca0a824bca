"""What the demo store's emails and buyers did: flows switched on, a history of sent emails with opens,
clicks and credited orders, NPS answers and the critics cases they opened. Runs after the bulk seed;
bounded (the last 90 days, a few thousand rows), so it takes seconds at any scale."""

import html
import random
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from apps.campaigns.dispatch import _pick
from apps.campaigns.models import Flow, FlowKind, FlowStep, Message, MessageStatus
from apps.campaigns.rendering import TemplateError, render_merchant
from apps.feedback.services.nps import nps_add_comment, nps_record
from apps.orders.models import Cart, Order, OrderStatus
from apps.shipments.models import Shipment, ShipmentStatus
from apps.stores.models import Store

WINDOW = timedelta(days=90)
MAX_ORDERS = 1500
COMMENTS = {
    "detractor": [
        ("The parcel arrived two days late and the box was crushed.", ["delivery", "packaging"]),
        ("The grinder stopped working after a week.", ["product"]),
        ("Nobody answered my email about the missing filters.", ["service"]),
    ],
    "passive": [("Good coffee, delivery could be quicker.", ["delivery"])],
    "promoter": [("Lovely beans, arrived fresh and well packed!", ["product", "packaging"])],
}


def demo_engagement_seed(*, store: Store, seed: int = 7) -> dict[str, int]:
    rnd = random.Random(seed)
    now = timezone.now()
    # The demo's flows are on from the moment it is seeded: its months of orders are history, and send nothing.
    Flow.objects.filter(store=store).update(enabled=True, live_since=now)
    steps = {(s.flow.kind, s.key): s for s in FlowStep.objects.filter(store=store).select_related("flow")}
    orders = list(
        Order.objects.filter(store=store, placed_at__gte=now - WINDOW)
        .exclude(email="")
        .order_by("-placed_at")
        .values_list("pk", "email", "customer_id", "placed_at", "number")[:MAX_ORDERS]
    )
    messages = []
    for pk, email, customer_id, placed_at, number in orders:
        messages.append(
            _sent(
                store,
                steps[(FlowKind.ORDER_CONFIRMATION, "confirmation")],
                f"order:{pk}",
                email,
                customer_id,
                placed_at + timedelta(minutes=1),
                rnd,
                order_id=pk,
                transactional=True,
                facts={"order": {"number": number}},
            )
        )
    for pk, email, customer_id, shipped_at, order_id, number, carrier in (
        Shipment.objects.filter(store=store, shipped_at__gte=now - WINDOW)
        .exclude(order__email="")
        .values_list(
            "pk", "order__email", "order__customer_id", "shipped_at", "order_id", "order__number", "carrier_name"
        )[:MAX_ORDERS]
    ):
        messages.append(
            _sent(
                store,
                steps[(FlowKind.SHIPMENT_CONFIRMATION, "shipped")],
                f"shipment:{pk}",
                email,
                customer_id,
                shipped_at,
                rnd,
                order_id=order_id,
                shipment_id=pk,
                transactional=True,
                facts={"order": {"number": number}, "shipment": {"carrier": carrier}},
            )
        )
    carts = Cart.objects.filter(store=store, updated_at__gte=now - WINDOW, updated_at__lte=now - timedelta(hours=2))
    for pk, email, customer_id, updated_at, converted in carts.exclude(email="").values_list(
        "pk", "email", "customer_id", "updated_at", "converted_order_id"
    )[:MAX_ORDERS]:
        messages.append(
            _sent(
                store,
                steps[(FlowKind.ABANDONED_CART, "reminder-1h")],
                f"cart:{pk}",
                email,
                customer_id,
                updated_at + timedelta(hours=1),
                rnd,
                cart_id=pk,
                converted_order_id=converted,
            )
        )
    with transaction.atomic():
        Message.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
    counts = {"demo_emails": len(messages), **_nps(store, rnd, now)}
    _analyze_ledger()
    return counts


def _analyze_ledger() -> None:
    """Statistics for the history just written: the scans' "not already sent" checks read the ledger, and a
    partition PostgreSQL still believes empty gets them a nested loop over thousands of rows per candidate
    until autovacuum gets round to it."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(Message._meta.db_table)}")  # and its partitions


def _subject(store, step, facts: dict) -> str:
    """The subject as the email would have had it: the step's, in the store's language, filled in with what
    the demo knows of the order and parcel (the body is not rendered: the demo keeps what its emails did,
    and the message log says so)."""
    source = _pick(step.subject, store.default_language, store.default_language)
    context = {"store": {"name": store.name}, "customer": {}, **facts}
    try:
        return " ".join(html.unescape(render_merchant(source, context)).split())[:255]
    except TemplateError:
        return " ".join(source.replace("{{ order.number }}", "").split())[:255]


def _sent(
    store,
    step,
    subject_key,
    email,
    customer_id,
    at,
    rnd,
    *,
    transactional=False,
    converted_order_id=None,
    facts=None,
    **refs,
) -> Message:
    opened = at + timedelta(minutes=rnd.randint(5, 600)) if rnd.random() < (0.62 if transactional else 0.45) else None
    clicked = opened + timedelta(minutes=rnd.randint(1, 30)) if opened and rnd.random() < 0.3 else None
    message = Message(
        store=store,
        step=step,
        subject_key=subject_key,
        email=email,
        customer_id=customer_id,
        scheduled_for=at,
        sent_at=at,
        status=MessageStatus.SENT,
        transactional=transactional,
        priority=step.flow.priority,
        language=store.default_language,
        subject=_subject(store, step, facts or {}),
        delivered_at=at + timedelta(seconds=rnd.randint(2, 40)) if rnd.random() < 0.98 else None,
        opened_at=opened,
        clicked_at=clicked,
        esp_message_id=f"demo-{subject_key}",
        trace=[
            {"at": at.isoformat(), "action": "sent", "rule": "demo", "reason": "demo history: what it said is not kept"}
        ],
        **refs,
    )
    if converted_order_id and clicked:
        message.attributed_order_id = converted_order_id
        message.attributed_revenue = Order.objects.filter(pk=converted_order_id).values_list("total", flat=True).first()
    return message


def _nps(store, rnd, now) -> dict[str, int]:
    delivered = (
        Order.objects.filter(store=store, placed_at__gte=now - WINDOW, shipments__status=ShipmentStatus.DELIVERED)
        .exclude(status=OrderStatus.CANCELLED)
        .distinct()
        .order_by("-placed_at")[:400]
    )
    answers = 0
    for order in delivered:
        if rnd.random() > 0.4:
            continue
        roll = rnd.random()
        score = rnd.randint(9, 10) if roll < 0.55 else rnd.randint(7, 8) if roll < 0.8 else rnd.randint(0, 6)
        response = nps_record(order=order, score=score)
        segment = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        if rnd.random() < (0.8 if segment == "detractor" else 0.25):
            comment, topics = rnd.choice(COMMENTS[segment])
            nps_add_comment(response=response, comment=comment, topics=topics)
        answers += 1
    return {"nps_answers": answers}
