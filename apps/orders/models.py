import secrets

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.models import TenantModel, store_link

MONEY = {"max_digits": 12, "decimal_places": 2}


def new_tracking_token() -> str:
    """128 random bits, URL-safe: the only key to a buyer's tracking page."""
    return secrets.token_urlsafe(16)


class OrderSource(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    API = "api", "API"
    CSV = "csv", "CSV"
    DEMO = "demo", _("Demo data")


class Product(TenantModel):
    external_id = models.CharField(max_length=100)
    sku = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=255)
    url = models.URLField(max_length=500, blank=True)
    image_url = models.URLField(max_length=500, blank=True)
    price = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    category = models.CharField(max_length=120, blank=True)
    in_stock = models.BooleanField(default=True)
    related_products = models.ManyToManyField("self", symmetrical=False, blank=True)
    replenishment_days = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Typical days until a buyer runs out; learned when empty.")
    )
    # Learned nightly from this store's own repeat purchases: the median days between two orders of it.
    learned_interval_days = models.PositiveIntegerField(null=True, blank=True)
    learned_observations = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "external_id"], name="product_external_id_unique_per_store"),
        ]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending payment")
    PAID = "paid", _("Paid")
    PARTIALLY_FULFILLED = "partially_fulfilled", _("Partially shipped")
    FULFILLED = "fulfilled", _("Shipped")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class Order(TenantModel):
    store = store_link(db_index=False)  # the (store, …) indexes below
    external_id = models.CharField(max_length=100)
    number = models.CharField(max_length=40, help_text=_("The order name buyers see, e.g. #1001."))
    customer = models.ForeignKey(  # (customer, placed_at) below
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        db_index=False,
    )
    email = models.EmailField(blank=True)
    locale = models.CharField(max_length=5, blank=True)
    source = models.CharField(max_length=20, choices=OrderSource.choices, default=OrderSource.API)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PAID)
    placed_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The source's own "updated at": an older delivery of the order never overwrites a newer one.
    source_updated_at = models.DateTimeField(null=True, blank=True)
    # Imported as history (a CSV or API import marked so, a shop's history import): it feeds figures,
    # RFM, repurchase intervals and recommendations, and never starts a flow.
    is_history = models.BooleanField(default=False)

    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(**MONEY, default=0)
    discount_total = models.DecimalField(**MONEY, default=0)
    shipping_total = models.DecimalField(**MONEY, default=0)
    tax_total = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY, default=0)
    discount_codes = models.JSONField(default=list, blank=True)

    order_status_url = models.URLField(max_length=500, blank=True)
    tracking_token = models.CharField(max_length=32, unique=True, default=new_tracking_token, editable=False)

    shipping_name = models.CharField(max_length=200, blank=True)
    shipping_city = models.CharField(max_length=120, blank=True)
    shipping_postcode = models.CharField(max_length=20, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "external_id"], name="order_external_id_unique_per_store"),
            models.CheckConstraint(condition=models.Q(status__in=OrderStatus.values), name="order_status_valid"),
        ]
        indexes = [
            # Orders and revenue per day on the dashboard read this index alone (total and status included).
            models.Index(fields=["store", "-placed_at"], include=["total", "status"], name="order_store_recent"),
            models.Index(fields=["customer", "placed_at"], name="order_customer_placed"),
            models.Index(fields=["store", "number"], name="order_store_number"),
            # "Has this email ordered since?": abandoned-cart exits and scans.
            models.Index(fields=["store", "email", "placed_at"], name="order_store_email_placed"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_tracking_url(self) -> str:
        return reverse("tracking:page", kwargs={"token": self.tracking_token})


class OrderLine(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(  # (product, order) below
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    external_id = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=255)
    variant_title = models.CharField(max_length=255, blank=True)
    sku = models.CharField(max_length=100, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(**MONEY, default=0)
    image_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["product", "order"], name="orderline_product_order")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"

    @property
    def line_total(self):
        return self.unit_price * self.quantity


class CartLeaveReason(models.TextChoices):
    """Why a buyer left a checkout, in their own answer to the one question abandoned-cart emails ask."""

    PRICE = "price", _("The price")
    SHIPPING_COST = "shipping_cost", _("The shipping cost")
    DELIVERY_TIME = "delivery_time", _("The delivery time")
    PAYMENT = "payment", _("Paying did not work out")
    JUST_LOOKING = "just_looking", _("I was just looking")
    OTHER = "other", _("Something else")


class Cart(TenantModel):
    """A checkout the buyer started. `updated_at` is the store's last activity time, not ours."""

    store = store_link(db_index=False)  # (store, external_id) and the other (store, …) indexes below
    external_id = models.CharField(max_length=100)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="carts"
    )
    email = models.EmailField(blank=True)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(**MONEY, default=0)
    recovery_url = models.URLField(max_length=1000, blank=True)
    updated_at = models.DateTimeField()
    converted_order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="source_carts"
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    is_history = models.BooleanField(default=False)  # see Order.is_history
    # The buyer's answer to "what stopped you?" (a POST from the page an abandoned-cart email links to).
    leave_reason = models.CharField(max_length=20, choices=CartLeaveReason.choices, blank=True)
    leave_reason_note = models.CharField(max_length=500, blank=True)
    leave_reason_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "external_id"], name="cart_external_id_unique_per_store"),
            models.CheckConstraint(
                condition=models.Q(leave_reason="") | models.Q(leave_reason__in=CartLeaveReason.values),
                name="cart_leave_reason_valid",
            ),
        ]
        indexes = [
            # The abandoned-cart scan reads open carts with an email by idle time.
            models.Index(
                fields=["store", "updated_at"],
                name="cart_open_by_idle",
                condition=models.Q(converted_order__isnull=True) & ~models.Q(email=""),
            ),
            # The abandoned-cart flow page counts the answers of its period: only answered carts are indexed.
            models.Index(
                fields=["store", "leave_reason_at"], name="cart_answered", condition=~models.Q(leave_reason="")
            ),
        ]

    def __str__(self) -> str:
        return f"Cart {self.external_id}"

    @property
    def is_converted(self) -> bool:
        return self.converted_order_id is not None


class CartLine(TenantModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=255)
    variant_title = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(**MONEY, default=0)
    image_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"
