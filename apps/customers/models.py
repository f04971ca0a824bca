from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import TenantModel, store_link
from apps.stores.models import Language


class ConsentSource(models.TextChoices):
    CHECKOUT = "checkout", _("Checkout")
    NEWSLETTER = "newsletter", _("Newsletter form")
    TRACKING_PAGE = "tracking_page", _("Tracking page")
    PREFERENCE_CENTRE = "preference_centre", _("Preference centre")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    ESP = "esp", _("Email provider")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    STAFF = "staff", _("Staff")
    SUNSET = "sunset", _("Never engaged (win-back farewell)")


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce", _("Bounced (hard, or soft again and again)")
    COMPLAINT = "complaint", _("Spam complaint")
    MANUAL = "manual", _("Suppressed by staff")
    ERASED = "erased", _("Personal data erased")


class RfmSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALISTS = "potential_loyalists", _("Potential loyalists")
    NEW = "new", _("New customers")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


class Customer(TenantModel):
    """A buyer of one store. Email is stored lower-case and unique per store."""

    store = store_link(db_index=False)  # (store, email) and the other (store, …) indexes below
    external_id = models.CharField(max_length=100, blank=True)
    email = models.EmailField()
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    locale = models.CharField(max_length=5, choices=Language.choices, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)

    marketing_consent = models.BooleanField(default=False)
    consent_source = models.CharField(max_length=20, choices=ConsentSource.choices, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)

    suppressed_at = models.DateTimeField(null=True, blank=True)
    suppression_reason = models.CharField(max_length=20, choices=SuppressionReason.choices, blank=True)

    # What the buyer chose in the preference centre. Marketing (offers) also needs `marketing_consent`.
    wants_shipping_updates = models.BooleanField(default=True)
    wants_review_requests = models.BooleanField(default=True)
    wants_offers = models.BooleanField(default=True)
    marketing_paused_until = models.DateTimeField(
        null=True, blank=True, help_text=_("No marketing email before this moment; consent is kept.")
    )

    # Kept up to date by order services so scans need no aggregate over all orders.
    orders_count = models.PositiveIntegerField(default=0)
    total_spent = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)

    # Written by the nightly RFM scan (quintiles 1-5 within the store; 5 is best).
    rfm_recency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_frequency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_monetary = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_segment = models.CharField(max_length=20, choices=RfmSegment.choices, blank=True)
    rfm_top_percent = models.BooleanField(default=False, help_text=_("Among the store's top 1 % by spend."))
    rfm_scored_at = models.DateTimeField(null=True, blank=True)
    median_order_gap_days = models.FloatField(null=True, blank=True)
    # When this customer counts as lapsed: last order + max(store threshold, twice their own rhythm).
    lapse_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "email"], name="customer_email_unique_per_store"),
            models.UniqueConstraint(
                fields=["store", "external_id"],
                condition=~models.Q(external_id=""),
                name="customer_external_id_unique_per_store",
            ),
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="customer_email_lowercase"),
            models.CheckConstraint(
                condition=models.Q(suppression_reason="") | models.Q(suppression_reason__in=SuppressionReason.values),
                name="customer_suppression_reason_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "last_order_at"], name="customer_store_last_order"),
            models.Index(fields=["store", "rfm_segment"], name="customer_store_segment"),
            models.Index(fields=["store", "lapse_due_at"], name="customer_store_lapse_due"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_suppressed(self) -> bool:
        return self.suppressed_at is not None

    @property
    def is_marketing_paused(self) -> bool:
        return self.marketing_paused_until is not None and self.marketing_paused_until > timezone.now()


class ConsentEvent(TenantModel):
    """The history behind `Customer.marketing_consent`: who changed it, when, and through what."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_events")
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=ConsentSource.choices)
    occurred_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["customer", "-occurred_at"], name="consent_customer_recent")]


class RfmMove(TenantModel):
    """A customer's RFM segment on the night it changed: the history behind `Customer.rfm_segment`."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="rfm_moves")
    scored_on = models.DateField()
    segment = models.CharField(max_length=20, choices=RfmSegment.choices)
    previous_segment = models.CharField(max_length=20, choices=RfmSegment.choices, blank=True)
    recency = models.PositiveSmallIntegerField()
    frequency = models.PositiveSmallIntegerField()
    monetary = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-scored_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["customer", "scored_on"], name="rfm_move_once_per_day")]
        indexes = [models.Index(fields=["store", "-scored_on"], name="rfm_move_store_recent")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.previous_segment or '-'} → {self.segment} ({self.scored_on})"
