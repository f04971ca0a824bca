"""Orders: each customer's orders with their lines, discounts, shipping and what happened next (shipped
and how far the parcel got, waiting, or cancelled).

Order numbers rise with `placed_at` across the store (the builder ranks every order up front). The first
customers of a store show every shipment status and cart age however small the store (`SHOWCASE`,
`COVER_OLD`).
"""

import random
from array import array
from datetime import UTC

from apps.demo.customers import NEW, Buyer
from apps.demo.profiles import DAY, HOUR, Profile
from apps.demo.rows import Rows, fromtimestamp, money
from apps.demo.shipments import S, shipment_status
from apps.orders.models import OrderLine, OrderSource, OrderStatus, new_tracking_token

# Recent orders with a known shipment state, so every status shows even in a small demo.
SHOWCASE = (
    (3, S.PENDING),
    (9, S.INFO_RECEIVED),
    (26, S.IN_TRANSIT),
    (41, S.IN_TRANSIT),
    (58, S.OUT_FOR_DELIVERY),
    (80, S.ATTEMPT_FAILED),
    (110, S.AVAILABLE_FOR_PICKUP),
    (150, S.EXCEPTION),
)
# Statuses the next customers' first old shipments get, for the same reason.
COVER_OLD = (S.RETURNED, S.EXPIRED, S.UNKNOWN, S.EXCEPTION, S.AVAILABLE_FOR_PICKUP, S.ATTEMPT_FAILED)


class OrderRows:
    """The order step of `StoreBuilder`: a customer's orders, their lines, and their parcels."""

    rnd: random.Random
    now: float
    ids: dict
    store_id: int
    currency: str
    site: str
    profile: Profile
    products: list[tuple]
    product_weights: list[float]
    segments: bytearray
    offsets: array
    times: array
    ranks: array
    order_base: int

    def _add_orders(self, rows: Rows, buyer: Buyer) -> None:  # one flat loop over orders and lines, for speed
        rnd, now, utc = self.rnd, self.now, UTC
        rand, choice, choices = rnd.random, rnd.choice, rnd.choices
        store_id, currency, site = self.store_id, self.currency, self.site
        profile = self.profile
        shipping = profile.shipping
        products, weights = self.products, self.product_weights
        offsets, times, ranks = self.offsets, self.times, self.ranks
        order_base, token, zero = self.order_base, new_tracking_token, money(0)
        cancelled, fulfilled = OrderStatus.CANCELLED, OrderStatus.FULFILLED
        add_order, add_line = rows.orders.append, rows.order_lines.append
        index, customer_id, email, locale = buyer.index, buyer.customer_id, buyer.email, buyer.locale
        full_name, place, favourite = f"{buyer.first_name} {buyer.last_name}", buyer.place, buyer.favourite
        city, postcode, country, domestic = place.city, place.postcode, place.country, place.domestic
        line_id = self.ids[OrderLine]

        showcase = index < len(SHOWCASE) and self.segments[index] == NEW and offsets[index + 1] - offsets[index] == 1
        buyer.showcase = showcase
        cover = index - len(SHOWCASE)
        cover = COVER_OLD[cover] if 0 <= cover < len(COVER_OLD) else None
        for position in range(offsets[index], offsets[index + 1]):
            placed_ts = times[position]
            order_id = order_base + position
            placed_at = fromtimestamp(placed_ts, utc)
            age = now - placed_ts

            r = rand()
            count = 1 if r < 0.45 else 2 if r < 0.75 else 3 if r < 0.9 else 4
            picked = choices(products, cum_weights=weights, k=count)
            if rand() < 0.5:
                picked[0] = favourite
            subtotal = 0
            taken = set()
            for product in picked:
                if product[0] in taken:
                    continue
                taken.add(product[0])
                q = rand()
                quantity = 1 if q < 0.8 else 2 if q < 0.95 else 3
                subtotal += product[3] * quantity
                variants = product[5]
                add_line(
                    (
                        line_id,
                        store_id,
                        order_id,
                        product[0],
                        str(14_000_000_000_000 + line_id),
                        product[1],
                        variants[int(rand() * len(variants))] if variants else "",
                        product[2],
                        quantity,
                        money(product[3]),
                        product[4],
                        placed_at,
                        placed_at,
                    )
                )
                line_id += 1
            discount, codes = 0, []
            if rand() < 0.12:
                code, percent = choice(profile.discount_codes)
                discount, codes = subtotal * percent // 100, [code]
            net = subtotal - discount
            if domestic:
                shipping_fee = 0 if net >= shipping.domestic_free_from else shipping.domestic_fee
            else:
                shipping_fee = 0 if net >= shipping.abroad_free_from else shipping.abroad_fee
            total = net + shipping_fee

            # What happened next: shipped (and how far it got), waiting, or cancelled.
            parcel = cancelled_at = None
            r = rand()
            if showcase:
                parcel, status = SHOWCASE[index][1], fulfilled
            elif r < 0.02:
                status = cancelled
                cancelled_at = fromtimestamp(placed_ts + HOUR + rand() * 20 * HOUR, utc)
            elif age < DAY and r < 0.45:
                status = OrderStatus.PENDING if r < 0.03 else OrderStatus.PAID
            else:
                parcel, status = shipment_status(age, rand), fulfilled
                if cover is not None and age > 20 * DAY:
                    parcel, cover = cover, None

            modified_at = placed_at
            if parcel is not None:
                # The parcel may still be on its way where its age alone said delivered (see `_add_shipment`).
                modified_at, parcel = self._add_shipment(rows, order_id, placed_ts, parcel, place)
                if not showcase:
                    if parcel is S.RETURNED or (parcel is S.DELIVERED and rand() < 0.01):
                        status = OrderStatus.REFUNDED
                    elif len(taken) > 1 and rand() < 0.01:
                        status = OrderStatus.PARTIALLY_FULFILLED
            elif cancelled_at is not None:
                modified_at = cancelled_at

            external_id = str(5_500_000_000_000 + order_id)
            add_order(
                (
                    order_id,
                    store_id,
                    external_id,
                    f"#{10001 + ranks[position]}",
                    customer_id,
                    email,
                    locale,
                    OrderSource.DEMO,
                    status,
                    placed_at,
                    cancelled_at,
                    currency,
                    money(subtotal),
                    money(discount),
                    money(shipping_fee),
                    zero,
                    money(total),
                    codes,
                    f"{site}/account/orders/{external_id}",
                    token(),
                    full_name,
                    city,
                    postcode,
                    country,
                    placed_at,
                    modified_at,
                )
            )
            if status != cancelled:
                buyer.orders_count += 1
                buyer.spent += total
                if buyer.first_at is None:
                    buyer.first_at = placed_at
                buyer.last_at = placed_at
                buyer.kept_orders.append((order_id, placed_ts))
        self.ids[OrderLine] = line_id
