"""Reads for buyer pages: recommendations, delay notices, and the merchant's block analytics."""

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from apps.orders.models import Order, OrderLine, OrderStatus, Product
from apps.shipments.models import ATTENTION_STATUSES, Shipment, ShipmentStatus
from apps.stores.models import Store

from .models import PageBlock, PageEvent, PageEventKind

RECOMMENDATIONS_MAX = 4
RECOMMENDATIONS_CACHE_SECONDS = 5 * 60
BEST_SELLERS_WINDOW = timedelta(days=90)

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


def _bought_by_buyer(order: Order) -> QuerySet:
    """Product ids this buyer has ever bought in this store (this order's alone for a guest)."""
    lines = OrderLine.objects.filter(store_id=order.store_id, product__isnull=False)
    buyer = {"order__customer_id": order.customer_id} if order.customer_id else {"order_id": order.pk}
    return lines.filter(**buyer).values("product_id")


def _recommend(order: Order, limit: int) -> list[dict]:
    in_this_order = sorted({line.product_id for line in order.lines.all() if line.product_id})
    bought = _bought_by_buyer(order)
    candidates = Product.objects.filter(store_id=order.store_id, in_stock=True).exclude(url="").exclude(pk__in=bought)

    chosen: list[Product] = []
    if in_this_order:
        # Related to what was bought, the products more of this order's items point to first.
        through = Product.related_products.through
        links = (
            through.objects.filter(to_product_id=OuterRef("pk"), from_product_id__in=in_this_order)
            .order_by()
            .values("to_product_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        chosen = list(
            candidates.annotate(links=Subquery(links)).filter(links__gt=0).order_by("-links", "name", "pk")[:limit]
        )
    if len(chosen) < limit:
        # Fall back on the store's best sellers of the last months, by units sold.
        since = timezone.now() - BEST_SELLERS_WINDOW
        sold = (
            OrderLine.objects.filter(product_id=OuterRef("pk"), order__placed_at__gte=since)
            .exclude(order__status=OrderStatus.CANCELLED)
            .order_by()
            .values("product_id")
            .annotate(units=Sum("quantity"))
            .values("units")
        )
        best = (
            candidates.exclude(pk__in=[p.pk for p in chosen])
            .annotate(units=Subquery(sold))
            .filter(units__gt=0)
            .order_by("-units", "name", "pk")[: limit - len(chosen)]
        )
        chosen.extend(best)
    return [_as_card(product) for product in chosen]


def recommendations_for_order(*, order: Order, limit: int = RECOMMENDATIONS_MAX) -> list[dict]:
    """Up to four in-stock products for this order's page: related to what was bought and not yet
    bought by this buyer, topped up with the store's best sellers. Cached per order for minutes."""
    key = f"tracking:recs:v1:{order.pk}:{order.tracking_token}:{limit}"
    cards = cache.get(key)
    if cards is None:
        cards = _recommend(order, limit)
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
        and shipment.status not in (ShipmentStatus.DELIVERED, ShipmentStatus.PENDING)
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
