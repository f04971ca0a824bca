"""Creating our coupon codes in a WooCommerce shop (`POST /wc/v3/coupons`).

Each code is for one use by one person: `usage_limit` and `usage_limit_per_user` 1, `individual_use` (not
stacked with other codes), and `email_restrictions` with the buyer's address when the coupon is theirs.
`date_expires` is the coupon's expiry in the store's time zone with its offset: WooCommerce reads a date
without an offset in the site's time zone, and one with an offset as that exact moment.

A code the shop has already is a duplicate (`woocommerce_rest_coupon_code_already_exists`), unless it is
this very coupon, created by an earlier try whose answer was lost (a timeout): the meta entry
`afterglow_coupon` names the store and coupon, and that code's id is returned instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apps.campaigns.models import IncentiveKind

from ...calls import CallError, Unauthorized
from ...models import Connection
from ...remotes import CouponRefused
from .client import error_code, error_message, woo_client

if TYPE_CHECKING:
    from apps.campaigns.models import Coupon

DUPLICATE = "woocommerce_rest_coupon_code_already_exists"
MARKER = "afterglow_coupon"
DISCOUNT_TYPES = {IncentiveKind.PERCENT: "percent", IncentiveKind.FIXED: "fixed_cart"}


def marker(coupon: Coupon) -> str:
    return f"{coupon.store_id}:{coupon.pk}"


def coupon_body(coupon: Coupon) -> dict[str, Any]:
    """The coupon as WooCommerce's REST API takes it."""
    if coupon.kind == IncentiveKind.FREE_SHIPPING:
        kind, amount, free_shipping = "fixed_cart", "0", True
    elif coupon.kind in DISCOUNT_TYPES:
        kind, amount, free_shipping = DISCOUNT_TYPES[coupon.kind], f"{coupon.value:.2f}", False
    else:
        raise CouponRefused(f"A coupon of kind {coupon.kind!r} cannot be made in WooCommerce.")
    body: dict[str, Any] = {
        "code": coupon.code,
        "discount_type": kind,
        "amount": amount,
        "free_shipping": free_shipping,
        "individual_use": True,
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "description": "Made by Afterglow for one customer.",
        "meta_data": [{"key": MARKER, "value": marker(coupon)}],
    }
    if coupon.expires_at is not None:
        local = coupon.expires_at.astimezone(coupon.store.tz).replace(microsecond=0)
        body["date_expires"] = local.isoformat()
    email = coupon.customer.email if coupon.customer_id and coupon.customer else ""
    if email:
        body["email_restrictions"] = [email]
    return body


def coupon_create(connection: Connection, coupon: Coupon) -> str:
    """Create the code in the shop; its id there. CouponRefused(duplicate=True) when the shop has the code."""
    body = coupon_body(coupon)
    with woo_client(connection) as client:
        try:
            created = client.request(
                "POST", "coupons", operation="woocommerce.coupons.create", json_body=body, ok=(200, 201)
            ).json()
        except Unauthorized as exc:
            raise Unauthorized(
                f"WooCommerce would not let these keys create coupons (HTTP {exc.status}). "
                "Give the key Read/Write permissions.",
                status=exc.status,
                body=exc.body,
            ) from exc
        except CallError as exc:
            if exc.status != 400:
                raise
            if error_code(exc) == DUPLICATE:
                earlier = _made_earlier(client, coupon)
                if earlier:
                    return earlier
                raise CouponRefused(error_message(exc) or "The coupon code already exists.", duplicate=True) from exc
            raise CouponRefused(error_message(exc) or error_code(exc) or "WooCommerce refused the coupon.") from exc
    if not isinstance(created, dict) or created.get("id") in (None, ""):
        raise CallError("WooCommerce created the coupon but did not say its id.")
    return str(created["id"])


def _made_earlier(client, coupon: Coupon) -> str:
    """The shop's id for this code when an earlier try of this very coupon made it; "" otherwise."""
    try:
        found = client.request(
            "GET", "coupons", operation="woocommerce.coupons.find", params={"code": coupon.code}
        ).json()
    except CallError:
        return ""
    for item in found if isinstance(found, list) else []:
        if not isinstance(item, dict) or str(item.get("code", "")).lower() != coupon.code.lower():
            continue
        meta = item.get("meta_data") if isinstance(item.get("meta_data"), list) else []
        if any(isinstance(m, dict) and m.get("key") == MARKER and m.get("value") == marker(coupon) for m in meta):
            return str(item.get("id") or "")
    return ""
