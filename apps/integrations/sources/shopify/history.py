"""A shop's history over the GraphQL Admin API: products, customers, then orders, a page at a time.

`history_page` only reads (the runner calls it outside any transaction); `history_apply` writes a page through
the domain services with `historical=True`, so nothing imported starts a flow. Every write is an upsert keyed
by Shopify's numeric ids (the same ids its webhooks carry), so a page applied twice changes nothing and a later
webhook for an imported order updates that order.

What is read: every product (the catalogue is current, not history); customers and orders created or updated
since the sync's `since`. Shopify refuses a query whose worst-case cost passes its per-query ceiling
(MAX_COST_EXCEEDED, with the cost in the error); the page is then asked again with fewer items.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from apps.core.bounds import InputError
from apps.customers.inputs import CustomerIn
from apps.customers.models import ConsentSource, Customer
from apps.customers.services import customer_upsert
from apps.orders.inputs import LineIn, OrderIn, ProductIn
from apps.orders.models import Order, OrderLine, OrderSource, Product
from apps.orders.services import order_upsert, product_upsert
from apps.shipments.carriers import carrier_code_for_name
from apps.shipments.inputs import EventIn, ShipmentIn
from apps.shipments.models import Shipment, TrackingEvent
from apps.shipments.models import ShipmentStatus as S
from apps.shipments.services import shipment_record_events, shipment_upsert

from ...adapters import PayloadError
from ...calls import CallError
from ...models import Connection, Source
from ...parsing import Obj, ident
from ...remotes import HistoryPage
from .client import gid_number, graphql, shopify_client
from .mapping import language, map_status, order_status_of

logger = logging.getLogger(__name__)

PAGE_SIZE = {"products": 50, "customers": 50, "orders": 20}
MIN_PAGE_SIZE = 1

PRODUCT, ORDER, LINE = Product._meta.get_field, Order._meta.get_field, OrderLine._meta.get_field
PERSON, SHIPMENT, EVENT = Customer._meta.get_field, Shipment._meta.get_field, TrackingEvent._meta.get_field

QUERIES = {
    "products": """
query AfterglowProducts($first: Int!, $after: String, $withTotal: Boolean!) {
  products(first: $first, after: $after, sortKey: ID) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id title handle productType status onlineStoreUrl
      variants(first: 10) { nodes { id title sku price availableForSale } }
      media(first: 1, query: "media_type:IMAGE") { nodes { ... on MediaImage { image { url } } } }
    }
  }
  productsCount @include(if: $withTotal) { count }
}""",
    "customers": """
query AfterglowCustomers($first: Int!, $after: String, $query: String, $withTotal: Boolean!) {
  customers(first: $first, after: $after, query: $query, sortKey: ID) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id firstName lastName locale createdAt updatedAt
      defaultEmailAddress { emailAddress marketingState marketingUpdatedAt }
      defaultPhoneNumber { phoneNumber }
    }
  }
  customersCount(query: $query) @include(if: $withTotal) { count }
}""",
    "orders": """
