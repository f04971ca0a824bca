import factory
from django.utils import timezone

from apps.integrations.models import Connection, ImportJob, ImportKind, InboundEvent, Outcome, ProductFeed
from tests.stores.factories import StoreFactory


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    store = factory.SubFactory(StoreFactory)
    source = "shopify"
    secret = factory.Faker("password", length=32)


class InboundEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundEvent

    store = factory.SubFactory(StoreFactory)
    source = "shopify"
    topic = "orders/create"
    delivery_id = factory.Sequence(lambda n: f"delivery-{n}")
    body = '{"id": 1}'
    received_at = factory.LazyFunction(timezone.now)
    last_received_at = factory.LazyAttribute(lambda o: o.received_at)
    outcome = Outcome.PROCESSED

    class Params:
        failed = factory.Trait(outcome=Outcome.FAILED, http_status=422, error="Order 1 is not known yet")


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    store = factory.SubFactory(StoreFactory)
    kind = ImportKind.CUSTOMERS
    file = factory.django.FileField(filename="customers.csv", data=b"email,first_name\nana@example.com,Ana\n")
    original_name = "customers.csv"
    columns = ["email", "first_name"]
    mapping = {"email": "email", "first_name": "first_name"}


class ProductFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductFeed

    store = factory.SubFactory(StoreFactory)
    url = factory.Sequence(lambda n: f"https://shop.example/feeds/{n}.xml")
