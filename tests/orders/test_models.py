import pytest
from django.db import IntegrityError, transaction

from apps.orders.models import Order
from tests.orders.factories import CartFactory, OrderFactory, ProductFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("factory", [OrderFactory, ProductFactory, CartFactory], ids=["order", "product", "cart"])
def test_an_external_id_is_unique_within_a_store(factory):
    # given a row with external id X in a store
    first = factory(external_id="X-1")
    # when another row of the same store takes X, then the database refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(store=first.store, external_id="X-1")


@pytest.mark.parametrize("factory", [OrderFactory, ProductFactory, CartFactory], ids=["order", "product", "cart"])
def test_the_same_external_id_may_live_in_two_stores(factory):
    # given a row with external id X in store A
    factory(external_id="X-1", store=StoreFactory(slug="a"))
    # when store B receives X too, then both exist
    factory(external_id="X-1", store=StoreFactory(slug="b"))
    assert factory._meta.model.objects.filter(external_id="X-1").count() == 2


def test_an_order_status_outside_the_choices_is_refused():
    order = OrderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(status="teleported")


def test_every_order_gets_its_own_unguessable_tracking_token():
    # given many orders
    tokens = {OrderFactory().tracking_token for _ in range(20)}
    # then all tokens differ and carry at least 128 bits (22 url-safe base64 characters)
    assert len(tokens) == 20
    assert all(len(token) >= 22 for token in tokens)


def test_the_tracking_url_carries_the_token_not_the_id():
    order = OrderFactory()
    assert order.get_tracking_url() == f"/t/{order.tracking_token}/"
    assert str(order.pk) not in order.get_tracking_url().replace(order.tracking_token, "")
