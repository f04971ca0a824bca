from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

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


class ConnectionState(models.TextChoices):
    PENDING = "pending", _("Connecting")
    CONNECTED = "connected", _("Connected")
    FAILING = "failing", _("Failing")
    DISCONNECTED = "disconnected", _("Disconnected")


class Connection(TenantModel):
    """A store's link to one source: the credentials we call it with and the secret that signs its webhooks.

    Every secret is encrypted at rest (FIELD_ENCRYPTION_KEYS, see README "Secrets") and never shown again
    once saved. During a rotation both webhook secrets are accepted until `previous_secret_expires_at`.
    """

    source = models.CharField(max_length=20, choices=Source.choices)
    secret = EncryptedCharField(
        max_length=255, null=True, blank=True, help_text=_("Webhook signing secret, as the source names it.")
    )
    previous_secret = EncryptedCharField(max_length=255, null=True, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)

    # Calling out: where, and with what. `address` is the shop domain (Shopify) or site URL (WooCommerce).
    address = models.CharField(max_length=255, blank=True)
    api_key = EncryptedCharField(
        max_length=255, null=True, blank=True, help_text=_("WooCommerce consumer key; unused elsewhere.")
    )
    api_token = EncryptedCharField(
        max_length=500,
        null=True,
        blank=True,
        help_text=_("Shopify access token, WooCommerce consumer secret, or the carrier service's API key."),
    )
    scopes = models.CharField(max_length=500, blank=True)

    # What we know of it
    state = models.CharField(max_length=14, choices=ConnectionState.choices, default=ConnectionState.PENDING)
    shop_name = models.CharField(max_length=255, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    webhooks = models.JSONField(default=list, blank=True, help_text=_("[{topic, id}] we registered at the source."))
    # The circuit: after repeated failures, calls stop until `circuit_open_until` (apps/integrations/calls.py).
    failures_in_row = models.PositiveIntegerField(default=0)
    circuit_open_until = models.DateTimeField(null=True, blank=True)
    # "Send a test event": when it last went through our endpoint, and what the endpoint answered.
    test_event_at = models.DateTimeField(null=True, blank=True)
    test_event_result = models.CharField(max_length=500, blank=True)
    test_event_ok = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "source"], name="connection_one_per_store_source"),
            models.CheckConstraint(condition=models.Q(state__in=ConnectionState.values), name="connection_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.store} · {self.get_source_display()}"


class OutboundCall(TenantModel):
    """One call Afterglow made to a shop or carrier: what, how it went, how long it took. Never a secret."""

    connection = models.ForeignKey(Connection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    operation = models.CharField(max_length=80, help_text=_("What the call was for, e.g. webhooks.register."))
    method = models.CharField(max_length=8)
    url = models.CharField(max_length=500, help_text=_("Host and path only: no query string, no credentials."))
    attempt = models.PositiveSmallIntegerField(default=1)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "-created_at"], name="outbound_store_recent"),
            models.Index(fields=["store", "-created_at"], name="outbound_store_failures", condition=models.Q(ok=False)),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.url} {self.status_code}"


class SyncStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    WAITING = "waiting", _("Waiting for the shop's rate limit")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class HistorySync(TenantModel):
    """Importing a connected shop's history (products, customers, orders), page by page.

    Each page and the cursor after it commit together, so a killed worker resumes at the page it had not
    finished, and re-applying a page changes nothing. History never sends email (see flows' present rule).
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="syncs")
    since = models.DateTimeField(help_text=_("Import what was created after this moment."))
    status = models.CharField(max_length=10, choices=SyncStatus.choices, default=SyncStatus.QUEUED)
    stage = models.CharField(max_length=20, blank=True, help_text=_("products, customers or orders"))
    cursor = models.CharField(max_length=1000, blank=True, help_text=_("Where the current stage resumes."))
    counts = models.JSONField(default=dict, blank=True, help_text=_("{stage: {done, total}}"))
    pages = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    resume_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    STAGES = ("products", "customers", "orders")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=SyncStatus.values), name="history_sync_status_valid"),
            models.UniqueConstraint(
                fields=["connection"],
                condition=models.Q(status__in=["queued", "running", "waiting"]),
                name="history_sync_one_open_per_connection",
            ),
        ]

    def __str__(self) -> str:
        return f"History of {self.connection} since {self.since:%Y-%m-%d}"

    @property
    def is_finished(self) -> bool:
        return self.status in (SyncStatus.DONE, SyncStatus.FAILED)

    @property
    def done(self) -> int:
        return sum(int(c.get("done", 0)) for c in self.counts.values())

    @property
    def total(self) -> int:
        return sum(int(c.get("total") or c.get("done", 0)) for c in self.counts.values())

    @property
    def percent(self) -> int:
        """Stages count a third each; within a stage, pages done of the total the shop reported."""
        if self.status == SyncStatus.DONE:
            return 100
        stages = self.STAGES
        if self.stage not in stages:
            return 0
        index = stages.index(self.stage)
        current = self.counts.get(self.stage, {})
        total = int(current.get("total") or 0)
        within = min(int(current.get("done", 0)) / total, 1.0) if total else 0.0
        return int(100 * (index + within) / len(stages))


class RegistrationState(models.TextChoices):
    PENDING = "pending", _("Waiting to register")
    REGISTERED = "registered", _("Registered")
    FAILED = "failed", _("Failed")
    NO_CONNECTION = "no_connection", _("No tracking connection")


class TrackingRegistration(TenantModel):
    """A shipment's tracking number registered with the store's tracking service, so its webhooks come.

    Registered once per shipment; "already exists" at the service counts as registered."""

    shipment = models.OneToOneField("shipments.Shipment", on_delete=models.CASCADE, related_name="registration")
    source = models.CharField(max_length=20, choices=Source.choices, blank=True)
    state = models.CharField(max_length=14, choices=RegistrationState.choices, default=RegistrationState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=100, blank=True, help_text=_("The service's id for the tracking."))
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=RegistrationState.values), name="tracking_registration_state_valid"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="tracking_registration_due", condition=models.Q(state="pending")
            )
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} · {self.state}"


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
            # The connections page: each source's newest delivery.
            models.Index(fields=["store", "source", "-received_at"], name="inbound_store_source_recent"),
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
