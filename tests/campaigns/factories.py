import factory
from django.utils import timezone

from apps.campaigns.models import FlowKind, FlowStep, Message, MessageStatus
from tests.stores.factories import StoreFactory


class MessageFactory(factory.django.DjangoModelFactory):
    """A ledger row on one of the store's default steps (every store gets the default flows)."""

    class Meta:
        model = Message

    store = factory.SubFactory(StoreFactory)
    step = factory.LazyAttribute(
        lambda o: FlowStep.objects.filter(store=o.store, flow__kind=FlowKind.ORDER_CONFIRMATION).first()
    )
    subject_key = factory.Sequence(lambda n: f"order:{n}")
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    scheduled_for = factory.LazyFunction(timezone.now)
    transactional = True

    class Params:
        sent = factory.Trait(
            status=MessageStatus.SENT,
            sent_at=factory.LazyFunction(timezone.now),
            subject="Thank you for your order",
            body_html="<html><body><p>Thank you for your order</p></body></html>",
        )
