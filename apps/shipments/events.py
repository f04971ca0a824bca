"""Domain events the shipments app announces after commit (ids only)."""

from django.dispatch import Signal

shipment_created = Signal()  # shipment_id
shipment_status_changed = Signal()  # shipment_id, previous, status
events_added = Signal()  # shipment_id, order_id: carrier events written in bulk (no model signals)
