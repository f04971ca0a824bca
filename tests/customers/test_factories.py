import pytest

from tests.customers.factories import ConsentEventFactory, CustomerFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_customers_are_lower_case_and_unique_per_store():
    store = StoreFactory()
    first, second = CustomerFactory(store=store, email="Ana@Example.COM"), CustomerFactory(store=store)
    assert first.email == "ana@example.com"
    assert first.email != second.email
    assert {first.locale, second.locale} <= {"en", "ru", "it", "ko", "kk"}


def test_consenting_and_suppressed_traits():
    consenting = CustomerFactory(consenting=True)
    assert (consenting.marketing_consent, consenting.consent_source) == (True, "checkout")
    assert consenting.consent_at is not None
    suppressed = CustomerFactory(suppressed=True)
    assert suppressed.is_suppressed and not suppressed.marketing_consent and suppressed.suppression_reason


def test_a_consent_event_follows_its_customers_store():
    customer = CustomerFactory()
    assert ConsentEventFactory(customer=customer).store == customer.store
    store = StoreFactory()
    event = ConsentEventFactory(store=store)
    assert event.customer.store == store
