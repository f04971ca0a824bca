from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

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
    # The first reply to the buyer: the response target is met when it comes before opened_at + target.
    first_response_at = models.DateTimeField(null=True, blank=True)
    # Set once when the case passed its response target unanswered and the owners were told.
    escalated_at = models.DateTimeField(null=True, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=CaseStatus.values), name="critic_case_status_valid"),
        ]
        indexes = [models.Index(fields=["store", "status", "-opened_at"], name="critic_case_queue")]

    def __str__(self) -> str:
        return f"Case {self.pk} ({self.status})"


class CaseEventKind(models.TextChoices):
    ANSWER = "answer", _("NPS answer")
    REPLY_OUT = "reply_out", _("Reply to the buyer")
    REPLY_IN = "reply_in", _("Buyer's reply")
    NOTE = "note", _("Internal note")
    ASSIGNED = "assigned", _("Assigned")
    STATUS = "status", _("Status changed")
    RESURVEY = "resurvey", _("Re-survey")
    ESCALATED = "escalated", _("Escalated")
    HANDOFF = "handoff", _("Sent to the help desk")


class CaseEvent(TenantModel):
    """One entry of a case's timeline: what was said (in or out), noted, changed or sent, and by whom.

    Replies out carry the RFC 5322 Message-ID they were sent with, and replies in the one they came with,
    so the next reply threads under the conversation in the buyer's mail client (In-Reply-To, References).
    """

    case = models.ForeignKey(CriticCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=CaseEventKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    happened_at = models.DateTimeField()
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    email_message_id = models.CharField(max_length=255, blank=True, help_text=_("RFC 5322 Message-ID."))
    esp_message_id = models.CharField(max_length=255, blank=True)
    # The inbound ESP event's id: the same reply posted twice by the ESP is stored once.
    inbound_event_id = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["happened_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=CaseEventKind.values), name="case_event_kind_valid"),
            models.UniqueConstraint(
                fields=["case", "inbound_event_id"],
                condition=~models.Q(inbound_event_id=""),
                name="case_event_inbound_once",
            ),
        ]
        indexes = [models.Index(fields=["case", "happened_at"], name="case_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class SavedReply(TenantModel):
    """A reply an agent picks instead of typing, per language. Its text may hold {name}, {order} and
    {tracking_link}, filled for the buyer of the case."""

    title = models.CharField(max_length=120)
    language = models.CharField(max_length=5)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()

    class Meta:
        ordering = ["title", "language"]
        constraints = [
            models.UniqueConstraint(fields=["store", "title", "language"], name="saved_reply_title_per_language"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class HelpdeskHook(TenantModel):
    """Where a store hands cases to its own help desk: a signed JSON POST (one per store)."""

    url = models.URLField(max_length=500)
    secret = EncryptedCharField(max_length=255, help_text=_("Signs each delivery (HMAC-SHA256)."))
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store"], name="helpdesk_hook_one_per_store")]

    def __str__(self) -> str:
        return self.url