query AfterglowOrders($first: Int!, $after: String, $query: String, $withTotal: Boolean!) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name createdAt processedAt updatedAt cancelledAt email test currencyCode customerLocale statusPageUrl
      displayFinancialStatus displayFulfillmentStatus discountCodes customerAcceptsMarketing
      subtotalPriceSet { shopMoney { amount } }
      totalDiscountsSet { shopMoney { amount } }
      totalShippingPriceSet { shopMoney { amount } }
      totalTaxSet { shopMoney { amount } }
      totalPriceSet { shopMoney { amount } }
      customer { id firstName lastName locale defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } }
      shippingAddress { name city zip countryCodeV2 }
      lineItems(first: 25) {
        nodes { id title name quantity sku variantTitle originalUnitPriceSet { shopMoney { amount } } product { id } }
      }
      fulfillments(first: 5) {
        id status displayStatus createdAt updatedAt deliveredAt inTransitAt
        trackingInfo(first: 3) { number url company }
      }
    }
  }
  ordersCount(query: $query) @include(if: $withTotal) { count }
}""",
}
SEARCH_FIELD = {"customers": "updated_at", "orders": "created_at"}  # products: the whole catalogue


def search_since(field: str, since: datetime) -> str:
    """Shopify's search syntax: created_at:>='2026-06-01T00:00:00Z'."""
    return f"{field}:>='{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def history_page(connection: Connection, stage: str, cursor: str, since: datetime) -> HistoryPage:
    """One page of `stage` after `cursor` ("" for the first). The first page also carries the stage's count."""
    if stage not in QUERIES:
        raise CallError(f"Shopify has no history stage {stage!r}.")
    variables: dict[str, Any] = {"first": PAGE_SIZE[stage], "after": cursor or None, "withTotal": not cursor}
    if stage in SEARCH_FIELD:
        variables["query"] = search_since(SEARCH_FIELD[stage], since)
    with shopify_client(connection) as client:
        while True:
            try:
                data = graphql(client, QUERIES[stage], variables, f"history.{stage}")
                break
            except CallError as exc:
                smaller = _smaller_page(exc, variables["first"])
                if smaller is None:
                    raise
                variables["first"] = smaller  # the cursor stays valid whatever the page size
    listing = data.get(stage) or {}
    page = listing.get("pageInfo") or {}
    nodes = [node for node in listing.get("nodes") or [] if isinstance(node, dict)]
    count = (data.get(f"{stage}Count") or {}).get("count")
    return HistoryPage(
        items=nodes,
        next_cursor=str(page["endCursor"]) if page.get("hasNextPage") and page.get("endCursor") else None,
        total=int(count) if isinstance(count, int) else None,
    )


def _smaller_page(exc: CallError, first: int) -> int | None:
    """A page size under Shopify's per-query cost ceiling, from the MAX_COST_EXCEEDED error; None otherwise."""
    errors = exc.body.get("errors") if isinstance(exc.body, dict) else None
    for error in errors if isinstance(errors, list) else []:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        extensions = extensions if isinstance(extensions, dict) else {}
        if extensions.get("code") != "MAX_COST_EXCEEDED" or first <= MIN_PAGE_SIZE:
            continue
        try:
            fitting = int(first * float(extensions["maxCost"]) / float(extensions["cost"]))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            fitting = first // 2
        return max(min(fitting, first - 1), MIN_PAGE_SIZE)
    return None


# --- Applying a page -----------------------------------------------------------------------------------


def history_apply(connection: Connection, stage: str, items: Sequence[Any]) -> int:
    """Write a page's items as history; returns how many were written. An item Shopify sent malformed is
    logged and skipped: one bad order never holds up the rest of the import."""
    store = connection.store
    apply = {"products": _apply_product, "customers": _apply_customer, "orders": _apply_order}.get(stage)
    if apply is None:
        raise CallError(f"Shopify has no history stage {stage!r}.")
    written = 0
    for index, item in enumerate(items):
        try:
            with transaction.atomic():  # a savepoint: an item refused half-way leaves nothing behind
                if apply(store, Obj(item, f"{stage}[{index}]")):
                    written += 1
        except (PayloadError, InputError) as exc:
            logger.warning("Skipped Shopify %s %s for store %s: %s", stage, index, store.pk, exc)
    return written


def money(node: Obj, key: str, column) -> Any:
    """GraphQL money: {key: {shopMoney: {amount: "12.50"}}} in the shop's currency."""
    return node.obj(key).obj("shopMoney").money("amount", column)


def number(node: Obj, key: str = "id", *, column=None) -> str:
    """Shopify's numeric id from a gid, checked like any id we store."""
    value = gid_number(node.raw(key))
    return ident(value, field=node.path(key), limit=column or ORDER("external_id"))


