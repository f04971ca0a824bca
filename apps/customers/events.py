"""Domain events the customers app announces after commit (ids only)."""

from django.dispatch import Signal

customer_changed_in_bulk = Signal()  # customer_id: a row written by a queryset update (no model signals)
