"""Why a buyer left a cart: the abandoned-cart email's six answers each open a page with that answer
pre-selected. Opening it (GET, HEAD: link scanners, previews) records nothing; a person's POST does, once,
and a later POST changes it. A forged, foreign or expired link opens nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from apps.feedback.links import cart_reason_path, cart_reason_token
from apps.orders.models import CartLeaveReason
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return StoreFactory(name="Northwind Coffee", languages=["en", "it", "ko"], default_language="en")


@pytest.fixture
def cart(store):
    return CartFactory(store=store, customer=CustomerFactory(store=store, locale="en"))


def answer(cart) -> tuple:
    cart.refresh_from_db()
    return cart.leave_reason, cart.leave_reason_note, cart.leave_reason_at


def test_opening_an_answer_link_records_nothing_and_preselects_it(client, cart):
    path = cart_reason_path(cart, "shipping_cost")
    for method in (client.get, client.head, client.get):
        assert method(path).status_code == 200
    assert answer(cart) == ("", "", None)
    page = client.get(path).content.decode()
    chosen = page.split('value="shipping_cost"')[1].split(">")[0]
    assert "checked" in chosen
    assert "checked" not in page.split('value="price"')[1].split(">")[0]
    assert "Northwind Coffee" in page
    # In the buyer's language (the customer's locale).
    cart.customer.locale = "it"
    cart.customer.save()
    assert 'lang="it"' in client.get(path).content.decode()
    assert answer(cart) == ("", "", None)


def test_a_post_records_the_answer_once_and_a_second_post_changes_it(client, cart):
    path = cart_reason_path(cart, "price")
    response = client.post(path, {"reason": "price", "note": "ignored unless other"})
    assert response.status_code == 303 and response["Location"].endswith("?sent=1")
    reason, note, first_at = answer(cart)
    assert (reason, note) == ("price", "")
    again = client.post(path, {"reason": "price", "note": ""})
    assert again.status_code == 303
    assert answer(cart) == ("price", "", first_at)  # the same answer twice is one answer
    client.post(path, {"reason": "other", "note": "  The colour I wanted was sold out  "})
    assert answer(cart)[:2] == ("other", "The colour I wanted was sold out")
    thanks = client.get(f"{path}?sent=1").content.decode()
    assert "Thank you for telling us" in thanks
    assert cart.recovery_url in thanks


def test_a_bad_post_says_what_is_wrong_and_writes_nothing(client, cart):
    path = cart_reason_path(cart, "price")
    response = client.post(path, {"reason": "free money"})
    assert response.status_code == 200
    assert "Choose what stopped you." in response.content.decode()
    too_long = client.post(path, {"reason": "other", "note": "x" * 501})
    assert too_long.status_code == 200
    assert answer(cart) == ("", "", None)


def test_forged_foreign_unknown_and_expired_links_open_nothing(client, cart, store):
    other = CartFactory(store=StoreFactory())
    token = cart_reason_token(cart)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/cart/{forged}/price/").status_code == 404
    assert client.post(f"/cart/{forged}/price/", {"reason": "price"}).status_code == 404
    assert client.get(f"/cart/{token}/free-gift/").status_code == 404
    # An NPS token (another salt) for the same id is not a cart link.
    from apps.feedback.links import nps_token

    assert client.get(f"/cart/{nps_token(cart)}/price/").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert client.get(f"/cart/{token}/price/").status_code == 404
        assert client.post(f"/cart/{token}/price/", {"reason": "price"}).status_code == 404
    assert answer(cart) == ("", "", None)
    assert answer(other) == ("", "", None)
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert client.post(f"/cart/{token}/price/", {"reason": "price"}).status_code == 303
    assert answer(cart)[0] == "price"
    assert answer(other) == ("", "", None)


def test_a_cross_site_post_without_the_form_token_is_refused(cart):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(cart_reason_path(cart, "price"), {"reason": "price"})
    assert response.status_code == 403
    assert answer(cart) == ("", "", None)


def test_every_reason_has_a_link_and_a_page():
    assert len(CartLeaveReason.values) == 6