def _apply_product(store, node: Obj) -> bool:
    node.require("id", "title")
    variants = node.obj("variants").objs("nodes")
    first = variants[0] if variants else Obj({})
    available = [v.raw("availableForSale") for v in variants if isinstance(v.raw("availableForSale"), bool)]
    images = node.obj("media").objs("nodes")
    status = node.text("status", 20)
    product_upsert(
        store=store,
        data=ProductIn(
            external_id=number(node, column=PRODUCT("external_id")),
            name=node.text("title", PRODUCT("name")),
            sku=first.text("sku", PRODUCT("sku")),
            url=node.url("onlineStoreUrl", PRODUCT("url")),
            image_url=images[0].obj("image").url("url", PRODUCT("image_url")) if images else "",
            price=first.money("price", PRODUCT("price")) if first.has("price") else None,
            currency=store.currency if first.has("price") else "",
            category=node.text("productType", PRODUCT("category")),
            # Draft and archived products, and those no variant of which can be bought, are not on offer.
            in_stock=status in ("", "ACTIVE") and (any(available) if available else True),
        ),
    )
    return True


def marketing_consent(state: str) -> bool | None:
    """CustomerEmailMarketingState → a statement: subscribed, unsubscribed, or nothing said (never asked,
    waiting for a confirmation, invalid)."""
    return {"SUBSCRIBED": True, "UNSUBSCRIBED": False, "REDACTED": False}.get(state.upper())


def _apply_customer(store, node: Obj) -> bool:
    address = node.obj("defaultEmailAddress")
    email = address.email("emailAddress")
    if not email:
        return False  # a phone-only customer: nobody we could email
    consent = marketing_consent(address.text("marketingState", 40))
    customer_upsert(
        store=store,
        data=CustomerIn(
            email=email,
            external_id=number(node, column=PERSON("external_id")),
            first_name=node.text("firstName", PERSON("first_name")),
            last_name=node.text("lastName", PERSON("last_name")),
            phone=node.obj("defaultPhoneNumber").text("phoneNumber", PERSON("phone")),
            locale=language(node.text("locale", 20)),
            accepts_marketing=consent,
            # The moment the shop says the buyer answered: a re-import never overrides a newer answer here.
            consent_at=address.moment("marketingUpdatedAt") or node.moment("updatedAt"),
        ),
        consent_source=ConsentSource.IMPORT,
    )
    return True


def _line(node: Obj) -> LineIn:
    node.require("quantity")
    return LineIn(
        title=node.text(node.first("title", "name"), LINE("title")),
        quantity=node.quantity("quantity", LINE("quantity")),
        unit_price=money(node, "originalUnitPriceSet", LINE("unit_price")),
        product_external_id=number(node.obj("product"), column=PRODUCT("external_id")),
        external_id=number(node, column=LINE("external_id")),
        sku=node.text("sku", LINE("sku")),
        variant_title=node.text("variantTitle", LINE("variant_title")),
    )


def _order_customer(node: Obj, email: str, locale: str) -> CustomerIn | None:
    customer = node.obj("customer")
    email = email or customer.obj("defaultEmailAddress").email("emailAddress")
    if not email:
        return None
    return CustomerIn(
        email=email,
        external_id=number(customer, column=PERSON("external_id")),
        first_name=customer.text("firstName", PERSON("first_name")),
        last_name=customer.text("lastName", PERSON("last_name")),
        phone=customer.obj("defaultPhoneNumber").text("phoneNumber", PERSON("phone")),
        locale=language(locale or customer.text("locale", 20)),
        # A ticked box is consent given at that checkout; an unticked one withdraws nothing (the customers
        # stage brought the shop's own marketing state, with its date).
        accepts_marketing=True if node.flag("customerAcceptsMarketing") else None,
    )


