from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import TenantModel

DETRACTOR_MAX = 6  # 0–6
PROMOTER_MIN = 9  # 9–10


class NpsTopic(models.TextChoices):
    PRODUCT = "product", _("The product")
    DELIVERY = "delivery", _("Delivery")
    PACKAGING = "packaging", _("Packaging")
    SERVICE = "service", _("Customer service")


class NpsSegment(models.TextChoices):
    DETRACTOR = "detractor", _("Detractor")
    PASSIVE = "passive", _("Passive")
    PROMOTER = "promoter", _("Promoter")


def segment_for(score: int) -> NpsSegment:
    if score <= DETRACTOR_MAX:
        return NpsSegment.DETRACTOR
    if score >= PROMOTER_MIN:
        return NpsSegment.PROMOTER
    return NpsSegment.PASSIVE


class NpsResponse(TenantModel):
    """A buyer's 0–10 answer to "would you recommend us?" for one order. The latest click wins."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="nps_responses")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="nps_responses"
    )
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    topics = models.JSONField(default=list, blank=True, help_text="What the comment is about: NpsTopic values.")

    class Meta:
        ordering = ["-modified_at"]
        constraints = [
            models.UniqueConstraint(fields=["order"], name="nps_response_one_per_order"),
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=10), name="nps_response_score_0_10"),
        ]
        indexes = [models.Index(fields=["store", "-created_at"], name="nps_response_store_recent")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.score}"

    @property
    def segment(self) -> NpsSegment:
        return segment_for(self.score)


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")


class CaseOutcome(models.TextChoices):
    REFUND = "refund", _("Refunded")
    REPLACEMENT = "replacement", _("Replaced")
    COUPON = "coupon", _("Coupon given")
    EXPLAINED = "explained", _("Explained or apologised")
    NO_REPLY = "no_reply", _("Buyer did not reply")
    OTHER = "other", _("Other")


class CriticCase(TenantModel):
    """A detractor's answer, for a person to follow up: the critics queue. One per response, opened once."""

    response = models.OneToOneField(NpsResponse, on_delete=models.CASCADE, related_name="case")
    status = models.CharField(max_length=12, choices=CaseStatus.choices, default=CaseStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="critic_cases"
    )
    resolution_note = models.TextField(blank=True)
    outcome = models.CharField(max_length=12, choices=CaseOutcome.choices, blank=True)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set when the buyer later changed their score to 7 or more; the case stays for the record.
    score_raised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=CaseStatus.values), name="critic_case_status_valid"),
        ]
        indexes = [models.Index(fields=["store", "status", "-opened_at"], name="critic_case_queue")]

    def __str__(self) -> str:
        return f"Case {self.pk} ({self.status})"
