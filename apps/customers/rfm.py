"""RFM: recency, frequency and monetary quintiles per store, computed in SQL with window functions,
named segments, the store's top 1 % by spend, each customer's median days between orders, and a
history row whenever a customer's segment moves.

Written as SQL both PostgreSQL and SQLite (3.33+) run: NTILE/LAG windows and UPDATE … FROM.
"""

import statistics
from collections import defaultdict
from datetime import datetime

from django.db import connection, transaction

from apps.stores.models import Store

# Evaluated top to bottom; the first that matches names the segment.
SEGMENT_SQL = """
CASE
    WHEN r >= 4 AND f >= 4 THEN 'champions'
    WHEN r >= 3 AND f >= 3 THEN 'loyal'
    WHEN r >= 4 AND f >= 2 THEN 'potential_loyalists'
    WHEN r = 5 AND f = 1 THEN 'new'
    WHEN r = 4 AND f = 1 THEN 'promising'
    WHEN r = 3 THEN 'need_attention'
    WHEN r <= 2 AND f >= 4 AND m >= 4 THEN 'cant_lose'
    WHEN r <= 2 AND f >= 3 THEN 'at_risk'
    WHEN r = 2 THEN 'hibernating'
    ELSE 'lost'
END
"""

SCORES_SQL = f"""
SELECT id, r, f, m, {SEGMENT_SQL} AS segment, top_percent FROM (
    SELECT id,
        NTILE(5) OVER (ORDER BY last_order_at, id) AS r,
        NTILE(5) OVER (ORDER BY orders_count, id) AS f,
        NTILE(5) OVER (ORDER BY total_spent, id) AS m,
        CASE WHEN PERCENT_RANK() OVER (ORDER BY total_spent, id) >= 0.99 THEN 1 ELSE 0 END AS top_percent
    FROM customers_customer
    WHERE store_id = %s AND orders_count > 0 AND last_order_at IS NOT NULL
) AS q
"""

HISTORY_SQL = f"""
INSERT INTO customers_rfmmove
    (store_id, customer_id, scored_on, segment, previous_segment, recency, frequency, monetary, created_at, modified_at)
SELECT %s, s.id, %s, s.segment, c.rfm_segment, s.r, s.f, s.m, %s, %s
FROM ({SCORES_SQL}) AS s JOIN customers_customer c ON c.id = s.id
WHERE c.rfm_segment <> s.segment
ON CONFLICT (customer_id, scored_on) DO NOTHING
"""

UPDATE_SQL = f"""
UPDATE customers_customer SET
    rfm_recency = s.r, rfm_frequency = s.f, rfm_monetary = s.m, rfm_segment = s.segment,
    rfm_top_percent = (s.top_percent = 1), rfm_scored_at = %s
FROM ({SCORES_SQL}) AS s
WHERE customers_customer.id = s.id
"""

GAPS_POSTGRES = """
UPDATE customers_customer SET median_order_gap_days = g.median
FROM (
    SELECT customer_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median FROM (
        SELECT customer_id,
               EXTRACT(EPOCH FROM placed_at - LAG(placed_at) OVER (PARTITION BY customer_id ORDER BY placed_at))
               / 86400.0 AS gap
        FROM orders_order WHERE store_id = %s AND customer_id IS NOT NULL AND status <> 'cancelled'
    ) AS gaps WHERE gap IS NOT NULL GROUP BY customer_id
) AS g
WHERE customers_customer.id = g.customer_id
  AND customers_customer.median_order_gap_days IS DISTINCT FROM g.median
"""

GAPS_PORTABLE = """
SELECT customer_id, julianday(placed_at) - julianday(LAG(placed_at) OVER (PARTITION BY customer_id ORDER BY placed_at))
FROM orders_order WHERE store_id = %s AND customer_id IS NOT NULL AND status <> 'cancelled'
"""


LAPSE_POSTGRES = """
UPDATE customers_customer
SET lapse_due_at = last_order_at + GREATEST(%s, 2 * COALESCE(median_order_gap_days, 0)) * INTERVAL '1 day'
WHERE store_id = %s AND last_order_at IS NOT NULL
"""

LAPSE_PORTABLE = """
UPDATE customers_customer
SET lapse_due_at = strftime('%%Y-%%m-%%d %%H:%%M:%%f',
    julianday(last_order_at) + MAX(%s, 2 * COALESCE(median_order_gap_days, 0)))
WHERE store_id = %s AND last_order_at IS NOT NULL
"""


def rfm_score_store(*, store: Store, now: datetime, lapse_days: int = 90) -> int:
    """Score every customer with an order; returns how many changed segment tonight."""
    day = now.date()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(HISTORY_SQL, [store.pk, day, now, now, store.pk])
        moved = cursor.rowcount
        cursor.execute(UPDATE_SQL, [now, store.pk])
        _median_gaps(cursor, store)
        lapse_sql = LAPSE_POSTGRES if connection.vendor == "postgresql" else LAPSE_PORTABLE
        cursor.execute(lapse_sql, [lapse_days, store.pk])
    return moved


def _median_gaps(cursor, store: Store) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(GAPS_POSTGRES, [store.pk])
        return
    cursor.execute(GAPS_PORTABLE, [store.pk])
    gaps: dict[int, list[float]] = defaultdict(list)
    for customer_id, gap in cursor.fetchall():
        if gap is not None:
            gaps[customer_id].append(gap)
    cursor.executemany(
        "UPDATE customers_customer SET median_order_gap_days = %s WHERE id = %s",
        [(statistics.median(values), customer_id) for customer_id, values in gaps.items()],
    )
