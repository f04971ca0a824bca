"""What makes a cached tracking page stale: every save and delete of what the page shows.

| model          | makes unreachable                                  |
| -------------- | -------------------------------------------------- |
| Order          | its page (and forgets nothing else: tokens never move) |
| OrderLine      | its order's page                                   |
| Shipment       | its order's page                                   |
| TrackingEvent  | its shipment's order's page                        |
| NpsResponse    | its order's page (the prompt turns into thanks); connected by apps.feedback |
| Coupon         | the page of the order whose email handed it out; connected by apps.campaigns |
| Customer       | the pages of the customer's orders (name, language, newsletter state) |
| Store          | every page of the store (brand, languages, support details) |

The two apps above tracking connect their own models (feedback/apps.py, campaigns/receivers.py), with the same
dispatch_uid pattern, so this app imports neither. Writes that bypass signals (`.update()`, `bulk_create`)
announce a domain event instead, which `connect` listens to: late carrier events and refreshed predicted days
(shipments), an erased buyer's orders and redeemed codes (orders_changed_in_bulk), a suppressed address
(customer_changed_in_bulk).
"""

from apps.customers.models import Customer
from apps.orders.models import Order, OrderLine
from apps.shipments.models import Shipment, TrackingEvent
from apps.stores.models import Store

from .page_cache import customer_pages_changed, pages_changed

# Customer fields a tracking page shows or depends on; other saves (order counts, RFM) leave pages alone.
CUSTOMER_FIELDS_SHOWN = {
    "first_name",
    "locale",
    "time_zone",
    "email",
    "marketing_consent",
    "suppressed_at",
}


def order_saved(sender, instance: Order, **kwargs) -> None:
    pages_changed(order_ids=[instance.pk])


def order_part_saved(sender, instance, **kwargs) -> None:
    """An OrderLine, Shipment or NpsResponse (connected by apps.feedback): each carries its order id."""
    pages_changed(order_ids=[instance.order_id])


def tracking_event_saved(sender, instance: TrackingEvent, **kwargs) -> None:
    if TrackingEvent.shipment.is_cached(instance):
        order_id = instance.shipment.order_id
    else:
        order_id = Shipment.objects.filter(pk=instance.shipment_id).values_list("order_id", flat=True).first()
    pages_changed(order_ids=[order_id])


def customer_saved(sender, instance: Customer, update_fields=None, **kwargs) -> None:
    if update_fields is not None and not CUSTOMER_FIELDS_SHOWN.intersection(update_fields):
        return
    customer_pages_changed(customer_id=instance.pk)


def store_saved(sender, instance: Store, **kwargs) -> None:
    pages_changed(store_ids=[instance.pk])


def customer_changed(sender, customer_id, **kwargs) -> None:
    customer_pages_changed(customer_id=customer_id)


def orders_changed(sender, order_ids=(), order_id=None, **kwargs) -> None:
    """Domain events for rows written in bulk (an erased buyer's orders, late carrier events)."""
    pages_changed(order_ids=[*order_ids, order_id])


def connect() -> None:
    from django.db.models.signals import post_delete, post_save, pre_delete

    for model, receiver in (
        (Order, order_saved),
        (OrderLine, order_part_saved),
        (Shipment, order_part_saved),
        (TrackingEvent, tracking_event_saved),
        (Customer, customer_saved),
        (Store, store_saved),
    ):
        # A deleted customer's orders lose their link in the same delete: find them before it.
        deleted = pre_delete if model is Customer else post_delete
        for name, signal in (("saved", post_save), ("deleted", deleted)):
            signal.connect(receiver, sender=model, dispatch_uid=f"tracking.pages.{name}.{model.__name__}")
    from apps.orders.events import orders_changed_in_bulk
    from apps.shipments.events import events_added

    orders_changed_in_bulk.connect(orders_changed, dispatch_uid="tracking.pages.orders_changed_in_bulk")
    events_added.connect(orders_changed, dispatch_uid="tracking.pages.events_added")
    from apps.customers.events import customer_changed_in_bulk

    customer_changed_in_bulk.connect(customer_changed, dispatch_uid="tracking.pages.customer_changed_in_bulk")
