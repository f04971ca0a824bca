"""Where domain events and ESP reports enter the email engine. Receivers only plan; the ledger and
dispatch do the rest, so a replayed event plans nothing new."""

from datetime import timedelta

from anymail.signals import tracking
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.orders import events as order_events
from apps.orders.models import Order
from apps.shipments import events as shipment_events
from apps.shipments.models import Shipment, ShipmentStatus
from apps.stores.models import Store

from .models import FlowKind, FlowStep
from .services import Planned, coupons_redeem, flows_install_defaults, messages_schedule
from .tasks import enqueue_now


def _steps(store_id: int, kind: str, **filters):
    return FlowStep.objects.filter(
        store_id=store_id, flow__kind=kind, flow__enabled=True, enabled=True, **filters
    ).select_related("flow")


def _plan(steps, *, subject_key: str, email: str, start, why: str, **refs) -> list[Planned]:
    return [
        Planned(step=step, subject_key=subject_key, email=email, why=why,
                scheduled_for=start + timedelta(minutes=step.delay_minutes), **refs)
        for step in steps
    ]  # fmt: skip


@receiver(order_events.order_placed)
def on_order_placed(sender, order_id: int, **kwargs) -> None:
    from .attribution import attribute_order

    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return
    coupons_redeem(order=order)
    attribute_order(order=order)
    if not order.email:
        return
    planned = _plan(
        _steps(order.store_id, FlowKind.ORDER_CONFIRMATION), subject_key=f"order:{order.pk}", email=order.email,
        start=order.created_at, why=f"order {order.number} placed", customer_id=order.customer_id, order_id=order.pk,
    )  # fmt: skip
    enqueue_now(messages_schedule(planned))


@receiver(shipment_events.shipment_created)
def on_shipment_created(sender, shipment_id: int, **kwargs) -> None:
    shipment = Shipment.objects.select_related("order").filter(pk=shipment_id).first()
    if shipment is None or not shipment.order.email:
        return
    order = shipment.order
    planned = _plan(
        _steps(shipment.store_id, FlowKind.SHIPMENT_CONFIRMATION), subject_key=f"shipment:{shipment.pk}",
        email=order.email, start=shipment.created_at, why=f"shipment {shipment.tracking_number} created",
        customer_id=order.customer_id, order_id=order.pk, shipment_id=shipment.pk,
    )  # fmt: skip
    enqueue_now(messages_schedule(planned))


@receiver(shipment_events.shipment_status_changed)
def on_shipment_status_changed(sender, shipment_id: int, previous: str, status: str, **kwargs) -> None:
    from django.utils import timezone

    shipment = Shipment.objects.select_related("order").filter(pk=shipment_id).first()
    if shipment is None or not shipment.order.email:
        return
    order, now = shipment.order, timezone.now()
    refs = {"customer_id": order.customer_id, "order_id": order.pk, "shipment_id": shipment.pk}
    planned = _plan(
        _steps(shipment.store_id, FlowKind.SHIPMENT_UPDATE, trigger_status=status),
        subject_key=f"shipment:{shipment.pk}", email=order.email, start=now, why=f"shipment now {status}", **refs,
    )  # fmt: skip
    if status == ShipmentStatus.DELIVERED:
        planned += _plan(
            _steps(shipment.store_id, FlowKind.DELIVERED_FOLLOWUP), subject_key=f"order:{order.pk}",
            email=order.email, start=now, why="order delivered", **refs,
        )  # fmt: skip
    enqueue_now(messages_schedule(planned))


@receiver(tracking)
def on_esp_event(sender, event, esp_name: str, **kwargs) -> None:
    from .feedback import esp_event_record

    esp_event_record(event=event, esp_name=esp_name)


@receiver(post_save, sender=Store)
def on_store_created(sender, instance: Store, created: bool, raw: bool = False, **kwargs) -> None:
    """Every new store starts with the default flows, switched off until the merchant turns them on."""
    if created and not raw:
        flows_install_defaults(store=instance)
