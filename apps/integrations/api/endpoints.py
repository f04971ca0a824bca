"""The endpoints: thin. Validation lives in schemas, translation in resources, writes in domain services.

Every path is relative to the key's store: another store's ids are not found (404), never touched.
Routes: `/batch` first, then `/{id}/events`, then `/{id}`, so that Django tries the literal paths first
(an object whose external id is literally "batch" cannot be reached by path; send it in a batch).
"""

from django.http import Http404, HttpRequest
from ninja import Path, Router, Status

from apps.integrations.models import Outcome
from apps.stores.models import Store

from . import resources, schemas, selectors
from .log import api_call_record
from .resources import Resource, apply_batch, apply_one
from .schemas import ErrorOut

READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}
BATCH_ERRORS = {400: ErrorOut, 401: ErrorOut, 413: ErrorOut, 422: ErrorOut}

ExternalIdPath = Path(..., min_length=1, max_length=100, description="Your id for it, exact (slashes allowed).")


def store_of(request: HttpRequest) -> Store:
    return request.auth.store


def found(obj, noun: str, key: str):
    if obj is None:
        raise Http404(f"No {noun} {key!r} in this store.")
    return obj


def put(request: HttpRequest, resource: Resource, key: str, payload) -> Status:
    stored, created = apply_one(resource, store=store_of(request), key=key, data=payload)
    status = 201 if created else 200
    summary = f"{resource.noun} {key} {'created' if created else 'updated'}"
    api_call_record(request=request, outcome=Outcome.PROCESSED, http_status=status, summary=summary)
    return Status(status, stored)


def batch(request: HttpRequest, resource: Resource, payload) -> dict:
    report = apply_batch(resource, store=store_of(request), items=payload.items)
    summary = f"{resource.noun}s: {report['created']} created, {report['updated']} updated, {report['failed']} failed"
    failures = "\n".join(
        f"item {item['index']} ({item['external_id'] or 'no id'}): {item['error']}"
        for item in report["items"]
        if item["status"] == "error"
    )
    outcome = Outcome.FAILED if report["failed"] else Outcome.PROCESSED
    api_call_record(request=request, outcome=outcome, http_status=200, summary=summary, error=failures)
    return report


BATCH_DESCRIPTION = (
    "Up to 1,000 items, each validated and applied on its own: an invalid item is reported with its fields "
    "and the others still apply; no item is ever half-applied. Items are applied in order, so a later item "
    "may refer to an earlier one. A body that cannot be read at all (400, 413) or holds more than 1,000 "
    "items (422) is refused whole: then no item is applied."
)

# --- Products ---------------------------------------------------------------------------------

products = Router(tags=["Products"])


@products.post(
    "/batch",
    response={200: schemas.BatchOut, **BATCH_ERRORS},
    description=BATCH_DESCRIPTION,
    summary="Create or update up to 1,000 products",
)
def products_batch(request, payload: schemas.ProductBatchIn):
    """Create or update many products."""
    return batch(request, resources.PRODUCTS, payload)


@products.get("/{path:external_id}", response={200: schemas.ProductOut, **READ_ERRORS}, summary="Read a product")
def product_get(request, external_id: str = ExternalIdPath):
    """Read a product."""
    return found(
        selectors.product_by_external_id(store=store_of(request), external_id=external_id), "product", external_id
    )


@products.put(
    "/{path:external_id}",
    response={200: schemas.ProductOut, 201: schemas.ProductOut, **WRITE_ERRORS},
    summary="Create or update a product",
)
def product_put(request, payload: schemas.ProductIn, external_id: str = ExternalIdPath):
    """Create or update a product (201 when created). Fields left out take their defaults; a missing
    `replenishment_days` keeps the value already set."""
    return put(request, resources.PRODUCTS, external_id, payload)


# --- Customers --------------------------------------------------------------------------------

customers = Router(tags=["Customers"])
CustomerKeyPath = Path(
    ...,
    min_length=1,
    max_length=254,
    description="The customer's email (anything with an @) or your external id for them.",
)


@customers.post(
    "/batch",
    response={200: schemas.BatchOut, **BATCH_ERRORS},
    description=BATCH_DESCRIPTION + " Each item is keyed by its `email` (or, for a known customer, `external_id`).",
    summary="Create or update up to 1,000 customers",
)
def customers_batch(request, payload: schemas.CustomerBatchIn):
    """Create or update many customers (each item keyed by its `email`)."""
    return batch(request, resources.CUSTOMERS, payload)


@customers.get(
    "/{path:email_or_external_id}", response={200: schemas.CustomerOut, **READ_ERRORS}, summary="Read a customer"
)
def customer_get(request, email_or_external_id: str = CustomerKeyPath):
    """Read a customer by email or by external id."""
    customer = selectors.customer_by_key(store=store_of(request), key=email_or_external_id)
    return found(customer, "customer", email_or_external_id)


