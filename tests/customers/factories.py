import factory
from django.utils import timezone

from apps.customers.models import ConsentEvent, ConsentSource, Customer, SuppressionReason
from tests.stores.factories import StoreFactory, TenantFactory


class CustomerFactory(TenantFactory):
    store = factory.SubFactory(StoreFactory)
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    locale = factory.Iterator(["en", "ru", "it", "ko", "kk"])
    time_zone = "Europe/Rome"
    marketing_consent = False

    class Meta:
        model = Customer

    class Params:
        consenting = factory.Trait(
            marketing_consent=True,
            consent_source=ConsentSource.CHECKOUT,
            consent_at=factory.LazyFunction(timezone.now),
        )
        suppressed = factory.Trait(
            marketing_consent=False,
            suppressed_at=factory.LazyFunction(timezone.now),
            suppression_reason=SuppressionReason.BOUNCE,
        )

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        kwargs["email"] = kwargs["email"].strip().lower()  # stored lower-case, as the constraint demands
        return kwargs


class ConsentEventFactory(TenantFactory):
    _store_from = ("customer",)

    store = factory.SubFactory(StoreFactory)
    customer = factory.SubFactory(CustomerFactory, store=factory.SelfAttribute("..store"))
    granted = True
    source = ConsentSource.CHECKOUT
    occurred_at = factory.LazyFunction(timezone.now)

    class Meta:
        model = ConsentEvent
