from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import TenantModel, store_link


class ShipmentStatus(models.TextChoices):
    """The normalised statuses every carrier source maps into (DESIGN.md §5)."""

    PENDING = "pending", _("Pending")
    INFO_RECEIVED = "info_received", _("Label created")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    AVAILABLE_FOR_PICKUP = "available_for_pickup", _("Ready for pickup")
    ATTEMPT_FAILED = "attempt_failed", _("Delivery attempt failed")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")
    RETURNED = "returned", _("Returned to sender")
    EXPIRED = "expired", _("Tracking expired")
    UNKNOWN = "unknown", _("Unknown")


# Statuses that ask a person to look: the delivery watch and the "needs attention" filter use these.
ATTENTION_STATUSES = (ShipmentStatus.EXCEPTION, ShipmentStatus.ATTEMPT_FAILED, ShipmentStatus.RETURNED)


class Shipment(TenantModel):
    store = store_link(db_index=False)  # the (store, …) indexes below
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="shipments")
    external_id = models.CharField(max_length=100, blank=True)
    carrier = models.CharField(max_length=40, blank=True, help_text=_("Carrier code, e.g. ups, dhl, cdek."))
    carrier_name = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)

    status = models.CharField(max_length=24, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING)
    raw_status = models.CharField(max_length=100, blank=True, help_text=_("The source's own word for it."))
    status_source = models.CharField(max_length=20, blank=True)

    shipped_at = models.DateTimeField(null=True, blank=True)
    estimated_delivery = models.DateField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    # Where and until when a parcel waiting at a pickup point can be collected, when the carrier says.
    pickup_location = models.CharField(max_length=255, blank=True)
    pickup_deadline = models.DateField(null=True, blank=True)
    # Set by the delivery watch when the parcel looks stuck; cleared when it moves again.
    delay_flagged_at = models.DateTimeField(null=True, blank=True)
    is_history = models.BooleanField(default=False)  # imported as history: it starts no flow
    # Our own delivery day, from the store's past deliveries (apps/shipments/prediction.py): buyers see it only
    # when the carrier gives no estimate, labelled as ours. The confidence is the share of past parcels like
    # this one that arrived within a day of it; the basis names the fallback level it came from.
    predicted_delivery = models.DateField(null=True, blank=True)
    prediction_confidence = models.FloatField(null=True, blank=True)
    prediction_basis = models.CharField(max_length=16, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "carrier", "tracking_number"],
                condition=~models.Q(tracking_number=""),
                name="shipment_tracking_number_unique_per_store_carrier",
            ),
            models.UniqueConstraint(
                fields=["store", "external_id"],
                condition=~models.Q(external_id=""),
                name="shipment_external_id_unique_per_store",
            ),
            models.CheckConstraint(condition=models.Q(status__in=ShipmentStatus.values), name="shipment_status_valid"),
        ]
        indexes = [
            models.Index(fields=["store", "status"], name="shipment_store_status"),
            # The dashboard's shipments-by-status chart reads this index alone (status included).
            models.Index(fields=["store", "-created_at"], include=["status"], name="shipment_store_recent"),
            # "Needs attention" is a few hundred rows among millions: counted from this small index.
            models.Index(
                fields=["store"],
                include=["status", "delay_flagged_at"],
                condition=models.Q(status__in=ATTENTION_STATUSES) | models.Q(delay_flagged_at__isnull=False),
                name="shipment_needs_attention",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_number or f"Shipment {self.pk}"

    @property
    def needs_attention(self) -> bool:
        return self.status in ATTENTION_STATUSES


class TrackingEvent(TenantModel):
    """One carrier scan. `dedupe_key` is the source's event id, or a digest of time, status and place."""

    # (shipment, occurred_at) and (shipment, dedupe_key) below, and (store, occurred_at) for the store's
    # events of a period (the flow simulator's shipment updates) and a store's deletion
    store = store_link(db_index=False)
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events", db_index=False)
    occurred_at = models.DateTimeField()
    status = models.CharField(max_length=24, choices=ShipmentStatus.choices)
    raw_status = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=500, blank=True)
    city = models.CharField(max_length=120, blank=True)
    region = models.CharField(max_length=120, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    dedupe_key = models.CharField(max_length=64)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "dedupe_key"], name="tracking_event_once_per_shipment"),
            models.CheckConstraint(
                condition=models.Q(status__in=ShipmentStatus.values), name="tracking_event_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["shipment", "-occurred_at"], name="event_shipment_recent"),
            models.Index(fields=["store", "occurred_at"], name="event_store_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def place(self) -> str:
        return ", ".join(part for part in (self.city, self.region, self.country) if part)


class TransitLevel(models.TextChoices):
    """How specific a learned transit time is: the prediction falls back from the first to the last."""

    ROUTE = "route", _("Carrier and route to the destination region")
    COUNTRY = "country", _("Carrier and route to the destination country")
    CARRIER = "carrier", _("Carrier alone")


class TransitStatistic(TenantModel):
    """How many delivery days a carrier took on a route, learned from the store's own delivered parcels.

    Rewritten by the nightly relearning (apps/shipments/learning.py); `days` holds the whole distribution,
    so a parcel still travelling is predicted from the deliveries that took at least as long as it has.
    """

    carrier = models.CharField(max_length=40)
    level = models.CharField(max_length=16, choices=TransitLevel.choices)
    origin_country = models.CharField(max_length=2, blank=True)
    destination_country = models.CharField(max_length=2, blank=True)
    destination_region = models.CharField(max_length=10, blank=True)
    samples = models.PositiveIntegerField()
    days = models.JSONField(default=list, help_text=_("How many deliveries took 0, 1, 2, … delivery days."))
    typical_days = models.PositiveSmallIntegerField()
    within_a_day = models.FloatField(help_text=_("Share of deliveries within a day of the typical time."))
    delivery_weekdays = models.CharField(max_length=7, help_text=_("Days the carrier delivers on: 0 is Monday."))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "carrier", "level", "origin_country", "destination_country", "destination_region"],
                name="transit_statistic_once_per_route",
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=TransitLevel.values), name="transit_statistic_level_valid"
            ),
        ]

    def __str__(self) -> str:
        route = " → ".join(
            part for part in (self.origin_country, self.destination_country, self.destination_region) if part
        )
        return f"{self.carrier} {route}: {self.typical_days} d"


class TransitAccuracy(TenantModel):
    """How far the predictions were from the truth on the store's most recent deliveries, learned from the
    older ones only: one row per carrier, and one with an empty carrier for all of them."""

    carrier = models.CharField(max_length=40, blank=True)
    deliveries = models.PositiveIntegerField(help_text=_("Deliveries the current predictions learn from."))
    learned_from = models.PositiveIntegerField(help_text=_("Deliveries before the split, for the test."))
    tested = models.PositiveIntegerField(help_text=_("Deliveries shipped after the split."))
    predicted = models.PositiveIntegerField(help_text=_("Of those, how many had a prediction."))
    mean_error_days = models.FloatField(null=True, blank=True)
    within_a_day = models.FloatField(null=True, blank=True)
    carrier_estimates = models.PositiveIntegerField(default=0)
    carrier_error_days = models.FloatField(null=True, blank=True)
    held_out_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["carrier"]
        constraints = [
            models.UniqueConstraint(fields=["store", "carrier"], name="transit_accuracy_once_per_carrier"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier or 'all carriers'}: {self.mean_error_days} d"
