"""The flows every store starts with (disabled until the merchant switches them on)."""

from dataclasses import dataclass, field

from apps.shipments.models import ShipmentStatus

from .copy import LANGUAGES, copy_for
from .models import FlowKind, IncentiveKind

HOUR = 60
DAY = 24 * HOUR


@dataclass(frozen=True)
class StepSpec:
    key: str
    delay_minutes: int = 0
    trigger_status: str = ""
    conditions: dict = field(default_factory=dict)
    incentive_kind: str = ""
    incentive_value: int = 0
    incentive_valid_days: int = 7
    incentive_monthly_budget: int = 0


@dataclass(frozen=True)
class FlowSpec:
    kind: str
    name: str
    priority: int
    steps: tuple[StepSpec, ...]


# Which layout blocks each kind of email shows around the merchant's text.
BLOCKS: dict[str, tuple[str, ...]] = {
    FlowKind.ORDER_CONFIRMATION: ("order_lines", "tracking_button", "coupon", "recommendations"),
    FlowKind.SHIPMENT_CONFIRMATION: ("shipment", "tracking_button", "order_lines"),
    FlowKind.SHIPMENT_UPDATE: ("shipment", "tracking_button"),
    FlowKind.DELIVERED_FOLLOWUP: ("recommendations",),
    FlowKind.NPS_SURVEY: ("nps",),
    FlowKind.ABANDONED_CART: ("cart_lines", "coupon"),
    FlowKind.REPLENISHMENT: ("recommendations",),
    FlowKind.WIN_BACK: ("coupon", "recommendations"),
    FlowKind.DELIVERY_APOLOGY: ("shipment", "tracking_button", "coupon"),
}

DEFAULT_FLOWS: tuple[FlowSpec, ...] = (
    FlowSpec(FlowKind.ORDER_CONFIRMATION, "Order confirmation", 10, (StepSpec("confirmation"),)),
    FlowSpec(FlowKind.SHIPMENT_CONFIRMATION, "Shipment confirmation", 10, (StepSpec("shipped"),)),
    FlowSpec(
        FlowKind.SHIPMENT_UPDATE,
        "Shipment updates",
        10,
        (
            StepSpec("out-for-delivery", trigger_status=ShipmentStatus.OUT_FOR_DELIVERY),
            StepSpec("delivered", trigger_status=ShipmentStatus.DELIVERED),
            StepSpec("attempt-failed", trigger_status=ShipmentStatus.ATTEMPT_FAILED),
            StepSpec("available-for-pickup", trigger_status=ShipmentStatus.AVAILABLE_FOR_PICKUP),
            StepSpec("exception", trigger_status=ShipmentStatus.EXCEPTION),
        ),
    ),
    FlowSpec(FlowKind.DELIVERED_FOLLOWUP, "Delivered follow-up", 40, (StepSpec("how-is-it", delay_minutes=3 * DAY),)),
    FlowSpec(
        FlowKind.NPS_SURVEY,
        "Review / NPS request",
        30,
        (
            StepSpec("survey", delay_minutes=7 * DAY, conditions={"skip_while_shipment_troubled": True}),
            StepSpec("reminder", delay_minutes=10 * DAY, conditions={"skip_while_shipment_troubled": True}),
        ),
    ),
    FlowSpec(
        FlowKind.ABANDONED_CART,
        "Abandoned cart",
        20,
        (
            StepSpec("reminder-1h", delay_minutes=1 * HOUR, conditions={"exit_on_order": True}),
            StepSpec("help-24h", delay_minutes=24 * HOUR, conditions={"exit_on_order": True}),
            StepSpec(
                "coupon-72h",
                delay_minutes=72 * HOUR,
                conditions={"exit_on_order": True},
                incentive_kind=IncentiveKind.PERCENT,
                incentive_value=10,
                incentive_valid_days=3,
            ),
        ),
    ),
    FlowSpec(
        FlowKind.REPLENISHMENT,
        "Replenishment reminder",
        50,
        (StepSpec("running-low", conditions={"exit_on_order": True}),),
    ),
    FlowSpec(
        FlowKind.WIN_BACK,
        "Win-back",
        60,
        (
            StepSpec(
                "offer",
                conditions={"exit_on_order": True},
                incentive_kind=IncentiveKind.PERCENT,
                incentive_value=15,
                incentive_valid_days=14,
            ),
            StepSpec("values", delay_minutes=7 * DAY, conditions={"exit_on_order": True}),
            StepSpec(
                "farewell",
                delay_minutes=21 * DAY,
                conditions={"exit_on_order": True, "ends_marketing_if_unengaged": True},
            ),
        ),
    ),
    FlowSpec(
        FlowKind.DELIVERY_APOLOGY,
        "Delivery delay apology",
        10,
        (
            StepSpec(
                "apology",
                incentive_kind=IncentiveKind.FREE_SHIPPING,
                incentive_valid_days=30,
                incentive_monthly_budget=50,
            ),
        ),
    ),
)


def default_content(kind: str, step_key: str) -> tuple[dict, dict, dict]:
    """(subject, preheader, body) per language for a default step."""
    subject, preheader, body = {}, {}, {}
    for language in LANGUAGES:
        s, p, b = copy_for(language).STEPS[(kind, step_key)]
        subject[language], preheader[language], body[language] = s, p, b
    return subject, preheader, body
