from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import TenantModel


class Source(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    AFTERSHIP = "aftership", "AfterShip"
    EASYPOST = "easypost", "EasyPost"
    SEVENTEENTRACK = "17track", "17TRACK"
    API = "api", "API"
    CSV = "csv", "CSV"
    FEED = "feed", _("Product feed")


class Connection(TenantModel):
    """A store's link to one source: the secret that signs its webhooks, and the one before it.

    During a rotation both secrets are accepted until `previous_secret_expires_at`.
    """

    source = models.CharField(max_length=20, choices=Source.choices)
    secret = models.CharField(max_length=255, help_text=_("Webhook signing secret or API key, as the source names it."))
    previous_secret = models.CharField(max_length=255, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "source"], name="connection_one_per_store_source")]

    def __str__(self) -> str:
        return f"{self.store} · {self.get_source_display()}"


class Outcome(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored (topic not used)")
    REJECTED = "rejected", _("Rejected (signature)")
    FAILED = "failed", _("Failed")


class InboundEvent(TenantModel):
    """One inbound delivery, kept raw so a person can see it and replay it.

    `delivery_id` is the source's id for the delivery (or a digest of the body); a replayed delivery
    finds the same row and only counts up `deliveries`. Rejected deliveries keep no delivery id, so a
    forged request cannot occupy the id of a real one.
    """

    source = models.CharField(max_length=20, choices=Source.choices)
    topic = models.CharField(max_length=80, blank=True)
    delivery_id = models.CharField(max_length=128, blank=True)
    object_id = models.CharField(max_length=128, blank=True, help_text=_("The order, cart or shipment it is about."))
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    received_at = models.DateTimeField()
    last_received_at = models.DateTimeField()
    deliveries = models.PositiveIntegerField(default=1)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.RECEIVED)
    http_status = models.PositiveSmallIntegerField(default=200)
    summary = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    replays = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "source", "delivery_id"],
                condition=~models.Q(delivery_id=""),
                name="inbound_event_once_per_delivery",
            ),
            models.CheckConstraint(condition=models.Q(outcome__in=Outcome.values), name="inbound_event_outcome_valid"),
        ]
        indexes = [
            models.Index(fields=["store", "-received_at"], name="inbound_store_recent"),
            models.Index(
                fields=["store", "outcome", "-received_at"],
                name="inbound_store_failures",
                condition=models.Q(outcome__in=["failed", "rejected"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.topic} {self.delivery_id}"


class ImportKind(models.TextChoices):
    ORDERS = "orders", _("Orders with tracking numbers")
    CUSTOMERS = "customers", _("Customers with consent")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for column mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(TenantModel):
    """A CSV file a person uploaded, its column mapping and how far the import has come."""

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    columns = models.JSONField(default=list, blank=True, help_text=_("The header row of the file."))
    mapping = models.JSONField(default=dict, blank=True, help_text=_("Our field name to the file's column."))
    as_history = models.BooleanField(
        default=True, help_text=_("Past orders: they count in figures, RFM and recommendations, and send no email.")
    )
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text=_("[row, field, message] for the report."))
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=ImportStatus.values), name="import_job_status_valid")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


class ProductFeed(TenantModel):
    """A product catalogue (YML or Google Merchant) fetched from a URL on a schedule."""

    url = models.URLField(max_length=1000)
    refresh_hours = models.PositiveSmallIntegerField(default=24)
    enabled = models.BooleanField(default=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True)
    last_error = models.TextField(blank=True)
    products_seen = models.PositiveIntegerField(default=0)
    products_created = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["url"]
        constraints = [models.UniqueConstraint(fields=["store", "url"], name="product_feed_url_unique_per_store")]

    def __str__(self) -> str:
        return self.url
