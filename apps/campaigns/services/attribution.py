"""Crediting orders to the email that brought them: the last click within the store's window
(default 5 days), else the last human open within its window (default 1 day)."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from apps.orders.models import Order

from ..models import Message, MessageStatus
from ..rules import policy_for


def attribute_order(*, order: Order) -> Message | None:
    if Message.objects.filter(attributed_order=order).exists():
        return None  # already credited: a replayed event changes nothing
    policy = policy_for(order.store)
    who = Q(customer_id=order.customer_id) if order.customer_id else Q(email=order.email)
    if not order.customer_id and not order.email:
        return None
    sent = Message.objects.filter(who, store_id=order.store_id, status=MessageStatus.SENT)
    clicked = (
        sent.filter(
            clicked_at__lte=order.placed_at, clicked_at__gte=order.placed_at - timedelta(days=policy.click_window_days)
        )
        .order_by("-clicked_at")
        .first()
    )
    message = clicked or (
        sent.filter(
            opened_at__lte=order.placed_at, opened_at__gte=order.placed_at - timedelta(days=policy.open_window_days)
        )
        .order_by("-opened_at")
        .first()
    )
    if message is None:
        return None
    Message.objects.filter(pk=message.pk, attributed_order__isnull=True).update(
        attributed_order=order, attributed_revenue=order.total, modified_at=timezone.now()
    )
    return message
