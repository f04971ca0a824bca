from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from apps.shipments.models import Shipment, TrackingEvent
from apps.stores.models import Store

from .models import Order, OrderStatus


def orders_for_store(*, store: Store, search: str = "", status: str = "") -> QuerySet[Order]:
    orders = Order.objects.filter(store=store).select_related("customer")
    if search:
        term = search.strip().lstrip("#")
        orders = orders.filter(
            Q(number__iexact=term)
            | Q(number__iexact=f"#{term}")
            | Q(external_id=term)
            | Q(email__iexact=term.lower())
            | Q(customer__last_name__iexact=term)
        )
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    return orders.order_by("-placed_at", "-id")


def order_for_store(*, store: Store, pk: int) -> Order:
    """One order with everything its pages show, in a fixed number of queries. Another store's id is a 404."""
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


def order_by_tracking_token(*, token: str) -> Order | None:
    return (
        Order.objects.select_related("store", "customer")
        .prefetch_related(
            "lines",
            Prefetch(
                "shipments",
                queryset=Shipment.objects.order_by("created_at").prefetch_related(
                    Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id"))
                ),
            ),
        )
        .filter(tracking_token=token)
        .first()
    )


def order_for_lookup(*, store: Store, number: str, email_or_postcode: str) -> Order | None:
    """The order a buyer asks for by number plus email or postcode; None for any mismatch alike."""
    term = number.strip().lstrip("#")
    proof = email_or_postcode.strip()
    if not term or not proof:
        return None
    candidates = Order.objects.filter(store=store).filter(Q(number__iexact=term) | Q(number__iexact=f"#{term}"))
    if "@" in proof:
        candidates = candidates.filter(email__iexact=proof.lower())
    else:
        normalised = proof.replace(" ", "").upper()
        candidates = [o for o in candidates if o.shipping_postcode.replace(" ", "").upper() == normalised]
        return candidates[0] if candidates else None
    return candidates.first()


def order_counts_by_day(*, store: Store, since) -> list[dict]:
    """Orders and revenue per local day of the store since a moment, oldest first."""
    from django.db.models import Count, Sum
    from django.db.models.functions import TruncDate

    return list(
        Order.objects.filter(store=store, placed_at__gte=since)
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(day=TruncDate("placed_at", tzinfo=store.tz))
        .values("day")
        .annotate(orders=Count("id"), revenue=Sum("total"))
        .order_by("day")
    )


def order_stats_for_customer(*, customer_id: int) -> dict:
    """Count, spend, first and last order of a customer; cancelled orders do not count."""
    from django.db.models import Count, Max, Min, Sum

    return (
        Order.objects.filter(customer_id=customer_id)
        .exclude(status=OrderStatus.CANCELLED)
        .aggregate(count=Count("id"), spent=Sum("total"), first=Min("placed_at"), last=Max("placed_at"))
    )
