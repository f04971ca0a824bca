"""The JSON API at /api/v1/: upserts by external id, batches, tracking events. `Authorization: Bearer KEY`
(`manage.py create_api_key STORE_SLUG`); schema at /api/v1/openapi.json, docs at /api/v1/docs."""

from ninja import NinjaAPI

from . import endpoints, errors
from .auth import ApiKeyAuth
from .docs import LocalSwagger

DESCRIPTION = """
Send your shop's products, customers, orders, carts and shipments; Afterglow keeps them and runs its
tracking pages and emails from them.

* **Auth**: `Authorization: Bearer ag_…`, a key made with `python manage.py create_api_key STORE_SLUG`.
  Everything you send or read belongs to that key's store; another store's objects are simply not found.
* **Upserts**: `PUT /orders/{external_id}` creates (201) or updates (200) the object with your id and
  returns what is stored. Sending the same body again changes nothing. Ids are exact strings up to 100
  characters; in a path they may contain slashes.
* **Customers** are one per email in a store: `PUT /customers/{email}`, or by the external id of a customer
  you sent before (`PUT /customers/{external_id}`, with `email` in the body to create one).
* **Batches**: `POST /orders/batch` with `{"items": [...]}`, up to 1,000 items, each validated and applied on
  its own and reported by `index` with `status` created, updated or error: a bad item is never half-applied
  and does not stop the others. A body that cannot be read at all (malformed, too large, nested too deeply,
  over 1,000 items) is refused whole, and then no item is applied.
* **Errors** are JSON, every one: `{"error": "…", "fields": {"lines.0.quantity": "…"}}`; 400 malformed or too
  deeply nested JSON, or a NUL / unpaired surrogate in the path, the query string or a header (named, e.g.
  `external_id`, `query.page`, `header.User-Agent`); 401 no or bad key; 404 not in this store or no such
  endpoint; 405 method not taken; 409 conflict; 413 body too large; 422 invalid fields; 500 our failure, with
  a reference and no details (sending the same call again is safe).
* **Formats**: times are ISO 8601 with an offset (`2025-03-01T14:30:00+01:00`), dates `2025-03-01`, both
  from 2000 to five years ahead; money a string or number with at most two decimals, from 0 to
  9999999999.99 (`"19.90"`); currencies ISO 4217 (`EUR`). Text never holds a NUL character or an unpaired
  surrogate, and no longer than its field (see the schema's `maxLength`).
"""


class AfterglowApi(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__  # order_put, orders_batch: short names for generated clients


api = AfterglowApi(
    title="Afterglow API",
    version="1",
    description=DESCRIPTION.strip(),
    urls_namespace="api",
    auth=ApiKeyAuth(),
    parser=errors.BoundedJsonParser(),
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("/products", endpoints.products)
api.add_router("/customers", endpoints.customers)
api.add_router("/orders", endpoints.orders)
api.add_router("/carts", endpoints.carts)
api.add_router("/shipments", endpoints.shipments)
