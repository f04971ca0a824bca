"""Carts: the checkouts that became an order, the carts buyers left days before they came back and bought,
and the carts waiting today, spread over every age the abandoned-cart flow cares about."""

import random
from bisect import bisect
from datetime import UTC

from apps.demo.people import EMAIL_DOMAINS
from apps.demo.profiles import DAY, HOUR
from apps.demo.rows import Rows, fromtimestamp, money
from apps.orders.models import Cart, CartLine

CART_AGES = [
    (0.04, 5 * 60, 15 * 60),  # ~10 minutes
    (0.10, 1 * HOUR, 3 * HOUR),  # ~2 hours
    (0.18, 12 * HOUR, 23 * HOUR),  # ~20 hours
    (0.27, 25 * HOUR, 36 * HOUR),  # ~30 hours
    (0.38, 60 * HOUR, 84 * HOUR),  # ~3 days
    (0.48, 4 * DAY, 6 * DAY),  # ~5 days
    (0.63, 10 * DAY, 17 * DAY),  # ~2 weeks
    (1.00, 20 * DAY, 150 * DAY),  # long gone
]
CART_AGE_SHARES = [share for share, _, _ in CART_AGES]


class CartRows:
    """The cart step of `StoreBuilder`."""

    rnd: random.Random
    now: float
    ids: dict
    store_id: int
    currency: str
    site: str
    cart_products: list[tuple]

    def _add_carts(self, rows: Rows, buyer) -> None:
        """About a third of customers have a cart waiting today; some orders had a cart before them."""
        rand = self.rnd.random
        customer_id, email = buyer.customer_id, buyer.email
        for order_id, placed_ts in buyer.kept_orders:
            r = rand()
            if r < 0.12:  # the checkout that became this order
                self._add_cart(
                    rows,
                    customer_id,
                    email,
                    updated_ts=placed_ts - 120 - rand() * 2400,
                    converted=(order_id, placed_ts),
                )
            elif r < 0.37:  # left days before, bought later
                self._add_cart(rows, customer_id, email, updated_ts=placed_ts - DAY - rand() * 19 * DAY)
        if buyer.showcase:
            self._add_cart(rows, customer_id, email, updated_ts=self._cart_idle_since(buyer.index))
        elif rand() < 0.31:
            self._add_cart(rows, customer_id, email, updated_ts=self._cart_idle_since())
        if rand() < 0.03:
            guest = f"guest.{self.ids[Cart]}@{EMAIL_DOMAINS[buyer.index % 3]}"
            self._add_cart(rows, None, guest, updated_ts=self._cart_idle_since())

    def _cart_idle_since(self, age: int | None = None) -> float:
        """When an open cart was last touched: `age` picks its place in CART_AGES, or chance does."""
        rand = self.rnd.random
        if age is None:
            age = bisect(CART_AGE_SHARES, rand())
        _, low, high = CART_AGES[min(age, len(CART_AGES) - 1)]
        return self.now - low - rand() * (high - low)

    def _add_cart(
        self,
        rows: Rows,
        customer_id: int | None,
        email: str,
        *,
        updated_ts: float,
        converted: tuple[int, float] | None = None,
    ) -> None:
        """A cart last touched at `updated_ts`, abandoned or `converted` into (order id, placed at)."""
        rnd = self.rnd
        rand = rnd.random
        utc = UTC
        next_ids = self.ids
        cart_id = next_ids[Cart]
        next_ids[Cart] = cart_id + 1
        converted_order = converted_at = None
        if converted is not None:
            converted_order, placed_ts = converted
            converted_at = fromtimestamp(placed_ts, utc)
        updated_at = fromtimestamp(updated_ts, utc)
        created_at = fromtimestamp(updated_ts - 60 - rand() * 3600, utc)
        token = f"{cart_id:08x}{rnd.getrandbits(96):024x}"
        subtotal = 0
        store_id = self.store_id
        r = rand()
        count = 1 if r < 0.5 else 2 if r < 0.85 else 3
        line_id = next_ids[CartLine]
        next_ids[CartLine] = line_id + count
        for offset, product in enumerate(rnd.sample(self.cart_products, count)):
            quantity = 1 if rand() < 0.85 else 2
            subtotal += product[3] * quantity
            variants = product[5]
            rows.cart_lines.append(
                (
                    line_id + offset,
                    store_id,
                    cart_id,
                    product[0],
                    product[1],
                    variants[int(rand() * len(variants))] if variants else "",
                    quantity,
                    money(product[3]),
                    product[4],
                    created_at,
                    updated_at,
                )
            )
        rows.carts.append(
            (
                cart_id,
                store_id,
                token,
                customer_id,
                email,
                self.currency,
                money(subtotal),
                f"{self.site}/checkouts/{token}/recover?key={rnd.getrandbits(64):016x}",
                updated_at,
                converted_order,
                converted_at,
                created_at,
                converted_at or updated_at,
            )
        )
