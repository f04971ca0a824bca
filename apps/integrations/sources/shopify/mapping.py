"""Shopify's words for statuses and languages → ours; shared by the webhook adapter and the history import."""

from apps.orders.models import OrderStatus
from apps.shipments.models import ShipmentStatus as S
from apps.stores.models import Language

# Shopify's fulfillment event / shipment_status words (FulfillmentEventStatus, and the GraphQL
# FulfillmentDisplayStatus lower-cased) → our statuses.
STATUS_MAP: dict[str, str] = {
    "label_printed": S.INFO_RECEIVED,
    "label_purchased": S.INFO_RECEIVED,
    "confirmed": S.INFO_RECEIVED,
    "carrier_picked_up": S.IN_TRANSIT,
    "in_transit": S.IN_TRANSIT,
    "delayed": S.EXCEPTION,
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "attempted_delivery": S.ATTEMPT_FAILED,
    "ready_for_pickup": S.AVAILABLE_FOR_PICKUP,
    "picked_up": S.DELIVERED,
    "delivered": S.DELIVERED,
    "failure": S.EXCEPTION,
}


def map_status(raw: str | None) -> str:
    return STATUS_MAP.get((raw or "").lower(), S.UNKNOWN)


def language(value: str) -> str:
    """The store language of a locale such as "en-CA", or "" when the stores do not offer it."""
    word = value.replace("_", "-").split("-")[0].lower()
    return word if word in Language.values else ""


def order_status_of(*, financial: str, fulfillment: str, cancelled: bool) -> OrderStatus:
    """One rule for REST's financial_status/fulfillment_status ("partial") and GraphQL's display statuses
    (PARTIALLY_FULFILLED), compared lower-case."""
    financial, fulfillment = financial.lower(), fulfillment.lower()
    if cancelled:
        return OrderStatus.CANCELLED
    if financial == "refunded":
        return OrderStatus.REFUNDED
    if fulfillment == "fulfilled":
        return OrderStatus.FULFILLED
    if fulfillment in ("partial", "partially_fulfilled"):
        return OrderStatus.PARTIALLY_FULFILLED
    if financial in ("pending", "authorized", ""):
        return OrderStatus.PENDING
    return OrderStatus.PAID
