"""What the email engine shows on a buyer's tracking page (apps/tracking/blocks.py, registered in ready()): the
coupon an email about the order handed out, while it is still usable."""

from django.utils import translation

from apps.tracking.blocks import Coupon

from .context import coupon_description
from .copy import copy_for
from .selectors import live_coupon_for_order


def coupon_for_order(order) -> Coupon | None:
    """The coupon block of this order's page, or None. One query: the page asks on every full render."""
    coupon = live_coupon_for_order(order=order)
    if coupon is None:
        return None
    language = translation.get_language() or "en"
    headline = coupon_description(coupon, copy_for(language[:2]).LABELS, language[:2])
    return Coupon(code=coupon.code, headline=headline, url=order.store.website_url, expires_at=coupon.expires_at)
