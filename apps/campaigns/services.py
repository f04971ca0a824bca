"""Writes of the email engine: default flows, scheduling into the ledger, coupons."""

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.events import announce_after_commit
from apps.orders.events import orders_changed_in_bulk
from apps.stores.models import Store

from .defaults import default_content
from .design.defaults import default_designs
from .flows import definition_for, definitions
from .ledger import insert_messages
from .models import (
    TRANSACTIONAL_KINDS,
    Coupon,
    CouponPool,
    CouponShopState,
    Flow,
    FlowStep,
    IncentiveKind,
    Message,
    MessageStatus,
    StepEditor,
)


@transaction.atomic
def flows_install_defaults(*, store: Store) -> list[Flow]:
    """Give a store every default flow and step it does not have yet; never touches edited ones."""
    flows = []
    for definition in definitions().values():
        flow, _ = Flow.objects.get_or_create(
            store=store, kind=definition.kind, defaults={"name": definition.name, "priority": definition.priority}
        )
        for position, step in enumerate(definition.steps):
            if FlowStep.objects.filter(flow=flow, key=step.key).exists():
                continue
            subject, preheader, body = default_content(definition.kind, step.key)
            FlowStep.objects.create(
                store=store,
                flow=flow,
                key=step.key,
                position=position,
                delay_minutes=step.delay_minutes,
                trigger_status=step.trigger_status,
                conditions=step.conditions,
                subject=subject,
                preheader=preheader,
                body=body,  # the same copy for a merchant who switches the step to HTML
                editor=StepEditor.BLOCKS,
                design=default_designs(definition.kind, step.key),
                incentive_kind=step.incentive_kind,
                incentive_value=step.incentive_value,
                incentive_valid_days=step.incentive_valid_days,
                incentive_monthly_budget=step.incentive_monthly_budget,
            )
        flows.append(flow)
    return flows


@dataclass(frozen=True)
class Planned:
    """One email to put in the ledger."""

    step: FlowStep
    subject_key: str
    email: str
    scheduled_for: datetime
    customer_id: int | None = None
    order_id: int | None = None
    cart_id: int | None = None
    shipment_id: int | None = None
    product_id: int | None = None
    why: str = ""


def messages_schedule(planned: list[Planned]) -> list[Message]:
    """Write ledger rows; a (step, subject) that already has one is left alone. Returns the new rows.

    A second scan, a second beat or a replayed webhook is a no-op, and it is safe when two run at once:
    the ledger's once-per-(step, subject) rule decides (campaigns.ledger).
    """
    if not planned:
        return []
    from .abtest import in_holdout, variant_for

    now = timezone.now()
    variants: dict[int, list] = {}
    for p in planned:
        if p.step.pk not in variants:
            variants[p.step.pk] = list(p.step.variants.filter(retired=False).order_by("label"))
    rows = []
    for p in planned:
        if not p.email:
            continue
        row = Message(
            store_id=p.step.store_id,
            step=p.step,
            subject_key=p.subject_key,
            email=p.email,
            scheduled_for=p.scheduled_for,
            customer_id=p.customer_id,
            order_id=p.order_id,
            cart_id=p.cart_id,
            shipment_id=p.shipment_id,
            product_id=p.product_id,
            transactional=p.step.flow.kind in TRANSACTIONAL_KINDS,
            priority=p.step.flow.priority,
            variant=variant_for(p.step, p.subject_key, variants[p.step.pk]),
            latest_at=p.scheduled_for + definition_for(p.step.flow.kind).window(p.step),
            trace=[{"at": now.isoformat(), "action": "scheduled", "rule": "trigger", "reason": p.why}],
        )
        if in_holdout(p.step.flow, p.email):
            # Recorded like any other email, never sent: its buyer's orders measure what the flow adds.
            reason = f"in the holdout group ({p.step.flow.holdout_percent} % of buyers get none of this flow)"
            row.status, row.reason = MessageStatus.SKIPPED, reason
            row.trace.append({"at": now.isoformat(), "action": "skipped", "rule": "holdout", "reason": reason})
        rows.append(row)
    # Exactly the rows this call inserted (ledger.insert_messages: the same once-only rule as the set-based
    # scans, on a partitioned ledger too): a second scan, beat or replayed webhook inserts none.
    return insert_messages(rows)


# --- Coupons --------------------------------------------------------------------------------
CODE_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"


