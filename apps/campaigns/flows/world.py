"""The facts exits read, from the database as it is now: what dispatch judges an email against."""

from datetime import datetime

from django.apps import apps
from django.db.models import Q
from django.db.models.functions import Coalesce

from apps.orders.models import Order, OrderStatus
from apps.shipments.models import Shipment

from ..models import Message, MessageStatus
from .delivery_apology import MOVING, TROUBLED

# What pacing counts as sent: emails another worker is handing to the ESP right now (they are, a moment later)
# and those whose fate is unknown.
PACED_STATUSES = (MessageStatus.SENT, MessageStatus.SENDING, MessageStatus.UNKNOWN)


def paced_sends_since(customer_ids, since: datetime) -> list[tuple[int, int, datetime]]:
    """(customer id, message id, when it went) for the customers' marketing emails that count for pacing since
    `since`, oldest first."""
    return list(
        Message.objects.filter(customer_id__in=customer_ids, transactional=False, status__in=PACED_STATUSES)
        .annotate(paced_at=Coalesce("sent_at", "claimed_at"))
        .filter(paced_at__gte=since)
        .order_by("paced_at", "pk")
        .values_list("customer_id", "pk", "paced_at")
    )


def _buyer(email: str, customer_id: int | None) -> Q:
    return Q(email=email) | Q(customer_id=customer_id) if customer_id else Q(email=email)


class LiveWorld:
    def ordered_between(
        self, *, store_id: int, email: str, customer_id: int | None, start: datetime, end: datetime
    ) -> bool:
        orders = Order.objects.filter(
            _buyer(email, customer_id), store_id=store_id, placed_at__gt=start, placed_at__lte=end
        )
        return orders.exclude(status=OrderStatus.CANCELLED).exists()

    def cart_converted_by(self, cart, at: datetime) -> bool:
        return cart.converted_order_id is not None

    def order_status_at(self, order, at: datetime) -> str:
        return order.status

    def nps_answered_by(self, order, at: datetime) -> bool:
        return apps.get_model("feedback", "NpsResponse").objects.filter(order=order).exists()

    def shipment_status_at(self, shipment, at: datetime) -> str:
        return shipment.status

    def shipment_stuck_at(self, shipment, at: datetime) -> bool:
        return shipment.delay_flagged_at is not None

    def previous_step(self, message) -> tuple[str, datetime, int] | None:
        """The latest earlier step of the same flow about the same subject: its status, when it went out
        (or is due), and its delay."""
        row = (
            Message.objects.filter(
                step__flow_id=message.step.flow_id,
                subject_key=message.subject_key,
                step__position__lt=message.step.position,
            )
            .exclude(pk=message.pk)
            .order_by("-step__position", "-pk")
            .values_list("status", "sent_at", "scheduled_for", "step__delay_minutes")
            .first()
        )
        if row is None:
            return None
        status, sent_at, scheduled_for, delay_minutes = row
        return status, sent_at or scheduled_for, delay_minutes

    def paced_sends(self, message, since: datetime) -> list[datetime]:
        """When the message's customer got the marketing emails that count for pacing since `since` (the message
        itself aside), oldest first."""
        return [at for _, pk, at in paced_sends_since([message.customer_id], since) if pk != message.pk]

    def buyer_has_troubled_parcel(self, *, store_id: int, email: str, customer_id: int | None, at: datetime) -> bool:
        orders = Order.objects.filter(_buyer(email, customer_id), store_id=store_id).values("pk")
        # A failed attempt or an exception, or a parcel on the road flagged stuck by the delivery watch. A
        # returned parcel is over (its own emails tell it), not held against the buyer.
        troubled = Q(status__in=TROUBLED) | Q(delay_flagged_at__isnull=False, status__in=MOVING)
        return Shipment.objects.filter(troubled, order__in=orders).exists()
