"""Which language a buyer page speaks: ?lang= (remembered), the customer's locale, the browser, the store."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from apps.tracking.buyer import LANGUAGE_COOKIE, accept_language, choose_language
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.fixture
def order():
    store = StoreFactory(languages=["en", "it", "ru"], default_language="it")
    customer = CustomerFactory(store=store, locale="")
    return OrderFactory(store=store, customer=customer, locale="")


def test_with_nothing_to_go_on_the_store_default_is_used(client, order):
    assert html_lang(client.get(order.get_tracking_url())) == "it"


def test_the_browser_language_is_used_when_the_store_offers_it(client, order):
    response = client.get(order.get_tracking_url(), headers={"Accept-Language": "ko;q=1, ru-RU;q=0.8, en;q=0.5"})
    # Korean is not offered by this store: Russian is the browser's best offered choice
    assert html_lang(response) == "ru"


def test_the_customers_own_locale_beats_the_browser(client, order):
    order.customer.locale = "en"
    order.customer.save()
    response = client.get(order.get_tracking_url(), headers={"Accept-Language": "ru"})
    assert html_lang(response) == "en"


def test_lang_in_the_address_wins_and_is_remembered_in_a_cookie(client, order):
    order.customer.locale = "en"
    order.customer.save()
    # when the buyer picks Korean from the switcher
    response = client.get(order.get_tracking_url(), {"lang": "ko"}, headers={"Accept-Language": "ru"})
    assert html_lang(response) == "ko"
    assert response.cookies[LANGUAGE_COOKIE].value == "ko"
    assert response.cookies[LANGUAGE_COOKIE]["httponly"]
    # then later visits, and the live fragment, stay in Korean without the parameter
    assert html_lang(client.get(order.get_tracking_url())) == "ko"
    fragment = client.get(reverse("tracking:live", args=[order.tracking_token])).content.decode()
    assert "배송" in fragment or "주문" in fragment


def test_an_unknown_lang_is_ignored(client, order):
    response = client.get(order.get_tracking_url(), {"lang": "xx"})
    assert html_lang(response) == "it"
    assert LANGUAGE_COOKIE not in response.cookies


def test_the_page_is_translated_and_formats_money_for_the_language(client, order):
    ShipmentFactory(order=order, in_transit=True)
    page = client.get(order.get_tracking_url(), {"lang": "ru"}).content.decode()
    assert "Ваш заказ" in page
    assert "46,90\xa0€" in page  # 42.00 + 4.90 shipping, Russian style


def test_accept_language_is_read_by_quality_and_position():
    assert accept_language("it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7") == ["it", "en"]
    assert accept_language("en;q=0.2, kk") == ["kk", "en"]
    assert accept_language("de, *;q=0.1") == []
    assert accept_language("") == []


def test_choose_language_order_in_one_place():
    store = StoreFactory.build(languages=["en", "ko"], default_language="en")
    customer = CustomerFactory.build(store=store, locale="kk")
    factory = RequestFactory()
    browser = {"HTTP_ACCEPT_LANGUAGE": "ko"}
    assert choose_language(factory.get("/", {"lang": "ru"}, **browser), store=store, customer=customer) == ("ru", "ru")
    remembered = factory.get("/", **browser)
    remembered.COOKIES[LANGUAGE_COOKIE] = "it"
    assert choose_language(remembered, store=store, customer=customer) == ("it", "")
    assert choose_language(factory.get("/", **browser), store=store, customer=customer) == ("kk", "")
    assert choose_language(factory.get("/", **browser), store=store) == ("ko", "")
    assert choose_language(factory.get("/"), store=store) == ("en", "")


def test_the_order_lookup_speaks_the_browsers_language(client):
    store = StoreFactory(languages=["en", "kk"])
    response = client.get(store.get_lookup_url(), headers={"Accept-Language": "kk"})
    assert html_lang(response) == "kk"
    assert "Тапсырысыңызды" in response.content.decode()
