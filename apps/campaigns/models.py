from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import TenantModel, TimeStampedModel, store_link


class FlowKind(models.TextChoices):
    ORDER_CONFIRMATION = "order_confirmation", _("Order confirmation")
    SHIPMENT_CONFIRMATION = "shipment_confirmation", _("Shipment confirmation")
    SHIPMENT_UPDATE = "shipment_update", _("Shipment updates")
    DELIVERED_FOLLOWUP = "delivered_followup", _("Delivered follow-up")
    NPS_SURVEY = "nps_survey", _("Review / NPS request")
    ABANDONED_CART = "abandoned_cart", _("Abandoned cart")
    REPLENISHMENT = "replenishment", _("Replenishment reminder")
    WIN_BACK = "win_back", _("Win-back")
    DELIVERY_APOLOGY = "delivery_apology", _("Delivery delay apology")


# Transactional mail goes out whatever the marketing consent (never to suppressed addresses).
TRANSACTIONAL_KINDS = frozenset(
    {FlowKind.ORDER_CONFIRMATION, FlowKind.SHIPMENT_CONFIRMATION, FlowKind.SHIPMENT_UPDATE, FlowKind.DELIVERY_APOLOGY}
)


class Flow(TenantModel):
    kind = models.CharField(max_length=24, choices=FlowKind.choices)
    name = models.CharField(max_length=120)
    enabled = models.BooleanField(default=False)
    # Events from this moment on start the flow; anything that happened before is history and sends
    # nothing. Set when the flow is switched on ("from now on", or a few days back if the merchant asks).
    live_since = models.DateTimeField(null=True, blank=True)
    # Lower runs first when the frequency cap has room for only one marketing message.
    priority = models.PositiveSmallIntegerField(default=50)
    holdout_percent = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_("This share of buyers gets none of the flow's emails, to measure what the flow adds."),
    )

    class Meta:
        ordering = ["priority", "kind"]
        constraints = [models.UniqueConstraint(fields=["store", "kind"], name="flow_one_per_kind_per_store")]

    @property
    def title(self) -> str:
        """The flow's name for the person reading: a default name is its kind's label in their language
        (names are stored in English when the store is created); a name the merchant chose stays theirs."""
        from django.utils import translation

        label = FlowKind(self.kind).label if self.kind in FlowKind.values else None
        if label is None:
            return self.name
        with translation.override("en"):
            english = str(label)
        return str(label) if self.name == english else self.name

    def __str__(self) -> str:
        return self.name

    @property
    def is_transactional(self) -> bool:
        return self.kind in TRANSACTIONAL_KINDS


class IncentiveKind(models.TextChoices):
    NONE = "", _("No incentive")
    PERCENT = "percent", _("Percentage off")
    FIXED = "fixed", _("Fixed amount off")
    FREE_SHIPPING = "free_shipping", _("Free shipping")


class StepEditor(models.TextChoices):
    BLOCKS = "blocks", _("Blocks")
    HTML = "html", _("HTML (advanced)")


