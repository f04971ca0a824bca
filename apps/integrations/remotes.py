"""What Afterglow can ask of a source it calls out to: the shape each `sources/<name>/` declares as `REMOTE`.

A shop (Shopify, WooCommerce) connects, registers our webhooks, hands over its history page by page and
creates the coupon codes we send. A tracking service (AfterShip, 17TRACK, EasyPost) connects and registers
tracking numbers so its webhooks come for our shipments. Each capability is optional; the services in
`services/` (`connections`, `shop_history`, `tracking_registrations`, `shop_coupons`) drive them, always from a
Celery task on the `integrations` queue and through `calls.ApiClient`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from apps.campaigns.models import Coupon
    from apps.shipments.models import Shipment

    from .models import Connection


@dataclass(frozen=True)
class CredentialField:
    """One value the connect form asks for. `target` is the Connection field it is saved to."""

    name: str
    label: str
    target: Literal["address", "api_key", "api_token", "secret"]
    help_text: str = ""
    secret: bool = True  # write-only: masked, never shown again
    required: bool = True
    # Checks and normalises what was typed (a shop domain, a site address); raises ValueError with the
    # message the form shows.
    clean: Callable[[str], str] | None = None


@dataclass(frozen=True)
class SetupResult:
    """What connecting learned: the shop's name, currency and time zone (when it has them), our webhooks."""

    shop_name: str = ""
    currency: str = ""
    time_zone: str = ""
    webhooks: list[dict[str, str]] = field(default_factory=list)
    scopes: str = ""
    secret: str = ""  # a webhook secret we chose and gave the source (WooCommerce), saved on the connection


@dataclass(frozen=True)
class HistoryPage:
    """One page of a stage (products, customers, orders): the items, where the next page starts (None at
    the end of the stage) and the stage's total when the source tells it."""

    items: Sequence[Any]
    next_cursor: str | None
    total: int | None = None


@dataclass(frozen=True)
class Registration:
    """The outcome of registering one shipment: registered (also when it already existed) or why not."""

    ok: bool
    external_id: str = ""
    error: str = ""
    retry: bool = False  # a passing problem (quota, 5xx): try again later


class CouponRefused(Exception):
    """The shop would not create the code: `duplicate` when the code exists already (we pick another)."""

    def __init__(self, message: str, *, duplicate: bool = False) -> None:
        super().__init__(message)
        self.duplicate = duplicate


@dataclass(frozen=True)
class Remote:
    source: str
    kind: Literal["shop", "tracking"]
    fields: tuple[CredentialField, ...]
    # Check the credentials, read the shop, register our webhooks. Raises calls.CallError on failure.
    setup: Callable[[Connection], SetupResult]
    # Remove what setup registered (best effort, on disconnect).
    teardown: Callable[[Connection], None] | None = None
    # One page of history: (connection, stage, cursor, since) → HistoryPage; "" is the first cursor.
    history_page: Callable[[Connection, str, str, datetime], HistoryPage] | None = None
    # Write a page's items through the domain services as history (no flow starts). Returns how many.
    history_apply: Callable[[Connection, str, Sequence[Any]], int] | None = None
    # Create a coupon's code in the shop; returns the shop's id for it. Raises CouponRefused or CallError.
    coupon_create: Callable[[Connection, Coupon], str] | None = None
    # Register a batch of shipments: {shipment id: Registration}. Raises CallError for the whole batch.
    tracking_register: Callable[[Connection, Sequence[Shipment]], dict[int, Registration]] | None = None
    register_batch_size: int = 1
    # A delivery that looks like the source's own (headers, body), signed with the connection's secret,
    # posted through our real endpoint by "Send a test event".
    test_event: Callable[[Connection], tuple[dict[str, str], bytes]] | None = None
    docs_url: str = ""
