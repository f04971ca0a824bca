"""Reads for buyer pages: recommendations, delay notices, and the merchant's block analytics."""

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from apps.orders.models import Order, Product
from apps.orders.selectors import recommended_products
from apps.shipments.models import ATTENTION_STATUSES, Shipment, ShipmentStatus, TrackingEvent
from apps.stores.models import Store

from . import blocks
from .models import PageBlock, PageEvent, PageEventKind, PageViewCount

RECOMMENDATIONS_MAX = 4
RECOMMENDATIONS_CACHE_SECONDS = 5 * 60

# A parcel in transit with no carrier scan for this long gets a delay notice.
STALLED_AFTER = timedelta(days=4)


# --- The order a page shows -------------------------------------------------------------------
def _orders_for_page():
    """Orders with everything a buyer page shows, in a fixed number of queries."""
    return Order.objects.select_related("store", "customer").prefetch_related(
        "lines",
        Prefetch(
            "shipments",
            queryset=Shipment.objects.order_by("created_at").prefetch_related(
                Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id"))
            ),
        ),
    )


def order_by_tracking_token(*, token: str) -> Order | None:
    return _orders_for_page().filter(tracking_token=token).first()


SHIPMENT_COLUMNS = [f.attname for f in Shipment._meta.concrete_fields]
EVENT_COLUMNS = [f.attname for f in TrackingEvent._meta.concrete_fields]


def order_for_page(
    *, order_id: int | None = None, token: str = "", store_id: int | None = None, with_lines: bool = True
) -> Order | None:
    """One order with everything its buyer page shows, in three queries whatever it holds: the order with
    its store, customer and NPS score; its lines (unless `with_lines` is off: the live part shows none);
    its shipments with their events (one joined query).

    `order.shipments.all()` and each `shipment.events.all()` then read loaded rows (parcels oldest first,
    events newest first); `order.nps_score` is the buyer's answer (None before one)."""
    orders = Order.objects.select_related("store", "customer")
    if with_lines:
        orders = orders.prefetch_related("lines")
    orders = orders.annotate(nps_score=blocks.nps_score())  # apps.feedback's NPS block (blocks.py)
    if token:
        orders = orders.filter(tracking_token=token)
    if order_id is not None:
        orders = orders.filter(pk=order_id)
    if store_id is not None:
        orders = orders.filter(store_id=store_id)
    order = orders.first()
    if order is not None:
        _load_shipments(order)
    return order


def _load_shipments(order: Order) -> None:
    """Shipments and their events in one LEFT JOIN, set as if prefetched."""
    rows = (
        Shipment.objects.filter(order_id=order.pk)
        .order_by("created_at", "pk", "-events__occurred_at", "-events__id")
        .values_list(*SHIPMENT_COLUMNS, *(f"events__{name}" for name in EVENT_COLUMNS))
    )
    shipments: dict[int, Shipment] = {}
    events: dict[int, list[TrackingEvent]] = {}
    width = len(SHIPMENT_COLUMNS)
    for row in rows:
        shipment_values, event_values = row[:width], row[width:]
        shipment_id = shipment_values[SHIPMENT_COLUMNS.index("id")]
        if shipment_id not in shipments:
            shipment = Shipment.from_db("default", SHIPMENT_COLUMNS, shipment_values)
            shipment.order = order
            shipments[shipment_id] = shipment
            events[shipment_id] = []
        if event_values[EVENT_COLUMNS.index("id")] is not None:
            event = TrackingEvent.from_db("default", EVENT_COLUMNS, event_values)
            event.shipment = shipments[shipment_id]
            events[shipment_id].append(event)
    for shipment_id, shipment in shipments.items():
        _set_prefetched(shipment, "events", events[shipment_id])
    _set_prefetched(order, "shipments", list(shipments.values()))


def _set_prefetched(instance, name: str, objects: list) -> None:
    """What prefetch_related leaves behind: `instance.<name>.all()` returns `objects` without a query."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance._prefetched_objects_cache = {**getattr(instance, "_prefetched_objects_cache", {}), name: queryset}


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


# --- Analytics ------------------------------------------------------------------------------
def _block_rows(*, store: Store, since=None, until=None, by_day_in=None):
    """Views and clicks per block (and local day when `by_day_in` is a time zone), in one statement: view and
    click rows of PageEvent, plus the views counted in the cache and flushed to PageViewCount (page_views.py)."""
    from django.db.models import IntegerField, Value
    from django.db.models.functions import TruncDate

    events = PageEvent.objects.filter(store=store)
    tallies = PageViewCount.objects.filter(store=store)
    if since:
        events, tallies = events.filter(created_at__gte=since), tallies.filter(counted_at__gte=since)
    if until:
        events, tallies = events.filter(created_at__lt=until), tallies.filter(counted_at__lt=until)
    keys = ["block"]
    if by_day_in is not None:
        events = events.annotate(day=TruncDate("created_at", tzinfo=by_day_in))
        tallies = tallies.annotate(day=TruncDate("counted_at", tzinfo=by_day_in))
        keys = ["day", "block"]
    counted = events.values(*keys).annotate(
        views=Count("pk", filter=Q(kind=PageEventKind.VIEW)),
        clicks=Count("pk", filter=Q(kind=PageEventKind.CLICK)),
    )
    flushed = tallies.values(*keys).annotate(views=Sum("views"), clicks=Value(0, output_field=IntegerField()))
    return counted.order_by().union(flushed.order_by(), all=True)


def page_block_counts(*, store: Store, since=None, until=None) -> dict[str, dict]:
    """Views, clicks and click rate per block of a store's buyer pages (every block listed, zeros too)."""
    totals = {block: [0, 0] for block in PageBlock.values}
    for row in _block_rows(store=store, since=since, until=until):
        total = totals.setdefault(row["block"], [0, 0])
        total[0] += row["views"] or 0
        total[1] += row["clicks"] or 0
    return {
        block: {"views": views, "clicks": clicks, "click_rate": round(clicks / views, 4) if views else None}
        for block, (views, clicks) in totals.items()
    }


def page_block_counts_by_day(*, store: Store, since, until) -> dict:
    """{local day: {block: [views, clicks]}} in the store's time zone, for the dashboard's daily figures
    (counted views included once flushed). One statement."""
    days: dict = {}
    for row in _block_rows(store=store, since=since, until=until, by_day_in=store.tz):
        total = days.setdefault(row["day"], {}).setdefault(row["block"], [0, 0])
        total[0] += row["views"] or 0
        total[1] += row["clicks"] or 0
    return days
