"""Domain events the shipments app announces after commit (ids only)."""

from django.dispatch import Signal

shipment_created = Signal()  # shipment_id
shipment_status_changed = Signal()  # shipment_id, previous, status
