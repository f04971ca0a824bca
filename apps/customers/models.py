from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from apps.core.models import TenantModel
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


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Spam complaint")
    MANUAL = "manual", _("Suppressed by staff")
    ERASED = "erased", _("Personal data erased")


class Customer(TenantModel):
    """A buyer of one store. Email is stored lower-case and unique per store."""

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

    # Kept up to date by order services so scans need no aggregate over all orders.
    orders_count = models.PositiveIntegerField(default=0)
    total_spent = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)

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
        indexes = [models.Index(fields=["store", "last_order_at"], name="customer_store_last_order")]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_suppressed(self) -> bool:
        return self.suppressed_at is not None


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
