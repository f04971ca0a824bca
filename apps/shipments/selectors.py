from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from apps.orders.models import Order
from apps.stores.models import Store

from .models import ATTENTION_STATUSES, Shipment, ShipmentStatus, TrackingEvent


def shipments_for_store(
    *, store: Store, search: str = "", status: str = "", carrier: str = "", attention: bool = False
) -> QuerySet[Shipment]:
    shipments = Shipment.objects.filter(store=store).select_related("order")
    if search:
        term = search.strip()
        shipments = shipments.filter(
            Q(tracking_number__iexact=term) | Q(order__number__iexact=term) | Q(order__number__iexact=f"#{term}")
        )
    if status in ShipmentStatus.values:
        shipments = shipments.filter(status=status)
    if carrier:
        shipments = shipments.filter(carrier=carrier)
    if attention:
        shipments = shipments.filter(status__in=ATTENTION_STATUSES)
    return shipments.order_by("-created_at", "-id")


def shipment_for_store(*, store: Store, pk: int) -> Shipment:
    queryset = (
        Shipment.objects.filter(store=store)
        .select_related("order", "order__customer")
        .prefetch_related(Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id")))
    )
    return get_object_or_404(queryset, pk=pk)


# --- Dashboard: what needs a person's attention -----------------------------------------------
def needs_attention_q() -> Q:
    """A shipment in a troubled status, or flagged by the delivery watch (no carrier news for days)."""
    return Q(status__in=ATTENTION_STATUSES) | Q(delay_flagged_at__isnull=False)


def shipments_for_dashboard(
    *, store: Store, search: str = "", status: str = "", carrier: str = "", attention: bool = False
) -> QuerySet[Shipment]:
    """The shipments list: as `shipments_for_store`, with "needs attention" including delay-watch flags."""
    shipments = shipments_for_store(store=store, search=search, status=status, carrier=carrier)
    return shipments.filter(needs_attention_q()) if attention else shipments


def attention_counts(*, store: Store) -> dict[str, int]:
    """Shipments needing attention now: in a troubled status, flagged as stuck, and either (one query)."""
    from django.db.models import Count

    # Counted over store_id, not id: the partial index shipment_needs_attention answers it alone.
    return (
        Shipment.objects.filter(store=store)
        .filter(needs_attention_q())
        .aggregate(
            troubled=Count("store_id", filter=Q(status__in=ATTENTION_STATUSES)),
            flagged=Count("store_id", filter=Q(delay_flagged_at__isnull=False)),
            total=Count("store_id"),
        )
    )


def shipments_for_orders(*, store: Store, order_ids) -> list[Shipment]:
    return list(
        Shipment.objects.filter(store=store, order_id__in=list(order_ids))
        .select_related("order")
        .order_by("-created_at", "-id")
    )


def shipment_external_ids(*, order_ids) -> set[str]:
    """The ids carriers and shops file a set of orders' parcels under: shipment ids and tracking numbers."""
    rows = Shipment.objects.filter(order_id__in=order_ids).values_list("external_id", "tracking_number")
    return {value for row in rows for value in row if value}


def order_for_store(*, store: Store, pk: int) -> Order:
    """One order with its lines and parcels (and their events) for the dashboard's order page, in a fixed number
    of queries. Another store's id is a 404."""
    queryset = (
        Order.objects.filter(store=store)
        .select_related("customer", "store")
        .prefetch_related(
            "lines",
            Prefetch(
                "shipments",
                queryset=Shipment.objects.order_by("created_at").prefetch_related(
                    Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id"))
                ),
            ),
        )
    )
    return get_object_or_404(queryset, pk=pk)
