"""Translate API inputs into the domain's inputs and call the domain services, one object at a time.

Each `*_apply` takes the store, the key from the path (None in a batch: the item names itself) and the
validated input, and returns (object, created). Problems the client can fix raise ApiError with the
fields named; the caller runs each apply in its own transaction (a savepoint in a batch), so an object
is stored whole or not at all.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic
from django.db import DataError, IntegrityError, transaction

from apps.core.bounds import InputError
from apps.customers import inputs as customer_inputs
from apps.customers.models import ConsentSource, Customer
from apps.customers.services import customer_upsert
from apps.orders import inputs as order_inputs
from apps.orders.models import OrderSource
from apps.orders.services import cart_upsert, order_upsert, product_upsert
from apps.shipments import inputs as shipment_inputs
from apps.shipments.carriers import detect_carrier, preferred_carriers
from apps.shipments.models import Shipment
from apps.shipments.services import shipment_record_events, shipment_upsert
from apps.stores.models import Store

from . import limits, schemas, selectors
from .errors import UNSTORABLE_VALUE, ApiError, fields_from

logger = logging.getLogger(__name__)


def _key(path_key: str | None, sent: str, *, field: str = "external_id") -> str:
    """The object's key: the path's, which a key sent in the body must repeat; in a batch, the body's."""
    if path_key is None:
        if not sent:
            raise ApiError(422, f"Each batch item needs its {field}.", {field: "Field required"})
        return sent
    if sent and sent != path_key:
        raise ApiError(422, f"The {field} in the body differs from the path.", {field: f"Does not match {path_key!r}"})
    return path_key


# --- Products ---------------------------------------------------------------------------------


def product_apply(*, store: Store, key: str | None, data: schemas.ProductIn):
    external_id = _key(key, data.external_id)
    fields = data.model_dump(exclude={"external_id"})
    return product_upsert(store=store, data=order_inputs.ProductIn(external_id=external_id, **fields))


# --- Customers --------------------------------------------------------------------------------


def _check_customer_identity(*, store: Store, email: str, external_id: str, prefix: str = "") -> None:
    """Customers are one per email; an external id already on another email is a conflict, not a merge."""
    if not external_id:
        return
    holder = Customer.objects.filter(store=store, external_id=external_id).exclude(email=email).first()
    if holder is not None:
        raise ApiError(
            422,
            f"The external id {external_id!r} belongs to another customer ({holder.email}); "
            "a customer's email cannot be changed through the API.",
            {f"{prefix}external_id": f"Already used by the customer {holder.email}"},
        )


def _customer_input(data: schemas.CustomerFieldsIn, *, email: str, external_id: str) -> customer_inputs.CustomerIn:
    fields = data.model_dump(include={"first_name", "last_name", "phone", "locale", "time_zone", "accepts_marketing"})
    return customer_inputs.CustomerIn(email=email, external_id=external_id, **fields)


def customer_apply(*, store: Store, key: str | None, data: schemas.CustomerIn):
    """The key is an email (it has an @) or the customer's external id; a batch item is keyed by its email."""
    if key is None:
        key = data.email or data.external_id
        if not key:
            raise ApiError(422, "Each batch item needs its email.", {"email": "Field required"})
    if "@" in key:
        email = schemas.clean_email(key)
        if email is None:
            raise ApiError(422, "The path is not a valid email address.", {"email": "Enter a valid email address"})
        if data.email and data.email != email:
            raise ApiError(422, "The email in the body differs from the path.", {"email": f"Does not match {email!r}"})
        external_id = data.external_id
    else:
        external_id = _key(key, data.external_id)
        if len(external_id) > schemas.ID_LENGTH:
            raise ApiError(
                422,
                f"A customer's external id has at most {schemas.ID_LENGTH} characters.",
                {"external_id": f"At most {schemas.ID_LENGTH} characters"},
            )
        known = selectors.customer_by_key(store=store, key=external_id)
        email = data.email or (known.email if known else "")
        if not email:
            raise ApiError(422, "A new customer needs an email.", {"email": "Field required"})
    _check_customer_identity(store=store, email=email, external_id=external_id)
    created = not Customer.objects.filter(store=store, email=email).exists()
    customer = customer_upsert(
        store=store, data=_customer_input(data, email=email, external_id=external_id), consent_source=ConsentSource.API
    )
    return customer, created


