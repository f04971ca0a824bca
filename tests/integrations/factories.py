import factory
from django.utils import timezone

from apps.integrations.models import Connection, InboundEvent, Outcome
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
