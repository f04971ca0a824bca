"""Customers: who each buyer is (name, email, home, phone), how they behave (RFM-like segments that decide
when they ordered), their consent history, and the customer row with aggregates over their orders.

`orders_count`, `total_spent`, `first_order_at` and `last_order_at` count every order that is not
cancelled, as `apps.orders.selectors.order_stats_for_customer` does.
"""

import random
from array import array
from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apps.customers.models import ConsentEvent, ConsentSource, SuppressionReason
from apps.demo.people import EMAIL_DOMAINS, PHONE_FORMATS
from apps.demo.profiles import HISTORY_DAYS
from apps.demo.rows import Rows, fromtimestamp, money
from apps.demo.shipments import Place

# Customer behaviours: cumulative share, then how orders spread (days ago).
CHAMPION, LOYAL, REGULAR, NEW, AT_RISK, HIBERNATING, LOST = range(7)
SEGMENT_SHARES = [0.08, 0.22, 0.40, 0.55, 0.67, 0.82, 1.0]


def order_days(segment: int, rand) -> list[float]:
    """How many days ago a customer of this behaviour placed each of their orders."""
    if segment == CHAMPION:
        count, last, first = 10 + int(rand() * 18), rand() * 25, 200 + rand() * 348
    elif segment == LOYAL:
        count, last, first = 5 + int(rand() * 8), 3 + rand() * 72, 150 + rand() * 398
    elif segment == REGULAR:
        count, last = 3 + int(rand() * 4), 7 + rand() * 113
        first = min(last + 30 + rand() * 220, HISTORY_DAYS)
    elif segment == NEW:
        return [rand() * 30]
    elif segment == AT_RISK:
        count, last, first = 5 + int(rand() * 6), 120 + rand() * 150, 330 + rand() * 218
    elif segment == HIBERNATING:
        count, last = 1 + int(rand() * 3), 200 + rand() * 200
        first = min(last + 20 + rand() * 100, HISTORY_DAYS)
    else:  # LOST: one order, or two close together, long ago
        first = 400 + rand() * (HISTORY_DAYS - 400)
        return [first] if rand() < 0.5 else [first, first - 10 - rand() * 40]
    if count == 1:
        return [last]
    span = first - last
    return [first, last, *(last + rand() * span for _ in range(count - 2))]


@dataclass(slots=True)
class Buyer:
    """One customer while the builder makes their rows: who they are, then what their orders added up to."""

    index: int  # position in the store, from 0
    customer_id: int
    locale: str
    first_name: str
    last_name: str
    email: str
    phone: str
    place: Place
    favourite: tuple  # the product they come back for
    showcase: bool = False  # one of the first customers, whose order shows a chosen shipment status
    orders_count: int = 0
    spent: int = 0  # minor units
    first_at: datetime | None = None
    last_at: datetime | None = None
    kept_orders: list = field(default_factory=list)  # (order id, placed at) of the orders not cancelled
    consent: bool = False
    consent_source: str = ""
    consent_at: datetime | None = None
    suppressed_at: datetime | None = None
    suppression_reason: str = ""


