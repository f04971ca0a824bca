"""Idempotent inserts tell exactly which rows were new."""

import pytest

from apps.core.upsert import insert_new
from apps.customers.models import Customer
from tests.customers.factories import CustomerFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_insert_new_returns_only_the_rows_it_inserted_and_a_second_call_none():
    # given a store that already has ana, and a batch with ana, bea twice and cleo
    store = StoreFactory()
    CustomerFactory(store=store, email="ana@example.com")
    emails = ["ana@example.com", "bea@example.com", "bea@example.com", "cleo@example.com"]
    batch = [Customer(store=store, email=email) for email in emails]
    # when it is inserted
    inserted = insert_new(batch, returning=("id", "email"))
    # then only bea and cleo were new, each once, with their real ids and timestamps
    assert sorted(email for _pk, email in inserted) == ["bea@example.com", "cleo@example.com"]
    for pk, email in inserted:
        assert Customer.objects.get(pk=pk).email == email
        assert Customer.objects.get(pk=pk).created_at is not None
    assert Customer.objects.filter(store=store).count() == 3
    # and the same batch again inserts nothing
    assert insert_new([Customer(store=store, email=email) for email in emails], returning=("id",)) == []
    assert Customer.objects.filter(store=store).count() == 3
