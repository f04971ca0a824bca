"""Optional blocks of the tracking page that other apps fill in.

The tracking page asks these hooks what to show and renders a block only when it gets something.
The coupon comes from the email engine: the code an email about this order handed to the buyer.
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Coupon:
    """What the coupon block shows. `headline` is the merchant's words ("10% off your next order")."""

    code: str
    headline: str
    url: str = ""  # where "Shop now" leads; the click is counted through the tracking redirect
    expires_at: datetime | None = None


def coupon_for_order(order) -> Coupon | None:
    """The coupon to offer on this order's tracking page, or None (no coupon block).

    One query: the tracking page calls it on every full render.
    """
    from django.utils import translation

    from apps.campaigns.context import coupon_description
    from apps.campaigns.copy import copy_for
    from apps.campaigns.selectors import live_coupon_for_order

    coupon = live_coupon_for_order(order=order)
    if coupon is None:
        return None
    language = translation.get_language() or "en"
    headline = coupon_description(coupon, copy_for(language[:2]).LABELS, language[:2])
    return Coupon(code=coupon.code, headline=headline, url=order.store.website_url, expires_at=coupon.expires_at)
