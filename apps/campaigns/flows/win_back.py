"""Win-back: customers past their lapse moment (last order + max(store threshold, twice their own rhythm))
get an offer written for who they are (the top 1 % and champions, one-time buyers, everyone else), then
what is new, then a farewell that ends marketing for those who never engaged. Planned by the
`lapsed_customers` scan; an order ends it; how long ago a lapse may be is the store's setting."""

from django.db.models import Case, CharField, Q, Value, When

from apps.customers.models import Customer, RfmSegment

from ..models import FlowKind, IncentiveKind
from .base import DAY, MAX_TRIGGERS, FlowDefinition, StepSpec, Trigger, ordered_since_trigger

VIP, ONE_TIME, EVERYONE = "vip", "one_time", "everyone"
AUDIENCES = {
    VIP: "the top 1 % by spend and champions",
    ONE_TIME: "customers who ordered once",
    EVERYONE: "everyone else",
}


def audience(*, top_percent: bool, segment: str, orders_count: int) -> str:
    if top_percent or segment == RfmSegment.CHAMPIONS:
        return VIP
    if orders_count <= 1:
        return ONE_TIME
    return EVERYONE


def audience_q(who: str) -> Q:
    """`audience(...) == who` as a filter over customer rows, for the set-based scan (plain conditions, which
    the planner can estimate; test_scan_sql_agrees holds them to `audience`)."""
    vip = Q(rfm_top_percent=True) | Q(rfm_segment=RfmSegment.CHAMPIONS)
    once = Q(orders_count__lte=1)
    if who == VIP:
        return vip
    if who == ONE_TIME:
        return ~vip & once
    if who == EVERYONE:
        return ~vip & ~once
    return Q(pk__in=[])  # an audience nobody is in (as step_is_for says of it): nobody


def audience_case(labels: dict[str, str] | None = None) -> Case:
    """`audience` (or its label in `labels`) as SQL over a customer row."""
    labels = labels or {who: who for who in AUDIENCES}
    return Case(
        When(audience_q(VIP), then=Value(labels[VIP])),
        When(audience_q(ONE_TIME), then=Value(labels[ONE_TIME])),
        default=Value(labels[EVERYONE]),
        output_field=CharField(),
    )


def step_is_for(step, who: str) -> bool:
    """A step without an audience is for everyone; one with an audience only for that one."""
    wanted = (step.conditions or {}).get("audience")
    return not wanted or wanted == who


def subject_key(*, customer_id: int, last_order_at) -> str:
    return f"lapse:{customer_id}:{last_order_at:%Y%m%d}" if last_order_at else f"lapse:{customer_id}"


def triggers(store, since, until):
    customers = Customer.objects.filter(store=store, lapse_due_at__gte=since, lapse_due_at__lt=until)
    for customer in customers.order_by("-lapse_due_at")[:MAX_TRIGGERS]:
        last = customer.last_order_at
        yield Trigger(
            customer.lapse_due_at,
            customer.email,
            f"customer {customer.full_name or customer.email}",
            subject_key(customer_id=customer.pk, last_order_at=last),
            f"no order since {last:%Y-%m-%d}" if last else "no order yet",
            known_at=max(customer.created_at, customer.lapse_due_at),
            customer=customer,
        )


def _offer(key: str, who: str, value: int, days: int) -> StepSpec:
    return StepSpec(
        key,
        send_window_minutes=7 * DAY,
        conditions={"exit_on_order": True, "audience": who},
        incentive_kind=IncentiveKind.PERCENT,
        incentive_value=value,
        incentive_valid_days=days,
    )


DEFINITION = FlowDefinition(
    kind=FlowKind.WIN_BACK,
    name="Win-back",
    priority=60,
    steps=(
        _offer("offer-vip", VIP, 20, 21),
        _offer("offer-one-time", ONE_TIME, 10, 14),
        _offer("offer", EVERYONE, 15, 14),
        StepSpec("values", delay_minutes=7 * DAY, send_window_minutes=7 * DAY, conditions={"exit_on_order": True}),
        StepSpec(
            "farewell",
            delay_minutes=21 * DAY,
            send_window_minutes=7 * DAY,
            conditions={"exit_on_order": True, "ends_marketing_if_unengaged": True},
        ),
    ),
    trigger="a customer has not ordered for longer than usual",
    blocks=("coupon", "recommendations"),
    category="wants_offers",
    scan="lapsed_customers",
    sequential=True,
    exits=(ordered_since_trigger,),
    simulate=triggers,
)
