"""Delivered follow-up: a few days after delivery, how is it going (with recommendations)."""

from ..models import FlowKind
from .base import DAY, MAX_TRIGGERS, FlowDefinition, StepSpec, order_withdrawn
from .shipment_confirmation import shipment_trigger, shipments


def subject_key(*, order_id: int) -> str:
    return f"order:{order_id}"


def triggers(store, since, until):
    delivered = shipments(store).filter(delivered_at__gte=since, delivered_at__lt=until).order_by("-delivered_at")
    for shipment in delivered[:MAX_TRIGGERS]:
        key = subject_key(order_id=shipment.order_id)
        yield shipment_trigger(shipment, shipment.delivered_at, "order delivered", key, known_at=shipment.created_at)


DEFINITION = FlowDefinition(
    kind=FlowKind.DELIVERED_FOLLOWUP,
    name="Delivered follow-up",
    priority=40,
    steps=(StepSpec("how-is-it", delay_minutes=3 * DAY, send_window_minutes=3 * DAY),),
    trigger="an order is delivered",
    blocks=("recommendations",),
    category="wants_review_requests",
    exits=(order_withdrawn,),
    simulate=triggers,
)
