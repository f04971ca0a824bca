"""Optional blocks of the tracking page that other apps fill in.

The tracking page asks these hooks what to show and renders a block only when it gets something. The app that
owns a block registers its hooks in its AppConfig.ready() with `blocks_register(...)`, so the tracking app
imports none of them:

- the email engine (apps.campaigns, `campaigns/page_blocks.py`): the coupon an email about this order handed
  to the buyer;
- apps.feedback: the NPS prompt (the buyer's latest score, read with the page's one order query, and the
  scale's links) and the address of the buyer's preference centre.

Nothing registered: no block (no coupon, no score, no links).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Expression, IntegerField, Value


@dataclass(frozen=True)
class Coupon:
    """What the coupon block shows. `headline` is the merchant's words ("10% off your next order")."""

    code: str
    headline: str
    url: str = ""  # where "Shop now" leads; the click is counted through the tracking redirect
    expires_at: datetime | None = None


@dataclass
class Hooks:
    # order -> the coupon to offer on its page, or None; one query: the page calls it on every full render
    coupon_for_order: Callable[[Any], Coupon | None] = lambda order: None
    # () -> an expression over OuterRef("pk") (the order) giving the buyer's latest NPS score, or None
    nps_score: Callable[[], Any] | None = None
    # order -> the eleven score links of the NPS prompt
    nps_scale: Callable[[Any], list[dict]] = lambda order: []
    # customer -> the path of their preference centre
    preferences_path: Callable[[Any], str] = lambda customer: ""


HOOKS = Hooks()


def blocks_register(**hooks: Callable) -> None:
    """Fill in hooks by name (`coupon_for_order=...`): an app's blocks, from its AppConfig.ready()."""
    for name, hook in hooks.items():
        if name not in Hooks.__dataclass_fields__:
            raise TypeError(f"the tracking page has no block hook named {name!r}")
        setattr(HOOKS, name, hook)


def coupon_for_order(order) -> Coupon | None:
    """The coupon to offer on this order's tracking page, or None (no coupon block)."""
    return HOOKS.coupon_for_order(order)


def nps_score() -> Expression:
    """What `order_for_page` annotates as `nps_score`: the buyer's latest answer, or NULL without an NPS block."""
    return HOOKS.nps_score() if HOOKS.nps_score else Value(None, output_field=IntegerField())


def nps_scale(order) -> list[dict]:
    return HOOKS.nps_scale(order)


def preferences_path(customer) -> str:
    return HOOKS.preferences_path(customer)
