"""Shipment confirmation: sent when a parcel leaves, while the buyer is still waiting for that news."""

from ..models import FlowKind
from .base import DAY, MAX_TRIGGERS, FlowDefinition, StepSpec, Trigger, order_withdrawn


def subject_key(*, shipment_id: int) -> str:
    return f"shipment:{shipment_id}"


def moment(shipment):
    """When the parcel left: the carrier's or shop's date, else when we heard of it."""
    return shipment.shipped_at or shipment.created_at


def shipment_trigger(shipment, at, why, key, *, known_at, status=""):
    order = shipment.order
    return Trigger(
        at,
        order.email,
        f"order {order.number} · {shipment.tracking_number or 'shipment'}",
        key,
        why,
        known_at=known_at,
        is_history=shipment.is_history or order.is_history,
        customer=order.customer,
        order=order,
        shipment=shipment,
        status=status,
    )


def shipments(store):
    from apps.shipments.models import Shipment

    return (
        Shipment.objects.filter(store=store)
        .exclude(order__email="")
        .select_related("order", "order__customer")
        .prefetch_related("order__shipments")
    )


def triggers(store, since, until):
    found = shipments(store).filter(created_at__gte=since, created_at__lt=until).order_by("-created_at")
    for shipment in found[:MAX_TRIGGERS]:
        yield shipment_trigger(
            shipment,
            moment(shipment),
            f"shipment {shipment.tracking_number} created",
            subject_key(shipment_id=shipment.pk),
            known_at=shipment.created_at,
        )


DEFINITION = FlowDefinition(
    kind=FlowKind.SHIPMENT_CONFIRMATION,
    name="Shipment confirmation",
    priority=10,
    steps=(StepSpec("shipped", send_window_minutes=2 * DAY),),
    trigger="a parcel is shipped",
    blocks=("shipment", "tracking_button", "order_lines"),
    exits=(order_withdrawn,),
    simulate=triggers,
)