def _buyer(store: Store, buyer: schemas.BuyerIn | None) -> customer_inputs.CustomerIn | None:
    if buyer is None:
        return None
    _check_customer_identity(store=store, email=buyer.email, external_id=buyer.external_id, prefix="customer.")
    return _customer_input(buyer, email=buyer.email, external_id=buyer.external_id)


# --- Orders and carts -------------------------------------------------------------------------


def _lines(lines: list[schemas.LineIn]) -> list[order_inputs.LineIn]:
    return [order_inputs.LineIn(**line.model_dump()) for line in lines]


def order_apply(*, store: Store, key: str | None, data: schemas.OrderIn):
    external_id = _key(key, data.external_id)
    fields = data.model_dump(exclude={"external_id", "customer", "lines"})
    order_in = order_inputs.OrderIn(
        external_id=external_id,
        source=OrderSource.API,
        customer=_buyer(store, data.customer),
        lines=None if data.lines is None else _lines(data.lines),
        **fields,
    )
    return order_upsert(store=store, data=order_in)


def cart_apply(*, store: Store, key: str | None, data: schemas.CartIn):
    external_id = _key(key, data.external_id)
    fields = data.model_dump(exclude={"external_id", "customer", "lines"})
    cart_in = order_inputs.CartIn(
        external_id=external_id, customer=_buyer(store, data.customer), lines=_lines(data.lines), **fields
    )
    return cart_upsert(store=store, data=cart_in)


# --- Shipments --------------------------------------------------------------------------------


def _events(events: list[schemas.EventIn]) -> list[shipment_inputs.EventIn]:
    return [shipment_inputs.EventIn(source=schemas.EVENT_SOURCE, **event.model_dump()) for event in events]


def shipment_apply(*, store: Store, key: str | None, data: schemas.ShipmentIn):
    external_id = _key(key, data.external_id)
    order = selectors.order_by_external_id(store=store, external_id=data.order_external_id)
    if order is None:
        raise ApiError(
            422,
            "The shipment's order is not known: send the order first.",
            {"order_external_id": f"No order {data.order_external_id!r} in this store"},
        )
    known = selectors.shipment_by_external_id(store=store, external_id=external_id)
    if known is not None and known.order_id != order.pk:
        raise ApiError(
            422,
            "A shipment cannot move to another order.",
            {"order_external_id": f"This shipment belongs to order {known.order.external_id!r}"},
        )
    if data.tracking_number:
        carrier = data.carrier or detect_carrier(data.tracking_number, prefer=preferred_carriers(store)) or ""
        taken = (
            Shipment.objects.filter(store=store, carrier=carrier, tracking_number=data.tracking_number)
            .exclude(external_id=external_id)
            .exists()
        )
        if taken:
            raise ApiError(
                422,
                "Another shipment of this store already has this carrier and tracking number.",
                {"tracking_number": "Already used by another shipment"},
            )
    shipment, created = shipment_upsert(
        order=order,
        data=shipment_inputs.ShipmentIn(
            external_id=external_id, **data.model_dump(exclude={"external_id", "order_external_id", "events"})
        ),
    )
    if data.events:
        shipment_record_events(shipment=shipment, incoming=_events(data.events))
    return shipment, created


def shipment_events_apply(*, store: Store, key: str, data: schemas.EventsIn) -> tuple[Shipment, int]:
    shipment = selectors.shipment_by_external_id(store=store, external_id=key)
    if shipment is None:
        raise ApiError(404, f"No shipment {key!r} in this store.")
    new_events = shipment_record_events(shipment=shipment, incoming=_events(data.events))
    shipment.refresh_from_db()
    return shipment, new_events


