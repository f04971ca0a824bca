"""`StoreBuilder`: one store's bulk rows, a chunk of customers at a time, as plain tuples.

Planning comes first: every customer's order times, so order numbers rise with `placed_at` across the
store, and each chunk's id ranges (`CHUNK_BOUNDS`). Then `build(chunk)` makes a chunk's rows from its own
random generator, customer after customer, step after step (`customers.py`, `orders.py`,
`shipments.py`, `carts.py`), so chunks can be built apart, in any order and any process, and the same
seed gives the same rows (apart from tracking tokens, which stay unguessable). A shipment's carrier events
come as one plan row, which the database turns into events (`events.py`, with the templates of
`event_templates`).
"""

import random
from array import array
from bisect import bisect
from datetime import datetime
from itertools import accumulate

from apps.customers.models import Customer
from apps.demo.carts import CartRows
from apps.demo.customers import LOYAL, NEW, SEGMENT_SHARES, CustomerRows, order_days
from apps.demo.orders import COVER_OLD, SHOWCASE, OrderRows
from apps.demo.people import PLACES
from apps.demo.profiles import DAY, HOUR, Profile
from apps.demo.rows import CHUNK_BOUNDS, Chunk, Rows
from apps.demo.shipments import (
    ARRIVAL_HUBS,
    CARRIERS_BY_COUNTRY,
    TRACKING_FORMATS,
    Place,
    ShipmentRows,
    event_templates,
    url_parts,
)
from apps.demo.transit import DEFAULT_SERVICE, SERVICES, place_days, utc_offset
from apps.orders.models import Order, Product
from apps.shipments.carriers import CARRIERS
from apps.stores.models import Store


class StoreBuilder(CustomerRows, OrderRows, ShipmentRows, CartRows):
    """Generates one store's rows; see the module's docstring."""

    def __init__(
        self,
        *,
        store: Store,
        profile: Profile,
        products: list[Product],
        customers: int,
        next_ids: dict,
        seed: int,
        pools: dict,
        now: datetime,
        chunk_customers: int,
    ) -> None:
        self.store_id = store.pk
        self.currency = store.currency
        self.profile = profile
        self.customers = customers
        self.seed = seed
        self.rnd = random.Random(f"{seed}:{profile.slug}:plan")
        self.pools = pools
        self.now = now.timestamp()
        self.site = profile.site

        self.products = [
            (product.pk, product.name, product.sku, int(product.price * 100), product.image_url, item.variants)
            for product, item in zip(products, profile.catalogue, strict=True)
        ]
        self.product_weights = list(accumulate(item.weight for item in profile.catalogue))
        self.cart_products = [
            product
            for product, item in zip(self.products, profile.catalogue, strict=True)
            if item.category != "Subscriptions"
        ]
        self.locales = list(profile.locales)
        self.locale_shares = list(accumulate(profile.locales.values()))
        self.place_count = 0
        self.places = {locale: [self._place(*place) for place in PLACES[locale]] for locale in self.locales}
        self.timings: dict[int, tuple] = {}  # what parcels on a path have in common, see shipments.path_timing
        self._plan_orders()
        self._plan_chunks(next_ids, chunk_customers)

    def build(self, chunk: Chunk) -> Rows:
        """A chunk's rows: each customer with their orders and parcels, consent history, and carts."""
        rows = Rows()
        self.rnd = random.Random(f"{self.seed}:{self.profile.slug}:{chunk.number}")
        self.ids = dict(chunk.first_ids)
        for index in range(chunk.start, chunk.stop):
            buyer = self._buyer(index, customer_id=self.ids[Customer] + index - chunk.start)
            self._add_orders(rows, buyer)
            self._add_consent(rows, buyer)
            self._add_customer(rows, buyer)
            self._add_carts(rows, buyer)
        self.ids[Customer] += chunk.stop - chunk.start
        overflow = [model.__name__ for model, last in chunk.last_ids.items() if self.ids[model] > last]
        if overflow:
            raise AssertionError(f"chunk {chunk.number} ran past its id range for {', '.join(overflow)}")
        return rows

    def _place(self, city: str, postcode: str, country: str, time_zone: str) -> Place:
        profile = self.profile
        domestic = country == profile.shipping.country
        origin_city, origin_country = profile.origin
        outbound = profile.domestic_hub if domestic else profile.export_hub
        carriers = []
        for code in CARRIERS_BY_COUNTRY[country]:
            service = SERVICES.get(code, DEFAULT_SERVICE)
            carriers.append(
                (
                    CARRIERS[code],
                    *TRACKING_FORMATS.get(code, ("{n:012d}", 12)),
                    *url_parts(CARRIERS[code]),
                    place_days(service, origin_country, country, postcode),
                    service.weekdays,
                    service.estimates,
                )
            )
        hubs = (
            (origin_city, "", origin_country),
            (outbound[0], "", outbound[1]),
            (ARRIVAL_HUBS[country], "", country),
            (city, postcode, country),
            ("", "", country),
        )
        self.place_count += 1
        return Place(
            city,
            postcode,
            country,
            time_zone,
            domestic,
            tuple(carriers),
            hubs,
            self.place_count,
            utc_offset(profile.brand["time_zone"], self.now),
            utc_offset(time_zone, self.now),
        )

    def event_templates(self) -> list[tuple]:
        """The store's tracking-event templates, for `apps.demo.events.templates_load`."""
        return event_templates(self.store_id, [place for places in self.places.values() for place in places])

    # Pass one: how many orders each customer placed and when.

    def _plan_orders(self) -> None:
        """Pass one: how many orders each customer placed and when, and each order's rank in time."""
        rnd, now = self.rnd, self.now
        rand = rnd.random
        segments = bytearray(self.customers)
        offsets = array("q", [0])
        times = array("q")
        showcase = min(len(SHOWCASE), self.customers)
        for index in range(self.customers):
            if index < showcase:
                segment = NEW
                days = [SHOWCASE[index][0] * HOUR / DAY]
            elif index < showcase + len(COVER_OLD):  # loyal buyers with old orders, see `build`
                segment = LOYAL
                days = order_days(segment, rand)
            else:
                segment = bisect(SEGMENT_SHARES, rand())
                days = order_days(segment, rand)
            segments[index] = segment
            times.extend(sorted(int(now - d * DAY) for d in days))
            offsets.append(len(times))
        self.segments, self.offsets, self.times = segments, offsets, times

        # Order numbers follow placed_at across the whole store; ids follow the customers.
        count = len(times)
        shift = max(count.bit_length(), 1)
        mask = (1 << shift) - 1
        keys = sorted((t << shift) | position for position, t in enumerate(times))
        ranks = array("q", bytes(8 * count))
        for rank, key in enumerate(keys):
            ranks[key & mask] = rank
        self.ranks = ranks
        self.order_count = count

    def _plan_chunks(self, next_ids: dict, chunk_customers: int) -> None:
        """Order ids follow the customers; each chunk gets id ranges wide enough for the most it can need."""
        offsets = self.offsets
        self.order_base = next_ids[Order]
        next_ids[Order] += self.order_count
        self.chunks = []
        for start in range(0, self.customers, chunk_customers):
            stop = min(start + chunk_customers, self.customers)
            orders = offsets[stop] - offsets[start]
            first_ids = {}
            for model, (per_customer, per_order) in CHUNK_BOUNDS.items():
                first_ids[model] = next_ids[model]
                next_ids[model] += per_customer * (stop - start) + per_order * orders
            self.chunks.append(Chunk(len(self.chunks), start, stop, first_ids, {m: next_ids[m] for m in first_ids}))