class FlowStep(TimeStampedModel):
    """One email of a flow: when it goes (delay after the trigger), to whom (conditions), what it says."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(max_length=40, help_text=_("Stable name of the step, e.g. reminder-1h."))
    position = models.PositiveSmallIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    delay_minutes = models.PositiveIntegerField(default=0)
    send_window_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("How long after its moment this email is still worth sending; later it is skipped as too late."),
    )
    trigger_status = models.CharField(max_length=24, blank=True, help_text=_("Shipment updates: the status."))
    conditions = models.JSONField(default=dict, blank=True)
    # Per-language content; a missing language falls back to the store default, then English.
    subject = models.JSONField(default=dict)
    preheader = models.JSONField(default=dict, blank=True)
    body = models.JSONField(default=dict)
    # How the email is written: blocks (design, per language a list of blocks: campaigns.design) or, for
    # those who want it, HTML with template code (body).
    editor = models.CharField(max_length=8, choices=StepEditor.choices, default=StepEditor.BLOCKS)
    design = models.JSONField(default=dict, blank=True)
    incentive_kind = models.CharField(max_length=16, choices=IncentiveKind.choices, blank=True)
    incentive_value = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    incentive_valid_days = models.PositiveSmallIntegerField(default=7)
    incentive_monthly_budget = models.PositiveIntegerField(
        default=0, help_text=_("Most coupons this step hands out per calendar month; 0 is no limit.")
    )
    incentive_pool = models.ForeignKey(
        "campaigns.CouponPool", on_delete=models.SET_NULL, null=True, blank=True, related_name="steps"
    )

    class Meta:
        ordering = ["flow", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["flow", "key"], name="flow_step_key_unique")]

    def __str__(self) -> str:
        return f"{self.flow} · {self.key}"


class Variant(TimeStampedModel):
    """An A/B variant of a step's subject (and optionally delay or offer)."""

    step = models.ForeignKey(FlowStep, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(max_length=2, default="A")
    subject = models.JSONField(default=dict)
    weight = models.PositiveSmallIntegerField(default=50)
    is_winner = models.BooleanField(default=False)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["step", "label"]
        constraints = [models.UniqueConstraint(fields=["step", "label"], name="variant_label_unique_per_step")]

    def __str__(self) -> str:
        return f"{self.step} · {self.label}"


class MessageStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
    SUPPRESSED = "suppressed", _("Suppressed")
    UNKNOWN = "unknown", _("Unknown: check with the ESP")


class Message(TenantModel):
    """The ledger: one row per email, before it is sent. (step, subject_key) can exist only once.

    On PostgreSQL the table is partitioned by month of `created_at` (migration 0009, campaigns.partitions):
    its primary key there is (id, created_at) and the once-per-(step, subject) rule is kept by MessageKey,
    because a partitioned table cannot have a unique constraint without its partition key. Django keeps
    `id` as the pk (unique: one identity sequence). On SQLite the constraint below is the table's own.
    """

    # Every row is written three times (planned, claimed, sent), and each write adds an entry to every index
    # whose condition the row meets. The store and customer are served by the composite indexes below; the
    # links most emails lack (order, cart, shipment, product, variant, attribution) index only the rows that
    # have one. Writing a win-back email updates five indexes, not thirteen.
    store = store_link(db_index=False)
    # Looked up by (step, subject): the index below leads with the step.
    step = models.ForeignKey(FlowStep, on_delete=models.PROTECT, related_name="messages", db_index=False)
    subject_key = models.CharField(max_length=120, help_text=_("What the email is about: order:17, cart:9…"))
    status = models.CharField(max_length=12, choices=MessageStatus.choices, default=MessageStatus.SCHEDULED)
    transactional = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(default=50)
    scheduled_for = models.DateTimeField()
    # The last moment this email is still useful (its planned moment plus the step's send window): past
    # it, it is skipped as too late, whatever held it back (quiet hours, the cap, an outage).
    latest_at = models.DateTimeField(null=True, blank=True)
    email = models.EmailField()
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    cart = models.ForeignKey(
        "orders.Cart", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    shipment = models.ForeignKey(
        "shipments.Shipment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    product = models.ForeignKey(
        "orders.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages", db_index=False
    )
    language = models.CharField(max_length=5, blank=True)

    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    esp_message_id = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=255, blank=True, help_text=_("Why it was skipped, suppressed or failed."))
    trace = models.JSONField(default=list, blank=True, help_text=_("Each decision: when, what, by which rule."))

    subject = models.CharField(max_length=255, blank=True)
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)

    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    machine_opened = models.BooleanField(default=False)
    attributed_order = models.ForeignKey(
        "orders.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attributed_messages",
        db_index=False,
    )
    attributed_revenue = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["step", "subject_key"], name="message_once_per_step_subject"),
            models.CheckConstraint(condition=models.Q(status__in=MessageStatus.values), name="message_status_valid"),
        ]
        indexes = [
            models.Index(fields=["scheduled_for"], name="message_due", condition=models.Q(status="scheduled")),
            models.Index(fields=["claimed_at"], name="message_in_flight", condition=models.Q(status="sending")),
            models.Index(fields=["esp_message_id"], name="message_esp_id", condition=~models.Q(esp_message_id="")),
            models.Index(fields=["store", "-scheduled_for"], name="message_store_recent"),
            models.Index(fields=["customer", "sent_at"], name="message_customer_sent"),
            # A flow's earlier email about this subject, and whether a scan's candidate is in the ledger already. The
            # unique constraint above is the same index on SQLite, but a partitioned ledger cannot have it (its key
            # lives in MessageKey): without this, each lookup reads every row of the step in each month.
            models.Index(fields=["step", "subject_key"], name="message_step_subject"),
            *(
                models.Index(fields=[link], name=f"message_{link}", condition=models.Q(**{f"{link}__isnull": False}))
                for link in ("order", "cart", "shipment", "product", "variant", "attributed_order")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} → {self.email} ({self.status})"


class BounceKind(models.TextChoices):
    """What a bounce or complaint means for the address, as its ESP reported it (see campaigns.bounces)."""

    HARD = "hard", _("Hard bounce")
    SOFT = "soft", _("Soft bounce")
    UNKNOWN = "unknown", _("Bounce of a kind the ESP did not say")
    COMPLAINT = "complaint", _("Spam complaint")


class MessageKey(models.Model):
    """The claim on a (step, subject): the ledger's exactly-once rule where the ledger is partitioned.

    PostgreSQL only (migration 0009); empty on SQLite, where campaigns_message keeps its own unique constraint.
    A slim table that is not partitioned, so (step, subject_key) can be its primary key. Every ledger insert
    claims its key: in the same statement (campaigns.services.ledger), or through the ledger's insert trigger (any
    other INSERT, COPY included), which refuses a row whose key another message holds as a unique violation.
    A second message for a (step, subject) would need a second key row: the primary key forbids it. Another
    trigger refuses changing a message's step or subject_key. A key outlives its message (the claim holds)
    until its month is dropped (campaigns.partitions.ledger_month_drop) or its step deleted.
    """

    pk = models.CompositePrimaryKey("step", "subject_key")
    step = models.ForeignKey(FlowStep, on_delete=models.CASCADE, related_name="+", db_index=False)
    subject_key = models.CharField(max_length=120)
    # The message holding the key and its partition key: (message_id, message_created_at) is its primary key.
    message_id = models.BigIntegerField()
    message_created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.step_id} · {self.subject_key} → {self.message_id}"