def coupon_new_code(*, store_slug: str) -> str:
    """A fresh code: the store's prefix and 8 characters that cannot be misread (no O/0, I/1)."""
    prefix = "".join(ch for ch in store_slug.upper() if ch.isalnum())[:6] or "GIFT"
    return f"{prefix}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def message_incentive(message: Message) -> tuple[str, Decimal] | None:
    """(kind, value) of the code this message carries, or None: the step's incentive, unless the step follows
    a buyer's answer to "why did you leave?" (an abandoned cart) with another offer or none."""
    from .flows.abandoned_cart import ReasonAction, reason_action

    step = message.step
    if not step.incentive_kind:
        return None
    action = reason_action(step, message.cart) if message.cart_id else ReasonAction.AS_PLANNED
    if action in (ReasonAction.NO_COUPON, ReasonAction.SKIP):
        return None
    if action == ReasonAction.FREE_SHIPPING:
        return IncentiveKind.FREE_SHIPPING, Decimal(0)
    return step.incentive_kind, step.incentive_value


@transaction.atomic
def coupon_issue(*, message: Message) -> Coupon | None:
    """The message's coupon: its own unique code, generated or taken from the step's pool.

    A pool code is claimed with a row lock that skips codes other workers are taking, so no code is
    ever handed to two people. Issuing twice for one message returns the same coupon.
    """
    step = message.step
    incentive = message_incentive(message)
    if incentive is None:
        return None
    kind, value = incentive
    existing = Coupon.objects.filter(message=message).first()
    if existing:
        return existing
    if step.incentive_monthly_budget and _issued_this_month(step) >= step.incentive_monthly_budget:
        return None  # over budget: the email goes without a code this month
    expires_at = timezone.now() + timedelta(days=step.incentive_valid_days)
    assign = {
        "customer_id": message.customer_id,
        "message": message,
        "issued_at": timezone.now(),
        "expires_at": expires_at,
    }
    # The pool's codes give what the step says; an offer changed by the buyer's answer is a code we make.
    if step.incentive_pool_id and (kind, value) == (step.incentive_kind, step.incentive_value):
        code = (
            Coupon.objects.select_for_update(skip_locked=True)
            .filter(pool_id=step.incentive_pool_id, issued_at__isnull=True)
            .order_by("pk")
            .first()
        )
        if code is None:
            return None  # the pool ran dry: the email goes without a code (and the trace says so)
        for name, value in assign.items():
            setattr(code, name, value)
        code.kind, code.value = step.incentive_kind, step.incentive_value
        code.save()
        return code
    # A code we make must exist in the shop before the buyer reads it (apps/integrations/coupon_sync.py).
    from apps.integrations.coupon_sync import coupon_shop

    shop_state = CouponShopState.PENDING if coupon_shop(message.store_id) else CouponShopState.LOCAL
    for _ in range(5):
        try:
            with transaction.atomic():
                return Coupon.objects.create(
                    store_id=message.store_id,
                    code=coupon_new_code(store_slug=message.store.slug),
                    kind=kind,
                    value=value,
                    shop_state=shop_state,
                    **assign,
                )
        except IntegrityError:
            continue
    raise RuntimeError("Could not generate a unique coupon code")


def _issued_this_month(step: FlowStep) -> int:
    now = timezone.localtime(timezone.now(), step.store.tz)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return Coupon.objects.filter(message__step=step, issued_at__gte=month_start).count()


def coupon_pool_create(*, store: Store, name: str) -> CouponPool:
    """A new, empty pool for codes made in the merchant's shop; `coupon_pool_add_codes` fills it."""
    return CouponPool.objects.create(store=store, name=name.strip())


@transaction.atomic
def coupon_pool_add_codes(*, pool, codes: list[str]) -> int:
    """Add uploaded codes to a pool; codes the store already has are skipped. Returns how many were new."""
    clean = {code.strip() for code in codes if code.strip()}
    rows = [Coupon(store_id=pool.store_id, pool=pool, code=code[:64], kind=IncentiveKind.PERCENT) for code in clean]
    before = Coupon.objects.filter(store_id=pool.store_id).count()
    Coupon.objects.bulk_create(rows, ignore_conflicts=True)
    return Coupon.objects.filter(store_id=pool.store_id).count() - before