class CustomerRows:
    """The customer steps of `StoreBuilder`: who the buyer is, their consent history, their row."""

    rnd: random.Random
    now: float
    ids: dict
    store_id: int
    locales: list[str]
    locale_shares: list[float]
    pools: dict
    places: dict
    products: list[tuple]
    product_weights: list[float]
    times: array
    offsets: array

    def _buyer(self, index: int, customer_id: int) -> Buyer:
        rnd = self.rnd
        rand, choice = rnd.random, rnd.choice
        locale = self.locales[bisect(self.locale_shares, rand())]
        pool = self.pools[locale]
        if rand() < 0.5:
            first, first_ascii = choice(pool["men"])
            last, last_ascii = choice(pool["men_last"])
        else:
            first, first_ascii = choice(pool["women"])
            last, last_ascii = choice(pool["women_last"])
        number = index + 1
        style = number % 5
        if style == 0:
            local = f"{first_ascii}.{last_ascii}{number}"
        elif style == 1:
            local = f"{first_ascii}{last_ascii}{number}"
        elif style == 2:
            local = f"{first_ascii[0]}{last_ascii}{number}"
        elif style == 3:
            local = f"{last_ascii}.{first_ascii}{number}"
        else:
            local = f"{first_ascii}_{last_ascii}{number}"
        place = choice(self.places[locale])
        if rand() < 0.55:
            pattern, a, b, c = PHONE_FORMATS[place.country]
            phone = pattern.format(a=int(rand() * a), b=int(rand() * b), c=int(rand() * c))
        else:
            phone = ""
        favourite = rnd.choices(self.products, cum_weights=self.product_weights)[0]
        email = f"{local}@{EMAIL_DOMAINS[number % 3]}"
        return Buyer(index, customer_id, locale, first, last, email, phone, place, favourite)

    def _add_consent(self, rows: Rows, buyer: Buyer) -> None:
        """Marketing consent and suppression, with their history: most said yes, some left or bounced."""
        rand, now, utc = self.rnd.random, self.now, UTC
        first_ts = self.times[self.offsets[buyer.index]]
        events = ()
        r = rand()
        if r < 0.6:
            s = rand()
            source = (
                ConsentSource.CHECKOUT
                if s < 0.7
                else ConsentSource.NEWSLETTER
                if s < 0.85
                else ConsentSource.TRACKING_PAGE
                if s < 0.95
                else ConsentSource.PREFERENCE_CENTRE
            )
            later = 0 if source == ConsentSource.CHECKOUT else rand() * (now - first_ts)
            consent_at = fromtimestamp(first_ts + 5 + later, utc)
            buyer.consent, buyer.consent_source, buyer.consent_at = True, source, consent_at
            events = ((True, source, consent_at, ""),)
        elif r < 0.675:
            granted_at = fromtimestamp(first_ts + 5, utc)
            consent_at = fromtimestamp(first_ts + 60 + rand() * (now - first_ts - 60), utc)
            if r < 0.66:  # said yes at checkout, unsubscribed later
                source = ConsentSource.UNSUBSCRIBE
                note = "Unsubscribe link in a campaign email"
            else:  # the address bounced or complained
                buyer.suppressed_at = consent_at
                reason = SuppressionReason.BOUNCE if rand() < 0.65 else SuppressionReason.COMPLAINT
                buyer.suppression_reason = reason
                source = ConsentSource.ESP
                note = f"Suppressed after a {reason.label.lower()}"
            buyer.consent_source, buyer.consent_at = source, consent_at
            events = ((True, ConsentSource.CHECKOUT, granted_at, ""), (False, source, consent_at, note))
        ids, store_id, customer_id, add_consent = self.ids, self.store_id, buyer.customer_id, rows.consent_events.append
        for granted, event_source, occurred_at, note in events:
            consent_id = ids[ConsentEvent]
            ids[ConsentEvent] = consent_id + 1
            add_consent(
                (consent_id, store_id, customer_id, granted, event_source, occurred_at, note, occurred_at, occurred_at)
            )

    def _add_customer(self, rows: Rows, buyer: Buyer) -> None:
        first_ts = self.times[self.offsets[buyer.index]]
        created_at = fromtimestamp(first_ts - 60 - self.rnd.random() * 600, UTC)
        modified_at = max(filter(None, (buyer.last_at, buyer.consent_at, created_at)))
        customer_id, place = buyer.customer_id, buyer.place
        rows.customers.append(
            (
                customer_id,
                self.store_id,
                str(6_800_000_000_000 + customer_id),
                buyer.email,
                buyer.first_name,
                buyer.last_name,
                buyer.phone,
                buyer.locale,
                place.time_zone,
                buyer.consent,
                buyer.consent_source,
                buyer.consent_at,
                buyer.suppressed_at,
                buyer.suppression_reason,
                buyer.orders_count,
                money(buyer.spent),
                buyer.first_at,
                buyer.last_at,
                created_at,
                modified_at,
            )
        )
