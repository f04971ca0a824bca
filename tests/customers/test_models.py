import pytest
from django.db import IntegrityError, transaction

from apps.customers.models import Customer
from tests.customers.factories import CustomerFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_an_email_is_one_customer_per_store():
    first = CustomerFactory(email="ana@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(store=first.store, email="ana@example.com")


def test_the_same_email_is_a_different_customer_in_another_store():
    CustomerFactory(email="ana@example.com", store=StoreFactory(slug="a"))
    CustomerFactory(email="ana@example.com", store=StoreFactory(slug="b"))
    assert Customer.objects.filter(email="ana@example.com").count() == 2


def test_emails_are_stored_lower_case_only():
    customer = CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(email="Ana@Example.com")


def test_a_customer_external_id_is_unique_per_store_but_may_be_empty_for_many():
    store = StoreFactory()
    CustomerFactory(store=store, external_id="")
    CustomerFactory(store=store, external_id="")  # guests without an id coexist
    CustomerFactory(store=store, external_id="c-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(store=store, external_id="c-1")


def test_an_unknown_suppression_reason_is_refused():
    customer = CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(suppression_reason="felt-like-it")