@customers.put(
    "/{path:email_or_external_id}",
    response={200: schemas.CustomerOut, 201: schemas.CustomerOut, **WRITE_ERRORS},
    summary="Create or update a customer",
)
def customer_put(request, payload: schemas.CustomerIn, email_or_external_id: str = CustomerKeyPath):
    """Create or update a customer. A store has one customer per email: the path is the email, or the
    external id of a customer (then `email` is needed in the body to create one). Empty or missing fields
    never blank what is known; `accepts_marketing` changes consent and keeps its history."""
    return put(request, resources.CUSTOMERS, email_or_external_id, payload)


# --- Orders -----------------------------------------------------------------------------------

orders = Router(tags=["Orders"])


@orders.post(
    "/batch",
    response={200: schemas.BatchOut, **BATCH_ERRORS},
    description=BATCH_DESCRIPTION,
    summary="Create or update up to 1,000 orders",
)
def orders_batch(request, payload: schemas.OrderBatchIn):
    """Create or update many orders."""
    return batch(request, resources.ORDERS, payload)


@orders.get("/{path:external_id}", response={200: schemas.OrderOut, **READ_ERRORS}, summary="Read an order")
def order_get(request, external_id: str = ExternalIdPath):
    """Read an order with its lines and the buyer's tracking page."""
    return found(selectors.order_by_external_id(store=store_of(request), external_id=external_id), "order", external_id)


@orders.put(
    "/{path:external_id}",
    response={200: schemas.OrderOut, 201: schemas.OrderOut, **WRITE_ERRORS},
    summary="Create or update an order",
)
def order_put(request, payload: schemas.OrderIn, external_id: str = ExternalIdPath):
    """Create or update an order (201 when created). Send `updated_at` and an older version never
    overwrites a newer one; leave `lines` out to keep the lines already stored."""
    return put(request, resources.ORDERS, external_id, payload)


# --- Carts ------------------------------------------------------------------------------------

carts = Router(tags=["Carts"])


@carts.post(
    "/batch",
    response={200: schemas.BatchOut, **BATCH_ERRORS},
    description=BATCH_DESCRIPTION,
    summary="Create or update up to 1,000 carts",
)
def carts_batch(request, payload: schemas.CartBatchIn):
    """Create or update many carts."""
    return batch(request, resources.CARTS, payload)


@carts.get("/{path:external_id}", response={200: schemas.CartOut, **READ_ERRORS}, summary="Read a cart")
def cart_get(request, external_id: str = ExternalIdPath):
    """Read a cart (checkout)."""
    return found(selectors.cart_by_external_id(store=store_of(request), external_id=external_id), "cart", external_id)


@carts.put(
    "/{path:external_id}",
    response={200: schemas.CartOut, 201: schemas.CartOut, **WRITE_ERRORS},
    summary="Create or update a cart",
)
def cart_put(request, payload: schemas.CartIn, external_id: str = ExternalIdPath):
    """Create or refresh a cart (201 when created). A version older than the stored `updated_at` is
    ignored; a converted cart stays converted."""
    return put(request, resources.CARTS, external_id, payload)


# --- Shipments --------------------------------------------------------------------------------

shipments = Router(tags=["Shipments"])


@shipments.post(
    "/batch",
    response={200: schemas.BatchOut, **BATCH_ERRORS},
    description=BATCH_DESCRIPTION,
    summary="Create or update up to 1,000 shipments",
)
def shipments_batch(request, payload: schemas.ShipmentBatchIn):
    """Create or update many shipments."""
    return batch(request, resources.SHIPMENTS, payload)


@shipments.post(
    "/{path:external_id}/events",
    response={200: schemas.EventsOut, 404: ErrorOut, **WRITE_ERRORS},
    summary="Add tracking events to a shipment",
)
def shipment_events_post(request, payload: schemas.EventsIn, external_id: str = ExternalIdPath):
    """Add tracking events to a shipment. Events already stored are skipped; the shipment's status follows
    the newest event and never moves backwards because of a late, older one."""
    store = store_of(request)
    shipment, new_events = resources.shipment_events_apply(store=store, key=external_id, data=payload)
    summary = f"shipment {external_id}: {new_events} new events"
    api_call_record(request=request, outcome=Outcome.PROCESSED, http_status=200, summary=summary)
    return {"new_events": new_events, "shipment": shipment}


@shipments.get("/{path:external_id}", response={200: schemas.ShipmentOut, **READ_ERRORS}, summary="Read a shipment")
def shipment_get(request, external_id: str = ExternalIdPath):
    """Read a shipment with its tracking events."""
    shipment = selectors.shipment_by_external_id(store=store_of(request), external_id=external_id)
    return found(shipment, "shipment", external_id)


@shipments.put(
    "/{path:external_id}",
    response={200: schemas.ShipmentOut, 201: schemas.ShipmentOut, **WRITE_ERRORS},
    summary="Create or update a shipment",
)
def shipment_put(request, payload: schemas.ShipmentIn, external_id: str = ExternalIdPath):
    """Create or update a shipment of an order sent before (201 when created). The carrier is detected from
    the tracking number when left out; `events` may carry its tracking history."""
    return put(request, resources.SHIPMENTS, external_id, payload)
