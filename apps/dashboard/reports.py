"""The figures on the dashboard home, composed from each app's selectors."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from apps.customers.selectors import customer_counts
from apps.orders.selectors import order_counts_by_day
from apps.shipments.models import ShipmentStatus
from apps.shipments.selectors import shipment_status_counts, shipments_needing_attention_count
from apps.stores.models import Store

from .charts import Bar, Segment, daily_bars, share_segments


@dataclass(frozen=True)
class Overview:
    orders: int
    revenue: Decimal
    average_order: Decimal
    order_bars: list[Bar]
    shipment_segments: list[Segment]
    shipments: int
    needing_attention: int
    customers: dict[str, int]


def store_overview(*, store: Store, since: datetime) -> Overview:
    daily = order_counts_by_day(store=store, since=since)
    orders = sum(row["orders"] for row in daily)
    revenue = sum((row["revenue"] or Decimal(0) for row in daily), Decimal(0))
    first_day = timezone.localtime(since, store.tz).date()
    days = (timezone.localtime(timezone.now(), store.tz).date() - first_day).days + 1
    status_counts = shipment_status_counts(store=store, since=since)
    return Overview(
        orders=orders,
        revenue=revenue,
        average_order=(revenue / orders).quantize(Decimal("0.01")) if orders else Decimal(0),
        order_bars=daily_bars({row["day"]: row["orders"] for row in daily}, first_day=first_day, days=days),
        shipment_segments=share_segments(status_counts, dict(ShipmentStatus.choices)),
        shipments=sum(status_counts.values()),
        needing_attention=shipments_needing_attention_count(store=store),
        customers=customer_counts(store=store),
    )
