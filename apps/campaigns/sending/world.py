"""The facts a batch's decisions read, fetched for the whole batch at once (a LiveWorld answers one message
at a time, with a query each). Answers are the same as LiveWorld's: a test checks both agree."""

from collections import defaultdict
from datetime import timedelta

from django.db.models import Q

from apps.orders.models import Order, OrderStatus
from apps.shipments.models import Shipment

from ..flows.delivery_apology import MOVING, TROUBLED
from ..flows.world import LiveWorld, paced_sends_since
from ..models import Message
from ..rules import policy_for


class BatchWorld(LiveWorld):
    def __init__(self, messages, *, now=None):
        orders = _orders_of_buyers(messages)
        self._troubled = _troubled_buyers(messages, orders)
        self._previous = _previous_steps(messages)
        self._orders = _buyers_orders(messages, orders)
        self._paced_since, self._paced = _paced_sends(messages, now)

    def ordered_between(self, *, store_id: int, email: str, customer_id: int | None, start, end) -> bool:
        if (store_id, email) not in self._orders["emails"] and (store_id, customer_id) not in self._orders["asked"]:
            asked = {"store_id": store_id, "email": email, "customer_id": customer_id, "start": start, "end": end}
            return super().ordered_between(**asked)
        placed = self._orders["by_email"].get((store_id, email), [])
        if customer_id:
            placed = placed + self._orders["by_customer"].get((store_id, customer_id), [])
        return any(start < at <= end for at in placed)

    def buyer_has_troubled_parcel(self, *, store_id: int, email: str, customer_id: int | None, at) -> bool:
        emails, customers = self._troubled.get(store_id, (set(), set()))
        return email in emails or (customer_id is not None and customer_id in customers)

    def paced_sends(self, message, since):
        if self._paced_since is None or since < self._paced_since or message.customer_id not in self._paced:
            return super().paced_sends(message, since)  # a window or a buyer the batch did not prefetch
        return [at for pk, at in self._paced[message.customer_id] if at >= since and pk != message.pk]

    def previous_step(self, message):
        if message.pk not in self._previous:
            return super().previous_step(message)  # a message the batch did not prefetch
        return self._previous[message.pk]


def _orders_of_buyers(messages) -> list[tuple]:
    """(id, store id, email, customer id, status, placed at) of every order of the batch's buyers, by address
    or by customer: read once for both questions below."""
    if not messages:
        return []
    emails = {message.email for message in messages}
    customer_ids = {message.customer_id for message in messages if message.customer_id}
    return list(
        Order.objects.filter(
            Q(email__in=emails) | Q(customer_id__in=customer_ids),
            store_id__in={message.store_id for message in messages},
        ).values_list("pk", "store_id", "email", "customer_id", "status", "placed_at")
    )


def _buyers_orders(messages, orders: list[tuple]) -> dict:
    """When each of the batch's buyers placed an order that was not cancelled (by address and by customer)."""
    emails = {(message.store_id, message.email) for message in messages}
    customers = {(message.store_id, message.customer_id) for message in messages if message.customer_id}
    found = {"emails": emails, "asked": customers, "by_email": defaultdict(list), "by_customer": defaultdict(list)}
    for _pk, store_id, email, customer_id, status, placed_at in orders:
        if placed_at is None or status == OrderStatus.CANCELLED:
            continue
        if (store_id, email) in emails:
            found["by_email"][(store_id, email)].append(placed_at)
        if customer_id and (store_id, customer_id) in customers:
            found["by_customer"][(store_id, customer_id)].append(placed_at)
    return found


def _paced_sends(messages, now) -> tuple:
    """(since, {customer id: [(message id, when it went)]}): the marketing emails that count for pacing, for the
    batch's marketing buyers, over the widest frequency-cap window of the batch's stores (rules._frequency_cap)."""
    marketing = [message for message in messages if not message.transactional and message.customer_id]
    if now is None or not marketing:
        return None, {}
    hours = [policy_for(message.store).frequency_cap_hours for message in marketing]
    since = now - timedelta(hours=max(hours))
    found: dict[int, list] = {message.customer_id: [] for message in marketing}
    for customer_id, pk, at in paced_sends_since(list(found), since):
        found[customer_id].append((pk, at))
    return since, found


def _troubled_buyers(messages, orders: list[tuple]) -> dict[int, tuple[set, set]]:
    """Per store: the emails and customers with a parcel in trouble, among the batch's marketing buyers."""
    marketing = [message for message in messages if not message.transactional]
    if not marketing:
        return {}
    emails = {(message.store_id, message.email) for message in marketing}
    customers = {(message.store_id, message.customer_id) for message in marketing if message.customer_id}
    buyers = {
        pk: (store_id, email, customer_id)
        for pk, store_id, email, customer_id, *_ in orders
        if (store_id, email) in emails or (store_id, customer_id) in customers
    }
    # Every parcel of those orders (a few per buyer) by its order, and the state judged here: asked for troubled
    # parcels only, the planner walks the store's every troubled parcel instead (0.25 s a batch at a million).
    parcels = Shipment.objects.filter(order_id__in=list(buyers)).order_by()
    found: dict[int, tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for order_id, status, delay_flagged_at in parcels.values_list("order_id", "status", "delay_flagged_at"):
        if status in TROUBLED or (delay_flagged_at is not None and status in MOVING):
            store_id, email, customer_id = buyers[order_id]
            found[store_id][0].add(email)
            if customer_id:
                found[store_id][1].add(customer_id)
    return dict(found)


def _previous_steps(messages) -> dict[int, tuple | None]:
    """For each message of a sequential flow: LiveWorld.previous_step, from one query for the batch."""
    keyed = [message for message in messages if message.step.position > 0]
    answers: dict[int, tuple | None] = {message.pk: None for message in messages}
    if not keyed:
        return answers
    rows = (
        Message.objects.filter(
            step__flow_id__in={message.step.flow_id for message in keyed},
            subject_key__in={message.subject_key for message in keyed},
        )
        .order_by("-step__position", "-pk")
        .values_list("pk", "step__flow_id", "subject_key", "step__position", "status", "sent_at", "scheduled_for",
                     "step__delay_minutes")
    )  # fmt: skip
    earlier = defaultdict(list)
    for pk, flow_id, subject_key, position, status, sent_at, scheduled_for, delay in rows:
        earlier[(flow_id, subject_key)].append((pk, position, (status, sent_at or scheduled_for, delay)))
    for message in keyed:
        for pk, position, answer in earlier[(message.step.flow_id, message.subject_key)]:
            if pk != message.pk and position < message.step.position:
                answers[message.pk] = answer
                break
    return answers