# --- Running them -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    noun: str
    schema: type[pydantic.BaseModel]
    apply: Callable[..., tuple[Any, bool]]
    key_of: Callable[[Any], str]  # the stored object's key, for a batch report


PRODUCTS = Resource("product", schemas.ProductIn, product_apply, lambda o: o.external_id)
CUSTOMERS = Resource("customer", schemas.CustomerIn, customer_apply, lambda o: o.external_id or o.email)
ORDERS = Resource("order", schemas.OrderIn, order_apply, lambda o: o.external_id)
CARTS = Resource("cart", schemas.CartIn, cart_apply, lambda o: o.external_id)
SHIPMENTS = Resource("shipment", schemas.ShipmentIn, shipment_apply, lambda o: o.external_id)


def apply_one(resource: Resource, *, store: Store, key: str | None, data) -> tuple[Any, bool]:
    """Apply one object in its own transaction (a savepoint inside another): whole, or not at all."""
    try:
        with transaction.atomic():
            stored, created = resource.apply(store=store, key=key, data=data)
            stored.refresh_from_db()  # as stored: defaults, rounding, what other services changed
            return stored, created
    except IntegrityError as exc:
        logger.info("API %s %s conflicts: %s", resource.noun, key, exc)
        raise ApiError(
            409, f"This {resource.noun} conflicts with one already stored (a unique value is taken)."
        ) from exc
    except DataError as exc:
        # Only a validation gap gets here: the savepoint is rolled back, the caller gets a 4xx without the
        # database's words, and we get them in the log.
        logger.warning("API %s %s: the database refused a value", resource.noun, key, exc_info=exc)
        raise ApiError(422, UNSTORABLE_VALUE) from exc
    except InputError as exc:
        # The domain's input dataclasses check values against their columns too; the API's schemas are the
        # tighter net, so this is a gap as well: still the caller's 4xx, naming the field as the domain does.
        logger.warning("API %s %s: the domain refused a value the schema let through: %s", resource.noun, key, exc)
        raise ApiError(422, f"Invalid fields: {', '.join(sorted(exc.fields))}.", exc.fields) from exc


def _item_key(raw: Any) -> str | None:
    """The key an item names itself by, to report it: only a plausible one (storable, not too long)."""
    if isinstance(raw, dict):
        for name in ("external_id", "email"):
            value = raw.get(name)
            if isinstance(value, str) and value and len(value) <= schemas.EMAIL_LENGTH and limits.is_storable(value):
                return value
    return None


def apply_batch(resource: Resource, *, store: Store, items: list[Any]) -> dict:
    """Each item validated and applied alone: a bad item is reported and the others still apply."""
    results = []
    for index, raw in enumerate(items):
        result = {"index": index, "external_id": _item_key(raw), "status": "error", "error": None, "errors": {}}
        try:
            data = resource.schema.model_validate(raw)
            stored, created = apply_one(resource, store=store, key=None, data=data)
        except pydantic.ValidationError as exc:
            result["errors"] = fields_from(exc.errors(), empty="item")
            result["error"] = "Invalid fields: " + ", ".join(sorted(result["errors"])) + "."
        except ApiError as exc:
            result["error"], result["errors"] = exc.message, exc.fields
        except Exception as exc:
            reference = uuid.uuid4().hex[:12]
            logger.error(
                "API batch of %ss: item %s failed (reference %s)", resource.noun, index, reference, exc_info=exc
            )
            result["error"] = f"Internal error (reference {reference}); this item was not saved."
        else:
            result["status"] = "created" if created else "updated"
            result["external_id"] = resource.key_of(stored)
        results.append(result)
    counts = {status: sum(1 for r in results if r["status"] == status) for status in ("created", "updated", "error")}
    return {"created": counts["created"], "updated": counts["updated"], "failed": counts["error"], "items": results}
