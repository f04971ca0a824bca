"""Which delivery day a buyer sees: the carrier's estimate, else ours (apps/shipments/prediction.py), labelled
as ours. One definition for the tracking page and the emails."""

from datetime import date

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.core import formats


def our_estimate(shipment, today: date) -> date | None:
    """Our predicted day when the carrier gives none and it is not past: a day gone by is no estimate (the
    nightly relearning moves a travelling parcel's prediction on)."""
    predicted = getattr(shipment, "predicted_delivery", None)
    if shipment.estimated_delivery or predicted is None:
        return None
    return predicted if predicted >= today else None


def delivery_estimate_text(shipment, *, language: str, store) -> str:
    """The delivery day for an email, in its language: the carrier's, or ours with a note saying so."""
    if shipment.estimated_delivery:
        return formats.delivery_day(shipment.estimated_delivery, language)
    ours = our_estimate(shipment, timezone.localdate(timezone.now(), store.tz))
    if ours is None:
        return ""
    with translation.override(language):
        return _("%(day)s (estimated by %(store)s from past deliveries)") % {
            "day": formats.delivery_day(ours, language),
            "store": store.name,
        }
