"""Reads for buyer pages: recommendations, delay notices, and the merchant's block analytics."""

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.orders.models import Order, Product
from apps.orders.selectors import recommended_products
from apps.shipments.models import ATTENTION_STATUSES, Shipment, ShipmentStatus
from apps.stores.models import Store

from .models import PageBlock, PageEvent, PageEventKind

RECOMMENDATIONS_MAX = 4
RECOMMENDATIONS_CACHE_SECONDS = 5 * 60

# A parcel in transit with no carrier scan for this long gets a delay notice.
STALLED_AFTER = timedelta(days=4)


# --- Recommendations ------------------------------------------------------------------------
def _as_card(product: Product) -> dict:
    return {
        "id": product.pk,
        "name": product.name,
        "url": product.url,
        "image_url": product.image_url,
        "price": product.price,
        "currency": product.currency,
    }


def recommendations_for_order(*, order: Order, limit: int = RECOMMENDATIONS_MAX) -> list[dict]:
    """Up to four in-stock products for this order's page: related to what was bought and not yet
    bought by this buyer, topped up with the store's best sellers. Cached per order for minutes."""
    key = f"tracking:recs:v1:{order.pk}:{order.tracking_token}:{limit}"
    cards = cache.get(key)
    if cards is None:
        cards = [_as_card(product) for product in recommended_products(order=order, limit=limit)]
        cache.set(key, cards, RECOMMENDATIONS_CACHE_SECONDS)
    return cards


# --- Delays ---------------------------------------------------------------------------------
class Delay:
    EXCEPTION = ShipmentStatus.EXCEPTION.value
    ATTEMPT_FAILED = ShipmentStatus.ATTEMPT_FAILED.value
    RETURNED = ShipmentStatus.RETURNED.value
    STALLED = "stalled"  # in transit, and the carrier has said nothing for days
    LATE = "late"  # the estimated delivery day has passed


def last_carrier_news(shipment: Shipment, events=None):
    """When the carrier last said anything: the newest loaded event, the shipment's record of it,
    or the shipping time when there is no scan at all."""
    moments = [shipment.last_event_at, shipment.shipped_at]
    if events:
        moments.append(max(e.occurred_at for e in events))
    moments = [m for m in moments if m]
    return max(moments) if moments else None


# A parcel waiting at a pickup point has arrived: past its estimate it is not late. Nor is one that is over.
NOT_LATE = (
    ShipmentStatus.DELIVERED,
    ShipmentStatus.PENDING,
    ShipmentStatus.AVAILABLE_FOR_PICKUP,
    ShipmentStatus.RETURNED,
    ShipmentStatus.EXPIRED,
)


def shipment_delay(shipment: Shipment, *, events=None, now=None, today=None) -> str:
    """Why this shipment deserves a notice to its buyer ('' for none). Uses loaded data only.

    `today` is the buyer's local date, for comparing with the estimated delivery day.
    """
    if shipment.status in ATTENTION_STATUSES:
        return shipment.status
    now = now or timezone.now()
    if shipment.status == ShipmentStatus.IN_TRANSIT:
        last = last_carrier_news(shipment, events)
        if last and now - last >= STALLED_AFTER:
            return Delay.STALLED
    if (
        shipment.estimated_delivery
        and today
        and shipment.status not in NOT_LATE
        and shipment.estimated_delivery < today
    ):
        return Delay.LATE
    return ""


def stalled_shipments(*, store: Store, now=None) -> QuerySet[Shipment]:
    """A store's shipments in transit with no carrier scan for STALLED_AFTER."""
    cutoff = (now or timezone.now()) - STALLED_AFTER
    return Shipment.objects.filter(store=store, status=ShipmentStatus.IN_TRANSIT).filter(
        Q(last_event_at__lt=cutoff) | Q(last_event_at__isnull=True, shipped_at__lt=cutoff)
    )


# --- Analytics ------------------------------------------------------------------------------
def page_block_counts(*, store: Store, since=None, until=None) -> dict[str, dict]:
    """Views, clicks and click rate per block of a store's buyer pages (every block listed, zeros too)."""
    events = PageEvent.objects.filter(store=store)
    if since:
        events = events.filter(created_at__gte=since)
    if until:
        events = events.filter(created_at__lt=until)
    rows = events.values("block").annotate(
        views=Count("pk", filter=Q(kind=PageEventKind.VIEW)),
        clicks=Count("pk", filter=Q(kind=PageEventKind.CLICK)),
    )
    counts = {block: {"views": 0, "clicks": 0, "click_rate": None} for block in PageBlock.values}
    for row in rows.order_by():
        counts[row["block"]] = {
            "views": row["views"],
            "clicks": row["clicks"],
            "click_rate": round(row["clicks"] / row["views"], 4) if row["views"] else None,
        }
    return counts
