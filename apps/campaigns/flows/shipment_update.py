"""Shipment updates: one email per status that matters to the buyer (out for delivery, delivered, a
failed attempt, ready for pickup, a problem), sent while that status is still the news."""

from apps.shipments.models import ShipmentStatus, TrackingEvent

from ..decisions import SKIP, Decision
from ..models import FlowKind
from .base import DAY, HOUR, MAX_TRIGGERS, FlowDefinition, StepSpec
from .shipment_confirmation import shipment_trigger


def subject_key(*, shipment_id: int) -> str:
    return f"shipment:{shipment_id}"


def status_moved_on(message, world, at):
    """An update about a status the parcel has left (it was delivered meanwhile, say) is not sent."""
    if message.shipment_id is None:
        return None
    status, wanted = world.shipment_status_at(message.shipment, at), message.step.trigger_status
    if wanted and wanted != ShipmentStatus.DELIVERED and status == ShipmentStatus.DELIVERED:
        return Decision(SKIP, "status_moved_on", "the shipment was delivered meanwhile")
    if wanted and status != wanted:
        return Decision(SKIP, "status_moved_on", f"the shipment is now {status}")
    return None


def triggers(store, since, until):
    """The first carrier event of each status per shipment in the window (what updates react to)."""
    events = (
        TrackingEvent.objects.filter(store=store, occurred_at__gte=since, occurred_at__lt=until)
        .exclude(shipment__order__email="")
        .select_related("shipment__order__customer")
        .order_by("occurred_at", "pk")
    )
    seen, found = set(), []
    for event in events[: MAX_TRIGGERS * 5]:
        if (event.shipment_id, event.status) in seen:
            continue
        seen.add((event.shipment_id, event.status))
        found.append(
            shipment_trigger(
                event.shipment,
                event.occurred_at,
                f"shipment now {event.status}",
                subject_key(shipment_id=event.shipment_id),
                known_at=event.created_at,
                status=event.status,
            )
        )
    return reversed(found)


S = ShipmentStatus
DEFINITION = FlowDefinition(
    kind=FlowKind.SHIPMENT_UPDATE,
    name="Shipment updates",
    priority=10,
    steps=(
        StepSpec("out-for-delivery", trigger_status=S.OUT_FOR_DELIVERY, send_window_minutes=8 * HOUR),
        StepSpec("delivered", trigger_status=S.DELIVERED, send_window_minutes=2 * DAY),
        StepSpec("attempt-failed", trigger_status=S.ATTEMPT_FAILED, send_window_minutes=DAY),
        StepSpec("available-for-pickup", trigger_status=S.AVAILABLE_FOR_PICKUP, send_window_minutes=3 * DAY),
        StepSpec("exception", trigger_status=S.EXCEPTION, send_window_minutes=2 * DAY),
    ),
    trigger="the carrier reports a new status",
    blocks=("shipment", "tracking_button"),
    category="wants_shipping_updates",
    exits=(status_moved_on,),
    simulate=triggers,
)
