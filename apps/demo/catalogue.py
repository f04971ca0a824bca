"""The demo catalogue, built with factory-boy: each shop's products with prices, pictures, stock and
replenishment days, and a few related products each."""

import random
from datetime import datetime

import factory
from django.conf import settings
from django.utils.text import slugify

from apps.demo.profiles import RELATED_CATEGORIES, Profile
from apps.demo.rows import money
from apps.orders.models import Product
from apps.stores.models import Store


class DemoProductFactory(factory.django.DjangoModelFactory):
    """A catalogue product: pass `store`, `item` (an Item), `position` and `sku_prefix`; the rest follows."""

    class Meta:
        model = Product

    class Params:
        item = None
        position = 0
        sku_prefix = "SKU"
        slug = factory.LazyAttribute(lambda o: slugify(o.item.name.replace("·", " ")))
        site = factory.LazyAttribute(lambda o: o.store.website_url)

    external_id = factory.LazyAttribute(lambda o: str(8_100_000_000 + o.store.pk * 1000 + o.position))
    sku = factory.LazyAttribute(lambda o: f"{o.sku_prefix}-{o.position + 101:04d}")
    name = factory.LazyAttribute(lambda o: o.item.name)
    url = factory.LazyAttribute(lambda o: f"{o.site}/products/{o.slug}")
    image_url = factory.LazyAttribute(lambda o: _sample_image(o.item.category))
    price = factory.LazyAttribute(lambda o: money(o.item.price))
    currency = factory.LazyAttribute(lambda o: o.store.currency)
    category = factory.LazyAttribute(lambda o: o.item.category)
    in_stock = factory.LazyAttribute(lambda o: o.item.in_stock)
    replenishment_days = factory.LazyAttribute(lambda o: o.item.replenishment_days)


# Pictures the project ships (static/img/samples/), so the demo looks right with no network at all.
SAMPLE_IMAGES = {
    "Coffee beans": "coffee-bag",
    "Subscriptions": "coffee-bag",
    "Brewing gear": "kettle",
    "Grinders": "grinder",
    "Filters & care": "filters",
    "Gifts & merch": "mug",
    "Tea": "coffee-bag",
    "Teaware": "mug",
}


def _sample_image(category: str) -> str:
    name = SAMPLE_IMAGES.get(category, "scale")
    return f"{settings.SITE_URL}/{settings.STATIC_URL.strip('/')}/img/samples/{name}.svg"


def create_catalogue(store: Store, profile: Profile, rnd: random.Random, since: datetime) -> list[Product]:
    products = [
        DemoProductFactory.build(store=store, item=item, position=position, sku_prefix=profile.sku_prefix)
        for position, item in enumerate(profile.catalogue)
    ]
    products = Product.objects.bulk_create(products)
    Product.objects.filter(store=store).update(created_at=since, modified_at=since)
    Through = Product.related_products.through
    links = []
    for product in products:
        kinds = RELATED_CATEGORIES.get(product.category, ())
        candidates = [other for other in products if other.pk != product.pk and other.category in kinds]
        for other in rnd.sample(candidates, min(3, len(candidates))):
            links.append(Through(from_product_id=product.pk, to_product_id=other.pk))
    Through.objects.bulk_create(links)
    return products