@transaction.atomic
def coupons_redeem(*, order) -> int:
    """Mark the order's discount codes as redeemed by it (seen on incoming orders)."""
    codes = [code for code in (order.discount_codes or []) if code]
    if not codes:
        return 0
    # Shops compare codes without case (WooCommerce stores them lower-cased): look up each spelling, which
    # keeps to the (store, code) index.
    spellings = {spelling for code in codes for spelling in (code, code.upper(), code.lower())}
    redeemed = Coupon.objects.filter(store_id=order.store_id, code__in=spellings, redeemed_order__isnull=True)
    # The orders whose emails handed these codes out show them on their tracking pages: no longer as usable.
    shown_on = list(redeemed.exclude(message__isnull=True).values_list("message__order_id", flat=True))
    count = redeemed.update(redeemed_order=order, redeemed_at=order.placed_at)
    if count:
        announce_after_commit(orders_changed_in_bulk, Coupon, order_ids=[pk for pk in shown_on if pk])
    return count


def message_trace(message: Message, *, action: str, rule: str, reason: str = "", **extra) -> list:
    entry = {"at": timezone.now().isoformat(), "action": action, "rule": rule, "reason": reason, **extra}
    return [*message.trace, entry]


def messages_anonymise(*, store_id: int, customer_id: int, email: str, anonymous: str, now) -> int:
    """An erased buyer's emails keep their ledger rows (flow results stand) without address or content."""
    buyer = Q(customer_id=customer_id) | Q(customer__isnull=True, email=email)
    return Message.objects.filter(buyer, store_id=store_id).update(
        email=anonymous, body_html="", body_text="", modified_at=now
    )


# --- The message log: cancelling a planned email -------------------------------------------
CANCELLED_RULE = "cancelled"


class MessageNotCancellable(ValueError):
    """Only a planned (`scheduled`) email can be cancelled; `status` says where this one is instead."""

    def __init__(self, status: str):
        super().__init__(f"only a scheduled email can be cancelled; this one is {status}")
        self.status = status


@transaction.atomic
def message_cancel(*, message: Message, by: str) -> Message:
    """A planned email that should not go: `scheduled` → `skipped`, by rule "cancelled", with who did it in
    the reason and the trace. The ledger row stays (the step and subject keep their one row, so nothing
    plans it again). Taken under the row's lock, and only from `scheduled`: an email a worker has claimed,
    sent, or that was cancelled already raises MessageNotCancellable and nothing changes."""
    locked = Message.objects.select_for_update().filter(pk=message.pk).only("pk", "status", "trace").first()
    if locked is None or locked.status != MessageStatus.SCHEDULED:
        raise MessageNotCancellable(locked.status if locked else "gone")
    reason = f"cancelled by {by}"[:255] if by else "cancelled in the dashboard"
    trace = message_trace(locked, action=MessageStatus.SKIPPED.value, rule=CANCELLED_RULE, reason=reason)
    updated = Message.objects.filter(pk=message.pk, status=MessageStatus.SCHEDULED).update(
        status=MessageStatus.SKIPPED, reason=reason, trace=trace, modified_at=timezone.now()
    )
    if not updated:  # SQLite has no row locks: the conditional update is the guard there
        raise MessageNotCancellable(Message.objects.filter(pk=message.pk).values_list("status", flat=True).first())
    message.refresh_from_db()
    return message


# --- Scans started by hand ------------------------------------------------------------------
def scan_queued_key(*, name: str, store_id: int) -> str:
    """The cache mark of a scan queued by hand for a store, until its task ends (or the task time limit)."""
    return f"scan-queued:{store_id}:{name}"


def scan_run_queue(*, store: Store, name: str) -> bool:
    """Queue one run of the scan `name` for the store, on commit; the run itself happens in a worker.
    False, and nothing queued, when the scan is running for the store (an unfinished run younger than the
    task time limit) or is queued and not started yet."""
    from django.conf import settings
    from django.core.cache import cache

    from .scans import SCANS
    from .selectors import scan_run_in_progress
    from .tasks import scan_by_hand_task

    if name not in SCANS:
        raise ValueError(f"no scan named {name!r}")
    limit = settings.CELERY_TASK_TIME_LIMIT
    if scan_run_in_progress(store=store, name=name, since=timezone.now() - timedelta(seconds=limit)):
        return False
    if not cache.add(scan_queued_key(name=name, store_id=store.pk), True, timeout=limit):
        return False
    store_id = store.pk
    transaction.on_commit(lambda: scan_by_hand_task.delay(name, store_id))
    return True
