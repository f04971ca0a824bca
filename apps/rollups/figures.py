"""Counting one store's days from the source rows: the definitions behind every figure of the dashboard home.

A day is a local day in the store's time zone. What each day holds (JSON, so a figure can be added without a
migration; amounts are decimal strings):
- orders, revenue: orders placed that day, cancelled ones left out;
- shipments: {status: [created that day and in this status now, of which flagged stuck by the delivery watch]};
- flows: {flow id: {sent, delivered, opened, clicked, bounced, conversions, revenue}} of emails sent that day
  (what became of them later — opens, clicks, credited orders — counts on the day they were sent);
- carts: {emailed, recovered}: carts whose first abandoned-cart email was sent that day, and of those the ones
  that became an order after it;
- nps: {score: answers} by the day an answer was last given;
- blocks: {block: [views, clicks]} of the buyer pages that day.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncDate

from apps.campaigns.models import FlowKind, Message, MessageStatus
from apps.feedback.models import NpsResponse
from apps.orders.models import Cart, Order, OrderStatus
from apps.shipments.models import Shipment
from apps.stores.models import Store
from apps.tracking.models import PageEvent, PageViewCount
from apps.tracking.selectors import page_block_counts_by_day


def empty_day() -> dict:
    return {
        "orders": 0,
        "revenue": "0",
        "shipments": {},
        "flows": {},
        "carts": {"emailed": 0, "recovered": 0},
        "nps": {},
        "blocks": {},
    }


def day_start(store: Store, day: date) -> datetime:
    """The moment a local day of the store begins."""
    return datetime.combine(day, time.min, tzinfo=store.tz)


def runs_of(days: set[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs, so each run is counted with range queries."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day - timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def days_count(*, store: Store, days: set[date]) -> dict[date, dict]:
    """The figures of each of `days` (empty days included): six grouped queries per run of consecutive days."""
    found = {day: empty_day() for day in days}
    for first, last in runs_of(days):
        since, until = day_start(store, first), day_start(store, last + timedelta(days=1))
        for count in (_orders, _shipments, _emails, _carts, _nps, _blocks):
            count(store, since, until, found)
    return found


def _day(field: str, store: Store):
    return TruncDate(field, tzinfo=store.tz)


def _add_money(figures: dict, key: str, amount) -> None:
    figures[key] = str(Decimal(figures[key]) + (amount or Decimal(0)))


def _orders(store, since, until, found):
    rows = (
        Order.objects.filter(store=store, placed_at__gte=since, placed_at__lt=until)
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(day=_day("placed_at", store))
        .values("day")
        .annotate(orders=Count("*"), revenue=Sum("total"))
        .order_by()
    )
    for row in rows:
        figures = found[row["day"]]
        figures["orders"] += row["orders"]
        _add_money(figures, "revenue", row["revenue"])


def _shipments(store, since, until, found):
    rows = (
        Shipment.objects.filter(store=store, created_at__gte=since, created_at__lt=until)
        .annotate(day=_day("created_at", store))
        .values("day", "status")
        .annotate(n=Count("pk"), stuck=Count("pk", filter=Q(delay_flagged_at__isnull=False)))
        .order_by()
    )
    for row in rows:
        found[row["day"]]["shipments"][row["status"]] = [row["n"], row["stuck"]]


def _sent(store, since, until):
    return Message.objects.filter(store=store, status=MessageStatus.SENT, sent_at__gte=since, sent_at__lt=until)


def _emails(store, since, until, found):
    rows = (
        _sent(store, since, until)
        .annotate(day=_day("sent_at", store))
        .values("day", "step__flow_id")
        .annotate(
            sent=Count("id"),
            delivered=Count("id", filter=Q(delivered_at__isnull=False)),
            opened=Count("id", filter=Q(opened_at__isnull=False)),
            clicked=Count("id", filter=Q(clicked_at__isnull=False)),
            bounced=Count("id", filter=Q(bounced_at__isnull=False)),
            conversions=Count("id", filter=Q(attributed_order__isnull=False)),
            revenue=Sum("attributed_revenue"),
        )
        .order_by()
    )
    for row in rows:
        day, flow_id = row.pop("day"), row.pop("step__flow_id")
        row["revenue"] = str(row["revenue"] or Decimal(0))
        found[day]["flows"][str(flow_id)] = row


def _carts(store, since, until, found):
    cart_emails = Message.objects.filter(
        store=store, status=MessageStatus.SENT, step__flow__kind=FlowKind.ABANDONED_CART, cart__isnull=False
    )
    # Every abandoned-cart email of the carts emailed in the range, so a cart's first email is known even when
    # it was sent before the range (then the cart belongs to that earlier day, not to this one).
    emailed_here = cart_emails.filter(sent_at__gte=since, sent_at__lt=until).values("cart_id")
    rows = (
        cart_emails.filter(cart_id__in=emailed_here)
        .values("cart_id", "cart__converted_order_id", "cart__converted_at")
        .annotate(first=Min("sent_at"))
        .order_by()
    )
    tz = store.tz
    for row in rows:
        if not since <= row["first"] < until:
            continue
        carts = found[row["first"].astimezone(tz).date()]["carts"]
        carts["emailed"] += 1
        converted_at = row["cart__converted_at"]
        if row["cart__converted_order_id"] is not None and converted_at is not None and converted_at >= row["first"]:
            carts["recovered"] += 1


def _nps(store, since, until, found):
    rows = (
        NpsResponse.objects.filter(store=store, modified_at__gte=since, modified_at__lt=until)
        .annotate(day=_day("modified_at", store))
        .values("day", "score")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        found[row["day"]]["nps"][str(row["score"])] = row["n"]


def _blocks(store, since, until, found):
    # Views are counted in the cache and flushed by the minute (apps/tracking/page_views.py): the tracking app's
    # selector adds those to the clicks and older view rows, as its own report does.
    for day, blocks in page_block_counts_by_day(store=store, since=since, until=until).items():
        if day in found:
            found[day]["blocks"].update({block: [views, clicks] for block, (views, clicks) in blocks.items()})


# --- Which days changed ---------------------------------------------------------------------
def days_touched(*, store: Store, since: datetime) -> set[date]:
    """The local days whose figures rows modified after `since` may have changed: the day an order was placed,
    a shipment created, an email sent (an open, a click or a credited order changes that day), a cart
    emailed (its conversion changes the recovery of the day of its emails)."""
    touched: set[date] = set()
    changed = {
        Order.objects.filter(store=store, modified_at__gt=since): "placed_at",
        Shipment.objects.filter(store=store, modified_at__gt=since): "created_at",
        Message.objects.filter(store=store, modified_at__gt=since, sent_at__isnull=False): "sent_at",
        Message.objects.filter(
            store=store,
            sent_at__isnull=False,
            step__flow__kind=FlowKind.ABANDONED_CART,
            cart__in=Cart.objects.filter(store=store, modified_at__gt=since).values("pk"),
        ): "sent_at",
    }
    changed[PageViewCount.objects.filter(store=store, created_at__gt=since)] = "counted_at"
    changed[PageEvent.objects.filter(store=store, created_at__gt=since)] = "created_at"
    for rows, field in changed.items():
        touched.update(rows.annotate(day=_day(field, store)).values_list("day", flat=True).distinct().order_by())
    return touched


def sum_days(rows: list[dict]) -> dict:
    """Days' figures added up (used by the home for a period, and by tests)."""
    total = empty_day()
    total["revenue"] = Decimal(0)
    flows: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for figures in rows:
        total["orders"] += figures.get("orders", 0)
        total["revenue"] += Decimal(figures.get("revenue", "0"))
        for status, (n, stuck) in figures.get("shipments", {}).items():
            counted = total["shipments"].setdefault(status, [0, 0])
            counted[0] += n
            counted[1] += stuck
        for flow_id, row in figures.get("flows", {}).items():
            for key, value in row.items():
                flows[flow_id][key] += Decimal(value) if key == "revenue" else value
        for key in ("emailed", "recovered"):
            total["carts"][key] += figures.get("carts", {}).get(key, 0)
        for score, n in figures.get("nps", {}).items():
            total["nps"][int(score)] = total["nps"].get(int(score), 0) + n
        for block, (views, clicks) in figures.get("blocks", {}).items():
            counted = total["blocks"].setdefault(block, [0, 0])
            counted[0] += views
            counted[1] += clicks
    total["flows"] = {key: dict(value) for key, value in flows.items()}
    return total
