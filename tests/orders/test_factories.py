import pytest

from apps.orders.models import OrderStatus
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, CartLineFactory, OrderFactory, OrderLineFactory, ProductFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_an_order_and_its_customer_share_a_store_however_it_is_asked_for():
    plain = OrderFactory()
    assert plain.customer.store == plain.store
    store = StoreFactory()
    assert OrderFactory(store=store).customer.store == store
    customer = CustomerFactory()
    by_customer = OrderFactory(customer=customer)
    assert by_customer.store == customer.store
    assert by_customer.email == customer.email
    assert by_customer.currency == customer.store.currency
    assert by_customer.total == by_customer.subtotal - by_customer.discount_total + by_customer.shipping_total


def test_lines_products_and_carts_follow_their_parents_store():
    order = OrderFactory()
    line = OrderLineFactory(order=order)
    assert line.store == order.store == line.product.store
    assert (line.title, line.unit_price) == (line.product.name, line.product.price)
    assert ProductFactory(store=order.store).currency == order.store.currency
    cart_line = CartLineFactory()
    assert cart_line.store == cart_line.cart.store == cart_line.product.store == cart_line.cart.customer.store


def test_a_converted_cart_points_at_an_order_of_the_same_buyer_and_store():
    cart = CartFactory(converted=True)
    assert cart.converted_order.customer == cart.customer
    assert cart.converted_order.store == cart.store
    assert cart.converted_at == cart.converted_order.placed_at


def test_order_traits():
    cancelled = OrderFactory(cancelled=True)
    assert cancelled.status == OrderStatus.CANCELLED and cancelled.cancelled_at > cancelled.placed_at
    assert OrderFactory(guest=True).customer is None
