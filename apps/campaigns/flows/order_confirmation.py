"""Order confirmation: sent when an order is placed, while that is news (a day)."""

from apps.orders.models import Order

from ..models import FlowKind
from .base import DAY, MAX_TRIGGERS, FlowDefinition, StepSpec, Trigger


def subject_key(*, order_id: int) -> str:
    return f"order:{order_id}"


def triggers(store, since, until):
    orders = Order.objects.filter(store=store, placed_at__gte=since, placed_at__lt=until).exclude(email="")
    for order in orders.select_related("customer").order_by("-placed_at")[:MAX_TRIGGERS]:
        yield Trigger(
            order.placed_at,
            order.email,
            f"order {order.number}",
            subject_key(order_id=order.pk),
            f"order {order.number} placed",
            known_at=order.created_at,
            is_history=order.is_history,
            customer=order.customer,
            order=order,
        )


DEFINITION = FlowDefinition(
    kind=FlowKind.ORDER_CONFIRMATION,
    name="Order confirmation",
    priority=10,
    steps=(StepSpec("confirmation", send_window_minutes=DAY),),
    trigger="an order is placed",
    blocks=("order_lines", "tracking_button", "coupon", "recommendations"),
    simulate=triggers,
)
