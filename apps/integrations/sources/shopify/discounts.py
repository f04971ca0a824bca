"""Creating a coupon's code in the shop, so the code we email works at its checkout.

Each code is for one use by one buyer: `usageLimit: 1`, once per customer, open to every buyer (we cannot
name Shopify's customer for a code we send by email), from now until the coupon expires.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from apps.campaigns.models import IncentiveKind

from ...calls import CallError
from ...models import Connection
from ...remotes import CouponRefused
from .client import graphql, shopify_client, user_errors

if TYPE_CHECKING:
    from apps.campaigns.models import Coupon

BASIC_MUTATION = """
mutation AfterglowDiscountCreate($input: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $input) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}"""
FREE_SHIPPING_MUTATION = """
mutation AfterglowFreeShippingCreate($input: DiscountCodeFreeShippingInput!) {
  discountCodeFreeShippingCreate(freeShippingCodeDiscount: $input) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}"""
DUPLICATE_CODES = {"TAKEN"}
DUPLICATE_WORDS = ("must be unique", "already been taken", "already exists")


def iso(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def discount_input(coupon: Coupon) -> tuple[str, str, dict[str, Any]]:
    """(mutation, its result field, the input) for this coupon's kind; CouponRefused for a kind Shopify cannot
    make into a code."""
    base: dict[str, Any] = {
        "title": f"Afterglow {coupon.code}",
        "code": coupon.code,
        "startsAt": iso(timezone.now()),
        "endsAt": iso(coupon.expires_at) if coupon.expires_at else None,
        "context": {"all": "ALL"},  # 2025-04 and later; replaces customerSelection {all: true}
        "usageLimit": 1,
        "appliesOncePerCustomer": True,
    }
    value = Decimal(coupon.value or 0)
    if coupon.kind == IncentiveKind.PERCENT:
        if not Decimal(0) < value <= Decimal(100):
            raise CouponRefused(f"A percentage discount must be between 0 and 100, not {value}.")
        # Shopify takes a fraction: 15 % is 0.15.
        gets = {"value": {"percentage": float(value / 100)}, "items": {"all": True}}
        return BASIC_MUTATION, "discountCodeBasicCreate", {**base, "customerGets": gets}
    if coupon.kind == IncentiveKind.FIXED:
        if value <= 0:
            raise CouponRefused(f"A fixed discount must be more than nothing, not {value}.")
        amount = {"amount": str(value), "appliesOnEachItem": False}  # once off the order, not per item
        gets = {"value": {"discountAmount": amount}, "items": {"all": True}}
        return BASIC_MUTATION, "discountCodeBasicCreate", {**base, "customerGets": gets}
    if coupon.kind == IncentiveKind.FREE_SHIPPING:
        return FREE_SHIPPING_MUTATION, "discountCodeFreeShippingCreate", {**base, "destination": {"all": True}}
    raise CouponRefused(f"Shopify cannot make a code for the incentive {coupon.kind or 'none'!r}.")


def coupon_create(connection: Connection, coupon: Coupon) -> str:
    """Create the code; Shopify's id for the discount (gid://shopify/DiscountCodeNode/…).

    Raises CouponRefused (duplicate=True when the shop has the code already) or CallError."""
    mutation, field, data = discount_input(coupon)
    with shopify_client(connection) as client:
        payload = graphql(client, mutation, {"input": data}, "coupons.create").get(field) or {}
    errors = user_errors(payload)
    if errors:
        messages = "; ".join(str(e.get("message") or "") for e in errors)[:400]
        duplicate = any(
            str(e.get("code") or "").upper() in DUPLICATE_CODES
            or any(word in str(e.get("message") or "").lower() for word in DUPLICATE_WORDS)
            for e in errors
        )
        raise CouponRefused(messages or "Shopify refused the code.", duplicate=duplicate)
    node = payload.get("codeDiscountNode") or {}
    if not node.get("id"):
        raise CallError("Shopify did not create the code and did not say why.")
    return str(node["id"])
