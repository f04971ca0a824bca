"""Domain events the integrations app acts on."""


def register_new_shipment(sender, shipment_id: int, **kwargs) -> None:
    """A new shipment's tracking number goes to the store's tracking service (or waits for one)."""
    from .services.tracking_registrations import registration_create

    registration_create(shipment_id=shipment_id)