class MessageEvent(models.Model):
    """An ESP's report about a message (delivered, opened, bounced…), stored once per ESP event."""

    # No database-level foreign key: on PostgreSQL the ledger is partitioned and `id` alone is not a key
    # another table can reference. Django's on_delete still deletes a message's events with it.
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events", db_constraint=False)
    event_type = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()
    esp_event_id = models.CharField(max_length=255)
    machine = models.BooleanField(default=False, help_text=_("An automatic open (mail privacy proxies), not a person."))
    bounce = models.CharField(
        max_length=10, choices=BounceKind.choices, blank=True, help_text=_("Empty unless a bounce or complaint.")
    )
    detail = models.CharField(max_length=500, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [models.UniqueConstraint(fields=["message", "esp_event_id"], name="message_event_once")]
        indexes = [
            models.Index(
                fields=["message", "occurred_at"],
                name="message_event_soft_bounce",
                condition=models.Q(bounce__in=["soft", "unknown"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} at {self.occurred_at}"


class CouponPool(TenantModel):
    """Codes the merchant uploaded (e.g. from Shopify); each is handed to one person only."""

    name = models.CharField(max_length=120)

    def __str__(self) -> str:
        return self.name


class CouponShopState(models.TextChoices):
    LOCAL = "local", _("Not in a shop (no shop connected, or made by the shop)")
    PENDING = "pending", _("Being created in the shop")
    CREATED = "created", _("Created in the shop")
    REFUSED = "refused", _("Refused by the shop")


class Coupon(TenantModel):
    """A code handed to one person. Codes Afterglow makes exist in the shop before their email goes out."""

    code = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=IncentiveKind.choices)
    value = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    pool = models.ForeignKey(CouponPool, on_delete=models.CASCADE, null=True, blank=True, related_name="coupons")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="coupons"
    )
    # No database-level foreign key (the ledger is partitioned on PostgreSQL); Django's on_delete still applies.
    message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="coupon", db_constraint=False
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    redeemed_order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    redeemed_at = models.DateTimeField(null=True, blank=True)
    shop_state = models.CharField(max_length=10, choices=CouponShopState.choices, default=CouponShopState.LOCAL)
    shop_ref = models.CharField(max_length=120, blank=True, help_text=_("The shop's id for the discount."))
    shop_error = models.CharField(max_length=500, blank=True)
    shop_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="coupon_code_unique_per_store")]
        indexes = [
            models.Index(fields=["pool"], name="coupon_pool_free", condition=models.Q(issued_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.expires_at is not None and self.expires_at < timezone.now()


class MessagingPolicy(TimeStampedModel):
    """A store's rules for marketing mail: consent, pacing, quiet hours, attribution windows, A/B tests."""

    store = models.OneToOneField("stores.Store", on_delete=models.CASCADE, related_name="messaging_policy")
    marketing_requires_consent = models.BooleanField(
        default=True, help_text=_("Send marketing only to customers who opted in (required in the EU).")
    )
    frequency_cap_count = models.PositiveSmallIntegerField(default=1, help_text=_("Marketing emails per window."))
    frequency_cap_hours = models.PositiveSmallIntegerField(default=24)
    quiet_hours_start = models.PositiveSmallIntegerField(default=21, help_text=_("Local hour, 0-23."))
    quiet_hours_end = models.PositiveSmallIntegerField(default=8)
    click_window_days = models.PositiveSmallIntegerField(default=5)
    open_window_days = models.PositiveSmallIntegerField(default=1)
    ab_min_sends = models.PositiveIntegerField(default=200, help_text=_("Per variant, before a winner is picked."))
    ab_confidence = models.DecimalField(max_digits=4, decimal_places=3, default=0.95)
    response_target_hours = models.PositiveSmallIntegerField(
        default=24, help_text=_("Critics queue: a detractor should hear from us within this many hours.")
    )
    history_max_age_hours = models.PositiveSmallIntegerField(
        default=24,
        help_text=_("An order, cart or parcel event reported this much later than it happened is history: no email."),
    )
    lapse_lookback_days = models.PositiveSmallIntegerField(
        default=60, help_text=_("Win-back: how long ago a customer may have lapsed and still be written to.")
    )

    def __str__(self) -> str:
        return f"Messaging policy of {self.store}"


class ScanRun(models.Model):
    """One run of a periodic scan (for one store, or all): what it looked at and what it planned.

    Daily scans run once per local day of the store: `local_day` with the unique constraint makes a
    second run that day (another beat, a retry, the DST hour repeated) a no-op.
    """

    name = models.CharField(max_length=40)
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    local_day = models.DateField(null=True, blank=True)
    as_of = models.DateTimeField(help_text=_("The moment the scan looked at (now, or --now)."))
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    candidates = models.PositiveIntegerField(default=0)
    messages_created = models.PositiveIntegerField(default=0)
    queries = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "store", "local_day"],
                condition=models.Q(local_day__isnull=False),
                name="scan_run_once_per_local_day",
            )
        ]
        indexes = [models.Index(fields=["name", "-started_at"], name="scan_run_recent")]

    def __str__(self) -> str:
        return f"{self.name} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_seconds(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None
