"""Where domain events and ESP reports enter the email engine. Receivers only plan; the ledger and
dispatch do the rest, so a replayed event plans nothing new.

An event starts a flow only when it is the present for that flow (`flows.history_reason`): it happened
while the flow was on, it was reported soon after it happened, and it was not imported as history.
"""

from datetime import datetime, timedelta

from anymail.signals import tracking
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from apps.orders import events as order_events
from apps.orders.models import Order
from apps.shipments import events as shipment_events
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from apps.stores.models import Store
from apps.tracking.page_cache import pages_changed

from .flows import delivered_followup, history_reason, order_confirmation, shipment_confirmation, shipment_update
from .models import Coupon, Flow, FlowKind, FlowStep, Message
from .rules import policy_for
from .services.coupons import coupons_redeem
from .services.flows import flows_install_defaults
from .services.messages import Planned, messages_schedule
from .tasks import enqueue_now


def _plan(
    store,
    kind: str,
    *,
    moment: datetime,
    known_at: datetime,
    is_history: bool,
    subject_key: str,
    email: str,
    why: str,
    step_filters: dict | None = None,
    **refs,
) -> list[Planned]:
    """The emails of `kind` this event starts: none when the flow is off or the event is history."""
    flow = Flow.objects.filter(store=store, kind=kind).first()
    if flow is None or not email:
        return []
    policy = policy_for(store)
    if history_reason(flow=flow, policy=policy, moment=moment, known_at=known_at, is_history=is_history):
        return []
    steps = FlowStep.objects.filter(flow=flow, enabled=True, **(step_filters or {})).select_related("flow")
    return [
        Planned(
            step=step,
            subject_key=subject_key,
            email=email,
            why=why,
            scheduled_for=moment + timedelta(minutes=step.delay_minutes),
            **refs,
        )
        for step in steps
    ]


@receiver(order_events.order_placed)
def on_order_placed(sender, order_id: int, **kwargs) -> None:
    from .services.attribution import attribute_order

    order = Order.objects.select_related("store").filter(pk=order_id).first()
    if order is None:
        return
    coupons_redeem(order=order)
    attribute_order(order=order)
    planned = _plan(
        order.store,
        FlowKind.ORDER_CONFIRMATION,
        moment=order.placed_at,
        known_at=order.created_at,
        is_history=order.is_history,
        subject_key=order_confirmation.subject_key(order_id=order.pk),
        email=order.email,
        why=f"order {order.number} placed",
        customer_id=order.customer_id,
        order_id=order.pk,
    )
    enqueue_now(messages_schedule(planned))


@receiver(shipment_events.shipment_created)
def on_shipment_created(sender, shipment_id: int, **kwargs) -> None:
    shipment = Shipment.objects.select_related("order", "store").filter(pk=shipment_id).first()
    if shipment is None:
        return
    order = shipment.order
    planned = _plan(
        shipment.store,
        FlowKind.SHIPMENT_CONFIRMATION,
        moment=shipment_confirmation.moment(shipment),
        known_at=shipment.created_at,
        is_history=shipment.is_history or order.is_history,
        subject_key=shipment_confirmation.subject_key(shipment_id=shipment.pk),
        email=order.email,
        why=f"shipment {shipment.tracking_number} created",
        customer_id=order.customer_id,
        order_id=order.pk,
        shipment_id=shipment.pk,
    )
    enqueue_now(messages_schedule(planned))


def _status_moment(shipment: Shipment, status: str) -> datetime:
    """When the carrier says the parcel reached `status` (the newest event saying so)."""
    if status == ShipmentStatus.DELIVERED and shipment.delivered_at:
        return shipment.delivered_at
    event = TrackingEvent.objects.filter(shipment=shipment, status=status).order_by("-occurred_at").first()
    return event.occurred_at if event else timezone.now()


@receiver(shipment_events.shipment_status_changed)
def on_shipment_status_changed(sender, shipment_id: int, previous: str, status: str, **kwargs) -> None:
    shipment = Shipment.objects.select_related("order", "store").filter(pk=shipment_id).first()
    if shipment is None:
        return
    order = shipment.order
    event = {
        "moment": _status_moment(shipment, status),
        "known_at": timezone.now(),
        "is_history": shipment.is_history or order.is_history,
        "email": order.email,
        "customer_id": order.customer_id,
        "order_id": order.pk,
        "shipment_id": shipment.pk,
    }
    planned = _plan(
        shipment.store,
        FlowKind.SHIPMENT_UPDATE,
        subject_key=shipment_update.subject_key(shipment_id=shipment.pk),
        why=f"shipment now {status}",
        step_filters={"trigger_status": status},
        **event,
    )
    if status == ShipmentStatus.DELIVERED:
        planned += _plan(
            shipment.store,
            FlowKind.DELIVERED_FOLLOWUP,
            subject_key=delivered_followup.subject_key(order_id=order.pk),
            why="order delivered",
            **event,
        )
    enqueue_now(messages_schedule(planned))


@receiver(tracking)
def on_esp_event(sender, event, esp_name: str, **kwargs) -> None:
    from .services.esp_reports import esp_event_record

    esp_event_record(event=event, esp_name=esp_name)


@receiver(post_save, sender=Store)
def on_store_created(sender, instance: Store, created: bool, raw: bool = False, **kwargs) -> None:
    """Every new store starts with the default flows, switched off until the merchant turns them on."""
    if created and not raw:
        flows_install_defaults(store=instance)


def coupon_saved(sender, instance, **kwargs) -> None:
    """A coupon an email about an order handed out shows on that order's tracking page (apps.tracking.blocks):
    the cached page is stale once the coupon changes or goes."""
    if not instance.message_id:
        return  # not handed out by an email about an order: on no tracking page
    if Coupon.message.is_cached(instance):  # handed out just now, with its message: no query
        order_id = instance.message.order_id
    else:
        order_id = Message.objects.filter(pk=instance.message_id).values_list("order_id", flat=True).first()
    pages_changed(order_ids=[order_id])


for _name, _signal in (("saved", post_save), ("deleted", post_delete)):
    _signal.connect(coupon_saved, sender=Coupon, dispatch_uid=f"tracking.pages.{_name}.Coupon")
