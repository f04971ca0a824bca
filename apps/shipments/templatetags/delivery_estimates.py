"""Our predicted delivery day on buyer pages (apps/shipments/estimates.py says when it shows)."""

from django import template
from django.utils import timezone

from ..estimates import our_estimate as _our_estimate

register = template.Library()


@register.filter
def our_estimate(shipment):
    """The day we predict for a parcel the carrier gives no estimate for, or None; in the active zone (the
    buyer's, on the tracking page)."""
    return _our_estimate(shipment, timezone.localdate())
