import pytest

from apps.customers.models import ConsentEvent, ConsentSource, SuppressionReason
from apps.customers.services import customer_get_or_create, customer_set_marketing_consent, customer_suppress
from tests.customers.factories import CustomerFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_an_email_in_any_case_finds_the_same_customer():
    store = StoreFactory()
    first, created = customer_get_or_create(store=store, email=" Ana@Example.COM ")
    again, created_again = customer_get_or_create(store=store, email="ana@example.com")
    assert (created, created_again) == (True, False)
    assert first == again
    assert first.email == "ana@example.com"


def test_granting_consent_records_when_and_where_and_keeps_history():
    customer = CustomerFactory(marketing_consent=False)
    customer_set_marketing_consent(customer=customer, granted=True, source=ConsentSource.TRACKING_PAGE)
    customer_set_marketing_consent(customer=customer, granted=True, source=ConsentSource.NEWSLETTER)  # no change
    customer_set_marketing_consent(customer=customer, granted=False, source=ConsentSource.UNSUBSCRIBE)
    customer.refresh_from_db()
    assert customer.marketing_consent is False
    assert customer.consent_source == ConsentSource.UNSUBSCRIBE
    history = list(ConsentEvent.objects.filter(customer=customer).order_by("occurred_at", "id"))
    assert [(e.granted, e.source) for e in history] == [(True, "tracking_page"), (False, "unsubscribe")]
    assert all(e.store_id == customer.store_id for e in history)


def test_suppression_withdraws_consent_and_keeps_the_first_reason():
    customer = CustomerFactory(consenting=True)
    customer_suppress(customer=customer, reason=SuppressionReason.BOUNCE)
    customer_suppress(customer=customer, reason=SuppressionReason.COMPLAINT)
    customer.refresh_from_db()
    assert customer.is_suppressed
    assert customer.suppression_reason == SuppressionReason.BOUNCE
    assert customer.marketing_consent is False
    assert ConsentEvent.objects.filter(customer=customer, granted=False).count() == 1
