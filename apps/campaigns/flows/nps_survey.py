"""Review / NPS request: a week after delivery (or after it should have arrived), then one reminder;
planned by the `overdue_reviews` scan, never about an order that was cancelled, refunded or returned."""

from ..decisions import SKIP, Decision
from ..models import FlowKind
from .base import DAY, FlowDefinition, StepSpec, order_withdrawn
from .delivered_followup import triggers


def subject_key(*, order_id: int) -> str:
    return f"order:{order_id}"


def answered(message, world, at):
    if message.order_id and world.nps_answered_by(message.order, at):
        return Decision(SKIP, "answered", "the buyer already answered")
    return None


DEFINITION = FlowDefinition(
    kind=FlowKind.NPS_SURVEY,
    name="Review / NPS request",
    priority=30,
    steps=(
        StepSpec("survey", delay_minutes=7 * DAY, send_window_minutes=7 * DAY),
        StepSpec("reminder", delay_minutes=10 * DAY, send_window_minutes=4 * DAY),
    ),
    trigger="an order was delivered a week ago",
    blocks=("nps",),
    category="wants_review_requests",
    scan="overdue_reviews",
    sequential=True,
    exits=(order_withdrawn, answered),
    simulate=triggers,
)
