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
