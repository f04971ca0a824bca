from django.db import models
from django.utils.translation import gettext_lazy as _


class PageBlock(models.TextChoices):
    """The parts of buyer pages whose views and clicks a merchant sees counted."""

    RECOMMENDATIONS = "recommendations", _("Recommended products")
    COUPON = "coupon", _("Coupon")
    SOCIAL = "social", _("Social links")
    NEWSLETTER = "newsletter", _("Newsletter signup")
    REVIEW = "review", _("Review invitation")
    REFERRAL = "referral", _("Referral link")


class PageEventKind(models.TextChoices):
    VIEW = "view", _("View")
    CLICK = "click", _("Click")


class PageEvent(models.Model):
    """One view of a block on a buyer page, or one click on a link in it. Append-only."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    block = models.CharField(max_length=20, choices=PageBlock.choices)
    kind = models.CharField(max_length=10, choices=PageEventKind.choices)
    target = models.CharField(max_length=500, blank=True, help_text="Where a click led.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(block__in=PageBlock.values), name="page_event_block_valid"),
            models.CheckConstraint(condition=models.Q(kind__in=PageEventKind.values), name="page_event_kind_valid"),
        ]
        indexes = [models.Index(fields=["store", "created_at"], name="page_event_store_recent")]

    def __str__(self) -> str:
        return f"{self.block} {self.kind}"


class PageViewCount(models.Model):
    """Views of one block of a store's buyer pages in one minute, as counted in the cache and flushed here
    (apps/tracking/page_views.py). Reports add these to the view rows of PageEvent."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    block = models.CharField(max_length=20, choices=PageBlock.choices)
    counted_at = models.DateTimeField(help_text="Start of the minute the views were counted in (UTC).")
    views = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the flush wrote it.")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(block__in=PageBlock.values), name="page_view_count_block_valid"),
        ]
        indexes = [models.Index(fields=["store", "counted_at"], name="page_view_count_store_recent")]

    def __str__(self) -> str:
        return f"{self.block}: {self.views}"


class PageViewFlush(models.Model):
    """One counting slot written to PageViewCount: a second flush of the same slot finds it and adds nothing."""

    slot = models.BigIntegerField(unique=True, help_text="Seconds since the epoch divided by the slot length.")
    views = models.PositiveIntegerField(default=0)
    flushed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"slot {self.slot}"
