from django.db.models import Count, Q, QuerySet

from apps.stores.models import Store

from .models import Cart, CartLeaveReason, Order, OrderStatus


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
        .annotate(orders=Count("*"), revenue=Sum("total"))  # "*", not "id": the index holds no id
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


BEST_SELLERS_SECONDS = 3 * 3600  # beat refreshes the list hourly, so pages and emails find it cached


def best_seller_ids(*, store_id: int, days: int = 90, limit: int = 20, refresh: bool = False) -> list[int]:
    """The store's products with the most units sold lately (cancelled orders aside). It is one aggregate
    over months of order lines (seconds at a million customers), so pages and emails only read it from
    the cache, which an hourly task keeps filled (`refresh=True` computes it). On a cold cache (a new
    deployment, a flushed Redis) a worker is asked to compute it and there are no best sellers until it
    has: no buyer waits for the aggregate."""
    from datetime import timedelta

    from django.core.cache import cache
    from django.db.models import Sum
    from django.utils import timezone

    from .models import OrderLine, OrderStatus

    key = f"best-sellers:v2:{store_id}:{days}:{limit}"
    if not refresh:
        ids = cache.get(key)
        if ids is None and cache.add(f"{key}:queued", True, 300):  # one request per cold spell
            from .tasks import best_sellers_refresh_task

            best_sellers_refresh_task.delay(store_id=store_id)
            ids = cache.get(key)  # filled already where tasks run eagerly
        return ids or []
    since = timezone.now() - timedelta(days=days)
    ids = list(
        OrderLine.objects.filter(store_id=store_id, product__isnull=False, order__placed_at__gte=since)
        .exclude(order__status=OrderStatus.CANCELLED)
        .values("product_id")
        .annotate(units=Sum("quantity"))
        .order_by("-units", "product_id")
        .values_list("product_id", flat=True)[:limit]
    )
    cache.set(key, ids, BEST_SELLERS_SECONDS)
    cache.delete(f"{key}:queued")
    return ids


def recommended_products(*, order: Order, limit: int = 4) -> list:
    """Products to suggest after an order, for its tracking page and its emails: in stock, with a page to
    link to, not yet bought by this buyer; those more of this order's items point to come first, and the
    store's best sellers fill the rest."""
    from django.db.models import Count, OuterRef, Subquery

    from .models import OrderLine, Product

    in_this_order = sorted({line.product_id for line in order.lines.all() if line.product_id})
    buyer = {"order__customer_id": order.customer_id} if order.customer_id else {"order_id": order.pk}
    bought = OrderLine.objects.filter(store_id=order.store_id, product__isnull=False, **buyer).values("product_id")
    candidates = Product.objects.filter(store_id=order.store_id, in_stock=True).exclude(url="").exclude(pk__in=bought)

    chosen: list = []
    if in_this_order:
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
        taken = {product.pk for product in chosen}
        wanted = [pk for pk in best_seller_ids(store_id=order.store_id) if pk not in taken]
        by_id = candidates.in_bulk(wanted)
        chosen += [by_id[pk] for pk in wanted if pk in by_id][: limit - len(chosen)]
    return chosen


def buyer_external_ids(*, store_id: int, customer_id: int, email: str) -> set[str]:
    """The shop's ids of a buyer's orders and carts (their own, and guest rows under their address): what
    inbound deliveries about them are filed under."""
    buyer = Q(customer_id=customer_id) | Q(customer__isnull=True, email=email)
    orders = Order.objects.filter(buyer, store_id=store_id).values_list("external_id", flat=True)
    carts = Cart.objects.filter(buyer, store_id=store_id).values_list("external_id", flat=True)
    return {value for value in (*orders, *carts) if value}


def cart_leave_reasons(*, store: Store, since) -> list[dict]:
    """Why buyers left their carts, as they answered since `since`: each reason with how many gave it and how
    many of those carts still became orders, most given first; every reason is listed (one query)."""
    counts = {
        row["leave_reason"]: row
        for row in Cart.objects.filter(store=store, leave_reason_at__gte=since)
        .exclude(leave_reason="")
        .values("leave_reason")
        .annotate(answers=Count("pk"), recovered=Count("pk", filter=Q(converted_order__isnull=False)))
    }
    total = sum(row["answers"] for row in counts.values())
    rows = []
    for reason, label in CartLeaveReason.choices:
        row = counts.get(reason, {"answers": 0, "recovered": 0})
        rows.append(
            {
                "reason": reason,
                "label": label,
                "answers": row["answers"],
                "recovered": row["recovered"],
                "share": row["answers"] / total if total else 0,
            }
        )
    return sorted(rows, key=lambda row: -row["answers"])
