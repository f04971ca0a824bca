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


def best_seller_ids(*, store_id: int, days: int = 90, limit: int = 20) -> list[int]:
    """The store's most ordered products lately; cached for an hour (it is one aggregate over many lines)."""
    from datetime import timedelta

    from django.core.cache import cache
    from django.db.models import Count
    from django.utils import timezone

    from .models import OrderLine

    key = f"best-sellers:{store_id}:{days}:{limit}"
    ids = cache.get(key)
    if ids is None:
        since = timezone.now() - timedelta(days=days)
        ids = list(
            OrderLine.objects.filter(store_id=store_id, product__isnull=False, order__placed_at__gte=since)
            .values("product_id")
            .annotate(sold=Count("id"))
            .order_by("-sold", "product_id")
            .values_list("product_id", flat=True)[:limit]
        )
        cache.set(key, ids, 3600)
    return ids


def recommendations_for(*, order: Order, customer=None, limit: int = 4) -> list:
    """Products to suggest after an order: related to what was bought, in stock, not already bought by
    this customer; the store's best sellers fill the rest."""
    from .models import OrderLine, Product

    lines = OrderLine.objects.filter(product__isnull=False)
    bought = set(lines.filter(order=order).values_list("product_id", flat=True))
    if customer is not None:
        bought |= set(lines.filter(order__customer=customer).values_list("product_id", flat=True))
    in_stock = Product.objects.filter(store_id=order.store_id, in_stock=True).exclude(pk__in=bought)
    picked = list(in_stock.filter(product__in=bought).distinct().order_by("name")[:limit]) if bought else []
    if len(picked) < limit:
        wanted = [pk for pk in best_seller_ids(store_id=order.store_id) if pk not in {p.pk for p in picked}]
        by_id = in_stock.in_bulk(wanted)
        picked += [by_id[pk] for pk in wanted if pk in by_id][: limit - len(picked)]
    return picked
