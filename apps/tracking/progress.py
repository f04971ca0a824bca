"""How a shipment reads to its buyer: words for each status and the five-step progress bar."""

from dataclasses import dataclass, field

from django.utils.translation import pgettext_lazy

from apps.shipments.models import ShipmentStatus

S = ShipmentStatus

# The buyer's words for each normalised status (the dashboard keeps the shipments app's terms).
STATUS_LABELS = {
    S.PENDING: pgettext_lazy("shipment status", "Preparing to ship"),
    S.INFO_RECEIVED: pgettext_lazy("shipment status", "Shipping label created"),
    S.IN_TRANSIT: pgettext_lazy("shipment status", "On its way"),
    S.OUT_FOR_DELIVERY: pgettext_lazy("shipment status", "Out for delivery"),
    S.AVAILABLE_FOR_PICKUP: pgettext_lazy("shipment status", "Ready for pickup"),
    S.ATTEMPT_FAILED: pgettext_lazy("shipment status", "Delivery attempt failed"),
    S.DELIVERED: pgettext_lazy("shipment status", "Delivered"),
    S.EXCEPTION: pgettext_lazy("shipment status", "Delivery problem"),
    S.RETURNED: pgettext_lazy("shipment status", "Returned to sender"),
    S.EXPIRED: pgettext_lazy("shipment status", "Tracking ended"),
    S.UNKNOWN: pgettext_lazy("shipment status", "Status unknown"),
}

ORDERED, SHIPPED, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED = range(5)
STEP_LABELS = (
    pgettext_lazy("progress step", "Ordered"),
    pgettext_lazy("progress step", "Shipped"),
    pgettext_lazy("progress step", "In transit"),
    pgettext_lazy("progress step", "Out for delivery"),
    pgettext_lazy("progress step", "Delivered"),
)
PICKUP_STEP_LABEL = pgettext_lazy("progress step", "Ready for pickup")

# The step each status reaches on the bar. Problems have none of their own: they stay on the
# step the parcel had reached and show there, in their own colour and words.
STATUS_STEP = {
    S.PENDING: ORDERED,
    S.INFO_RECEIVED: SHIPPED,
    S.IN_TRANSIT: IN_TRANSIT,
    S.OUT_FOR_DELIVERY: OUT_FOR_DELIVERY,
    S.AVAILABLE_FOR_PICKUP: OUT_FOR_DELIVERY,
    S.ATTEMPT_FAILED: OUT_FOR_DELIVERY,
    S.DELIVERED: DELIVERED,
}
PROBLEM_STATUSES = {S.EXCEPTION, S.ATTEMPT_FAILED, S.RETURNED}
FINAL_STATUSES = {S.DELIVERED, S.RETURNED}


def status_label(status: str):
    return STATUS_LABELS.get(status, STATUS_LABELS[S.UNKNOWN])


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done, current, problem, todo

    @property
    def reached(self) -> bool:
        return self.state != "todo"


@dataclass(frozen=True)
class Progress:
    steps: list[Step] = field(default_factory=list)
    problem: str = ""  # the problem status, shown on the current step
    complete: bool = False

    @property
    def percent(self) -> int:
        reached = max((i for i, step in enumerate(self.steps) if step.reached), default=0)
        return round(100 * reached / (len(self.steps) - 1))


def shipment_progress(shipment, events=None) -> Progress:
    """The five steps for a shipment, from its status and (for problems) the furthest event before them.

    `events` are the shipment's already-loaded events; no query is made here.
    """
    status = shipment.status
    events = list(events if events is not None else [])
    reached = STATUS_STEP.get(status)
    if reached is None or status in PROBLEM_STATUSES:
        # Exceptions, returns and unknowns keep the furthest step a normal event reached.
        furthest = max((STATUS_STEP.get(e.status, ORDERED) for e in events if e.status in STATUS_STEP), default=None)
        baseline = SHIPPED if (shipment.shipped_at or events) else ORDERED
        reached = max(furthest if furthest is not None else ORDERED, baseline, reached or ORDERED)
        reached = min(reached, OUT_FOR_DELIVERY)
    elif status == S.PENDING and shipment.shipped_at:
        reached = SHIPPED
    problem = status if status in PROBLEM_STATUSES else ""
    complete = status == S.DELIVERED
    steps = []
    for index, label in enumerate(STEP_LABELS):
        if index == OUT_FOR_DELIVERY and status == S.AVAILABLE_FOR_PICKUP:
            label = PICKUP_STEP_LABEL
        if index < reached or (complete and index == reached):
            state = "done"
        elif index == reached:
            state = "problem" if problem else "current"
        else:
            state = "todo"
        steps.append(Step(label=label, state=state))
    return Progress(steps=steps, problem=problem, complete=complete)


def order_progress_preparing() -> Progress:
    """The bar for an order with no shipment yet: ordered, nothing else."""
    states = ["current", "todo", "todo", "todo", "todo"]
    return Progress(steps=[Step(label=label, state=state) for label, state in zip(STEP_LABELS, states, strict=True)])
