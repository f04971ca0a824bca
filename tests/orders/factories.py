from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from django.utils.text import slugify

from apps.orders.models import Cart, CartLine, Order, OrderLine, OrderSource, OrderStatus, Product
from tests.customers.factories import CustomerFactory
from tests.stores.factories import StoreFactory, TenantFactory


class ProductFactory(TenantFactory):
    store = factory.SubFactory(StoreFactory)
    external_id = factory.Sequence(lambda n: f"prod-{n}")
    name = factory.Sequence(lambda n: f"House Blend {n} · 250 g")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    url = factory.LazyAttribute(lambda o: f"https://shop.example.com/products/{slugify(o.name)}")
    image_url = factory.LazyAttribute(lambda o: f"https://picsum.photos/seed/{slugify(o.name)}/400/400")
    price = Decimal("14.50")
    currency = factory.SelfAttribute("store.currency")
    category = "Coffee beans"
    in_stock = True
    replenishment_days = 30

    class Meta:
        model = Product


class OrderFactory(TenantFactory):
    _store_from = ("customer",)

    store = factory.SubFactory(StoreFactory)
    customer = factory.SubFactory(CustomerFactory, store=factory.SelfAttribute("..store"))
    email = factory.LazyAttribute(lambda o: o.customer.email if o.customer else "guest@example.com")
    locale = factory.LazyAttribute(lambda o: o.customer.locale if o.customer else "en")
    external_id = factory.Sequence(lambda n: f"ord-{n}")
    number = factory.Sequence(lambda n: f"#{1001 + n}")
    source = OrderSource.API
    status = OrderStatus.PAID
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))
    currency = factory.SelfAttribute("store.currency")
    subtotal = Decimal("42.00")
    discount_total = Decimal("0.00")
    shipping_total = Decimal("4.90")
    total = factory.LazyAttribute(lambda o: Decimal(o.subtotal) - Decimal(o.discount_total) + Decimal(o.shipping_total))
    shipping_name = factory.LazyAttribute(lambda o: o.customer.full_name if o.customer else "Guest Buyer")
    shipping_city = "Milano"
    shipping_postcode = "20121"
    shipping_country = "IT"

    class Meta:
        model = Order

    class Params:
        fulfilled = factory.Trait(status=OrderStatus.FULFILLED)
        cancelled = factory.Trait(
            status=OrderStatus.CANCELLED,
            cancelled_at=factory.LazyAttribute(lambda o: o.placed_at + timedelta(hours=2)),
        )
        refunded = factory.Trait(status=OrderStatus.REFUNDED)
        guest = factory.Trait(customer=None)


class OrderLineFactory(TenantFactory):
    _store_from = ("order",)

    store = factory.SubFactory(StoreFactory)
    order = factory.SubFactory(OrderFactory, store=factory.SelfAttribute("..store"))
    product = factory.SubFactory(ProductFactory, store=factory.SelfAttribute("..store"))
    external_id = factory.Sequence(lambda n: f"line-{n}")
    title = factory.LazyAttribute(lambda o: o.product.name if o.product else "Gift wrap")
    sku = factory.LazyAttribute(lambda o: o.product.sku if o.product else "")
    quantity = 1
    unit_price = factory.LazyAttribute(lambda o: o.product.price if o.product else Decimal("2.00"))
    image_url = factory.LazyAttribute(lambda o: o.product.image_url if o.product else "")

    class Meta:
        model = OrderLine


class CartFactory(TenantFactory):
    _store_from = ("customer", "converted_order")

    store = factory.SubFactory(StoreFactory)
    customer = factory.SubFactory(CustomerFactory, store=factory.SelfAttribute("..store"))
    external_id = factory.Sequence(lambda n: f"cart-{n}")
    email = factory.LazyAttribute(lambda o: o.customer.email if o.customer else "guest@example.com")
    currency = factory.SelfAttribute("store.currency")
    subtotal = Decimal("29.00")
    recovery_url = factory.LazyAttribute(lambda o: f"https://shop.example.com/checkouts/{o.external_id}/recover")
    updated_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3))

    class Meta:
        model = Cart

    class Params:
        converted = factory.Trait(
            converted_order=factory.SubFactory(
                OrderFactory, store=factory.SelfAttribute("..store"), customer=factory.SelfAttribute("..customer")
            ),
            converted_at=factory.LazyAttribute(lambda o: o.converted_order.placed_at),
            updated_at=factory.LazyAttribute(lambda o: o.converted_order.placed_at - timedelta(minutes=5)),
        )


class CartLineFactory(TenantFactory):
    _store_from = ("cart",)

    store = factory.SubFactory(StoreFactory)
    cart = factory.SubFactory(CartFactory, store=factory.SelfAttribute("..store"))
    product = factory.SubFactory(ProductFactory, store=factory.SelfAttribute("..store"))
    title = factory.LazyAttribute(lambda o: o.product.name if o.product else "Gift card")
    quantity = 1
    unit_price = factory.LazyAttribute(lambda o: o.product.price if o.product else Decimal("25.00"))
    image_url = factory.LazyAttribute(lambda o: o.product.image_url if o.product else "")

    class Meta:
        model = CartLine
