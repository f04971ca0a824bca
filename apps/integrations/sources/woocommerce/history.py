"""Importing a WooCommerce shop's past: products, customers and orders from the wc/v3 REST lists.

A page is `GET /<stage>?per_page=50&page=N&orderby=id&order=asc`; the cursor is the page number. Oldest id
first, so what the shop adds while we import lands on later pages. Orders are read from `since` on; products
(the catalogue, for recommendations) and customers (WooCommerce lists have no date filter for them) all.

Everything is written as history through the same translations as the webhooks: no flow starts, and a page
applied twice changes nothing. An item the translations refuse is skipped and logged, not the whole page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from apps.core.bounds import InputError
from apps.customers.models import ConsentSource
from apps.customers.services import customer_upsert
from apps.orders.services import order_upsert, product_upsert

from ...adapters import PayloadError
from ...calls import CallError
from ...models import Connection
from ...parsing import Obj
from ...remotes import HistoryPage
from . import apply_tracking, v3_customer_in, v3_product_in, woo_order_in
from .client import header_int, woo_client

logger = logging.getLogger(__name__)

PER_PAGE = 50
STAGES = ("products", "customers", "orders")  # HistorySync.STAGES, each a wc/v3 list of the same name
NEXT_LINK = re.compile(r"""<[^>]*>\s*;[^,]*\brel\s*=\s*"?next\b""", re.IGNORECASE)


def history_page(connection: Connection, stage: str, cursor: str, since: datetime) -> HistoryPage:
    if stage not in STAGES:
        raise CallError(f"WooCommerce has no {stage} to import.")
    page = int(cursor) if cursor.isdigit() and int(cursor) > 0 else 1
    params: dict[str, Any] = {"per_page": PER_PAGE, "page": page, "orderby": "id", "order": "asc"}
    if stage == "orders":
        # WooCommerce reads `after` in the site's time zone unless dates_are_gmt (WooCommerce 5.8+) says UTC.
        params["after"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        params["dates_are_gmt"] = "true"
    with woo_client(connection) as client:
        reply = client.request("GET", stage, operation=f"woocommerce.history.{stage}", params=params)
    items = reply.json()
    if not isinstance(items, list):
        raise CallError(f"WooCommerce's list of {stage} (page {page}) is not a list.", status=reply.status)
    pages = header_int(reply.headers, "X-WP-TotalPages")
    more = bool(NEXT_LINK.search(reply.headers.get("link") or ""))
    if pages is not None:
        more = more or page < pages
    elif not more:
        more = len(items) >= PER_PAGE  # neither header: a full page may have a next one
    return HistoryPage(
        items=items,
        next_cursor=str(page + 1) if items and more else None,
        total=header_int(reply.headers, "X-WP-Total"),
    )


def history_apply(connection: Connection, stage: str, items: Sequence[Any]) -> int:
    """Write a page as history; returns how many items were written (skipped ones are logged)."""
    store = connection.store
    written = 0
    for index, item in enumerate(items):
        try:
            if stage == "products":
                product_upsert(store=store, data=v3_product_in(Obj(item), currency=store.currency))
            elif stage == "customers":
                customer = v3_customer_in(Obj(item))
                if customer is None:
                    continue
                # WooCommerce says nothing of consent (accepts_marketing None): what we hold stays.
                customer_upsert(store=store, data=customer, consent_source=ConsentSource.IMPORT)
            elif stage == "orders":
                data = woo_order_in(Obj(item))
                if data.draft or data.test:
                    continue  # a checkout draft was never placed
                order, _ = order_upsert(store=store, data=replace(data.order, historical=True))
                apply_tracking(store, order, [replace(shipment, historical=True) for shipment in data.shipments])
            else:
                raise CallError(f"WooCommerce has no {stage} to import.")
        except (PayloadError, InputError) as exc:
            ident = item.get("id") if isinstance(item, dict) else None
            logger.warning(
                "WooCommerce history for %s: %s %s (item %d of the page) skipped: %s",
                store.slug,
                stage,
                ident,
                index,
                exc,
            )
            continue
        written += 1
    return written