def order_from(node: Obj) -> OrderIn:
    node.require("id", "createdAt", "currencyCode")
    email = node.email("email")
    locale = node.text("customerLocale", 20)
    shipping = node.obj("shippingAddress")
    return OrderIn(
        external_id=number(node),
        number=node.text(node.first("name", "id"), ORDER("number")),
        placed_at=node.moment(node.first("processedAt", "createdAt"), required=True),
        updated_at=node.moment("updatedAt"),
        currency=node.code("currencyCode", 3, required=True, strict=True),
        source=OrderSource.SHOPIFY,
        status=order_status_of(
            financial=node.text("displayFinancialStatus", 40),
            fulfillment=node.text("displayFulfillmentStatus", 40),
            cancelled=node.has("cancelledAt"),
        ),
        email=email,
        locale=language(locale),
        customer=_order_customer(node, email, locale),
        subtotal=money(node, "subtotalPriceSet", ORDER("subtotal")),
        discount_total=money(node, "totalDiscountsSet", ORDER("discount_total")),
        shipping_total=money(node, "totalShippingPriceSet", ORDER("shipping_total")),
        tax_total=money(node, "totalTaxSet", ORDER("tax_total")),
        total=money(node, "totalPriceSet", ORDER("total")),
        discount_codes=[_code(value, node, i) for i, value in enumerate(node.list("discountCodes"))],
        order_status_url=node.url("statusPageUrl", ORDER("order_status_url")),
        shipping_name=shipping.text("name", ORDER("shipping_name")),
        shipping_city=shipping.text("city", ORDER("shipping_city")),
        shipping_postcode=shipping.text("zip", ORDER("shipping_postcode")),
        shipping_country=shipping.code("countryCodeV2", 2),
        cancelled_at=node.moment("cancelledAt"),
        lines=[_line(line) for line in node.obj("lineItems").objs("nodes")],
        historical=True,
    )


def _code(value: Any, node: Obj, index: int) -> str:
    return Obj({"code": value}, node.path(f"discountCodes[{index}]")).text("code", 100)


def shipments_from(node: Obj) -> list[tuple[ShipmentIn, EventIn | None]]:
    """A fulfillment with a tracking number is a shipment, keyed like fulfillments/create keys it (the
    fulfillment's id, its first tracking number); its display status, when it is a carrier's, is an event."""
    found = []
    for fulfillment in node.objs("fulfillments"):
        tracking = fulfillment.objs("trackingInfo")
        if not tracking or not tracking[0].has("number"):
            continue
        first = tracking[0]
        company = first.text("company", SHIPMENT("carrier_name"))
        number_ = first.ident("number", limit=SHIPMENT("tracking_number"))
        shipped_at = fulfillment.moment("createdAt")
        raw = fulfillment.text("displayStatus", EVENT("raw_status"))
        event = None
        if map_status(raw) != S.UNKNOWN:
            at = fulfillment.moment(fulfillment.first("deliveredAt", "inTransitAt", "updatedAt", "createdAt"))
            if at is not None:
                event = EventIn(occurred_at=at, status=map_status(raw), raw_status=raw.lower(), source=Source.SHOPIFY)
        found.append(
            (
                ShipmentIn(
                    external_id=number(fulfillment, column=SHIPMENT("external_id")),
                    tracking_number=number_,
                    tracking_url=first.url("url", SHIPMENT("tracking_url")),
                    carrier=carrier_code_for_name(company),
                    carrier_name=company,
                    shipped_at=shipped_at,
                    historical=True,
                ),
                event,
            )
        )
    return found


def _apply_order(store, node: Obj) -> bool:
    data = order_from(node)
    shipments = shipments_from(node)  # read everything before writing anything
    order, _ = order_upsert(store=store, data=data)
    for shipment_in, event in shipments:
        shipment, _ = shipment_upsert(order=order, data=shipment_in)
        if event is not None:
            shipment_record_events(shipment=shipment, incoming=[event])
    return True
