"""Coupons: drawing a code for an email (from a pool or made here), pools of the shop's codes, redeeming."""

import secrets
import string
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.events import announce_after_commit
from apps.orders.events import orders_changed_in_bulk
from apps.stores.models import Store

from ..coupon_shop import shop_creates_codes
from ..models import Coupon, CouponPool, CouponShopState, FlowStep, IncentiveKind, Message

CODE_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"


def coupon_new_code(*, store_slug: str) -> str:
    """A fresh code: the store's prefix and 8 characters that cannot be misread (no O/0, I/1)."""
    prefix = "".join(ch for ch in store_slug.upper() if ch.isalnum())[:6] or "GIFT"
    return f"{prefix}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def message_incentive(message: Message) -> tuple[str, Decimal] | None:
    """(kind, value) of the code this message carries, or None: the step's incentive, unless the step follows
    a buyer's answer to "why did you leave?" (an abandoned cart) with another offer or none."""
    from ..flows.abandoned_cart import ReasonAction, reason_action

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
    # A code we make must exist in the shop before the buyer reads it (campaigns/coupon_shop.py).
    shop_state = CouponShopState.PENDING if shop_creates_codes(message.store_id) else CouponShopState.LOCAL
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
