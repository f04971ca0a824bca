"""Delivery delay apology: one apology (with a coupon while the monthly budget lasts) for a parcel that is
still on its way but stuck, or has a problem; planned by the `delivery_watch` scan, only for recent
parcels, never for one delivered, returned or expired, and not sent once it moves again."""

from datetime import timedelta

from apps.shipments.models import ShipmentStatus

from ..decisions import SKIP, Decision
from ..models import FlowKind, IncentiveKind
from .base import DAY, MAX_TRIGGERS, FlowDefinition, StepSpec
from .shipment_confirmation import shipment_trigger, shipments

QUIET_DAYS = 5  # no carrier news for this long while on the road counts as stuck
RECENT = timedelta(days=30)  # parcels shipped longer ago than this get no apology: too late to help
MOVING = (ShipmentStatus.INFO_RECEIVED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY)
TROUBLED = (ShipmentStatus.EXCEPTION, ShipmentStatus.ATTEMPT_FAILED)
OVER = (ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED, ShipmentStatus.EXPIRED)


def subject_key(*, shipment_id: int) -> str:
    return f"shipment:{shipment_id}"


def moved_on(message, world, at):
    shipment = message.shipment
    if shipment is None:
        return None
    status = world.shipment_status_at(shipment, at)
    if status in OVER:
        return Decision(SKIP, "status_moved_on", f"the parcel is {status} now")
    if status in MOVING and not world.shipment_stuck_at(shipment, at):
        return Decision(SKIP, "status_moved_on", "the parcel is moving again")
    return None


def triggers(store, since, until):
    flagged = shipments(store).filter(delay_flagged_at__gte=since, delay_flagged_at__lt=until)
    for shipment in flagged.order_by("-delay_flagged_at")[:MAX_TRIGGERS]:
        yield shipment_trigger(
            shipment,
            shipment.delay_flagged_at,
            "the parcel looks stuck",
            subject_key(shipment_id=shipment.pk),
            known_at=shipment.delay_flagged_at,
        )


DEFINITION = FlowDefinition(
    kind=FlowKind.DELIVERY_APOLOGY,
    name="Delivery delay apology",
    priority=10,
    steps=(
        StepSpec(
            "apology",
            send_window_minutes=2 * DAY,
            incentive_kind=IncentiveKind.FREE_SHIPPING,
            incentive_valid_days=30,
            incentive_monthly_budget=50,
        ),
    ),
    trigger="a parcel on its way is stuck or has a problem",
    blocks=("shipment", "tracking_button", "coupon"),
    category="wants_shipping_updates",
    scan="delivery_watch",
    exits=(moved_on,),
    simulate=triggers,
)
