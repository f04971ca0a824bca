"""How long a product lasts, learned from the store's own repeat purchases: the median days between two
orders of the same product by the same customer, with how many such repeats it is based on."""

import statistics
from collections import defaultdict

from django.db import connection

from apps.stores.models import Store

from .models import Product

MIN_OBSERVATIONS = 5

POSTGRES_SQL = """
WITH purchases AS (
    SELECT l.product_id, o.customer_id, o.placed_at,
           LAG(o.placed_at) OVER (PARTITION BY o.customer_id, l.product_id ORDER BY o.placed_at) AS previous
    FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
    WHERE l.store_id = %s AND l.product_id IS NOT NULL AND o.customer_id IS NOT NULL AND o.status <> 'cancelled'
)
SELECT product_id,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM placed_at - previous) / 86400.0),
       COUNT(*)
FROM purchases WHERE previous IS NOT NULL AND placed_at - previous >= INTERVAL '1 day'
GROUP BY product_id
"""

PORTABLE_SQL = """
SELECT product_id, julianday(placed_at) - julianday(previous) FROM (
    SELECT l.product_id, o.placed_at,
           LAG(o.placed_at) OVER (PARTITION BY o.customer_id, l.product_id ORDER BY o.placed_at) AS previous
    FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
    WHERE l.store_id = %s AND l.product_id IS NOT NULL AND o.customer_id IS NOT NULL AND o.status <> 'cancelled'
) WHERE previous IS NOT NULL AND julianday(placed_at) - julianday(previous) >= 1
"""


def learned_intervals(store: Store) -> dict[int, tuple[float, int]]:
    """product id → (median days, observations)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_SQL, [store.pk])
            return {pid: (float(median), count) for pid, median, count in cursor.fetchall()}
        cursor.execute(PORTABLE_SQL, [store.pk])
        gaps: dict[int, list[float]] = defaultdict(list)
        for product_id, days in cursor.fetchall():
            gaps[product_id].append(days)
    return {pid: (statistics.median(values), len(values)) for pid, values in gaps.items()}


def intervals_learn(*, store: Store) -> int:
    """Store each product's learned interval; returns how many products changed."""
    learned = learned_intervals(store)
    changed = []
    for product in Product.objects.filter(store=store).only("pk", "learned_interval_days", "learned_observations"):
        days, count = learned.get(product.pk, (None, 0))
        value = round(days) if days is not None else None
        if (product.learned_interval_days, product.learned_observations) != (value, count):
            product.learned_interval_days, product.learned_observations = value, count
            changed.append(product)
    Product.objects.bulk_update(changed, ["learned_interval_days", "learned_observations"], batch_size=1000)
    return len(changed)


def interval_days(product: Product) -> int | None:
    """The merchant's interval when set, else the learned one once it rests on enough repeats."""
    if product.replenishment_days:
        return product.replenishment_days
    if product.learned_interval_days and product.learned_observations >= MIN_OBSERVATIONS:
        return product.learned_interval_days
    return None
