"""Optional blocks of the tracking page that other apps fill in.

The tracking page asks these hooks what to show and renders a block only when it gets something.
They return nothing for now; the email engine (apps.campaigns) replaces the body of
`coupon_for_order` once coupons exist, without the tracking page changing.
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

    Hook for the email engine: it returns the coupon issued to this order's buyer, if any.
    Keep it cheap (one query at most): the tracking page calls it on every full render.
    """
    return None
