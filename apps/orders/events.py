"""Domain events the orders app announces after commit; the email engine listens.

Each is sent with keyword arguments of ids only, so a receiver reads fresh rows itself.
"""

from django.dispatch import Signal

order_placed = Signal()  # order_id
order_cancelled = Signal()  # order_id
cart_updated = Signal()  # cart_id
cart_converted = Signal()  # cart_id, order_id
orders_changed_in_bulk = Signal()  # order_ids: rows written by queryset updates (no model signals)
