"""Product reviews written by buyers from a signed link, one per order line, moderated by staff."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.campaigns.models import IncentiveKind
from apps.core.models import TenantModel

RATINGS = range(1, 6)
# How long a buyer may change what they wrote; after it the review is read-only.
EDIT_WINDOW = timedelta(days=30)
MAX_PHOTOS = 3


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")


class Review(TenantModel):
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="reviews")
    # One review per order line: the constraint decides when two submissions race.
    line = models.OneToOneField("orders.OrderLine", on_delete=models.CASCADE, related_name="review")
    product = models.ForeignKey("orders.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120, blank=True)
    text = models.TextField(max_length=5000)
    # What the public sees as the author: the buyer's first name and initial, fixed when written.
    author_name = models.CharField(max_length=80)
    language = models.CharField(max_length=5, blank=True)
    status = models.CharField(max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    submitted_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    editable_until = models.DateTimeField()
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reply = models.TextField(max_length=2000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
            models.CheckConstraint(condition=models.Q(status__in=ReviewStatus.values), name="review_status_valid"),
        ]
        indexes = [
            models.Index(fields=["store", "status", "-submitted_at"], name="review_store_status"),
            models.Index(fields=["product", "status"], name="review_product_status"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.title or self.text[:40]}"


class ReviewPhoto(TenantModel):
    """A buyer's photo, re-encoded (no metadata) and stored under a random name (apps.reviews.photos)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]


class ReviewIncentive(TenantModel):
    """The coupon a store promises for a review: issued once the first review of an order is in."""

    active = models.BooleanField(default=False)
    kind = models.CharField(max_length=16, choices=IncentiveKind.choices, default=IncentiveKind.PERCENT)
    value = models.DecimalField(max_digits=8, decimal_places=2, default=10)
    valid_days = models.PositiveSmallIntegerField(default=30)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store"], name="review_incentive_one_per_store")]


class ReviewReward(TenantModel):
    """The coupon an order's review earned: one per order, whatever the number of reviews or replays."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="review_reward")
    coupon = models.OneToOneField("campaigns.Coupon", on_delete=models.PROTECT, related_name="review_reward")
