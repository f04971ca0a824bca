"""Money and dates read the same in an email and on the buyer pages, written as each language's shops write
them: one helper (apps.core.formats) for both."""

import html
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.campaigns.context import message_context
from apps.campaigns.dispatch import build_email
from apps.core.formats import delivery_day, long_date, money
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import StoreFactory

NBSP, NNBSP = "\xa0", "\u202f"
DAY = date(2026, 12, 1)  # a Tuesday


@pytest.mark.parametrize(
    ("language", "currency", "amount", "expected"),
    [
        ("ru", "RUB", "39000", f"39{NBSP}000{NBSP}₽"),
        ("ru", "RUB", "39000.50", f"39{NBSP}000,50{NBSP}₽"),
        ("ru", "EUR", "39000", f"39{NBSP}000,00{NBSP}€"),
        ("ko", "KRW", "39000", "39,000원"),
        ("kk", "KZT", "39000", f"39{NBSP}000{NBSP}₸"),
        ("it", "EUR", "39000", f"39.000,00{NBSP}€"),
        ("en", "EUR", "39000", "€39,000.00"),
        ("en", "KRW", "39000", "₩39,000"),
    ],
)
def test_money_is_written_as_the_languages_shops_write_it(language, currency, amount, expected):
    assert money(Decimal(amount), currency, language) == expected


def test_money_without_an_amount_is_empty_and_odd_input_prints_as_it_is():
    assert money(None, "EUR", "en") == ""
    assert money("", "EUR", "en") == ""
    assert money("n/a", "EUR", "en") == "n/a"
    assert money("1234.5", "", "ru") == f"1{NBSP}234,5"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", f"1 декабря 2026{NNBSP}г."),
        ("ko", "2026년 12월 1일"),
        ("kk", f"2026{NNBSP}ж. 1 желтоқсан"),
        ("it", "1 dicembre 2026"),
        ("en", "December 1, 2026"),
    ],
)
def test_a_date_is_the_languages_long_form(language, expected):
    assert long_date(DAY, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", "вт, 1 дек."),
        ("ko", "12월 1일 화요일"),
        ("kk", "1 желтоқсан, сейсенбі"),  # not '1 жел., сс'
        ("it", "mar 1 dic"),
        ("en", "Tue, Dec 1"),
    ],
)
def test_a_delivery_day_names_its_weekday_readably(language, expected):
    assert delivery_day(DAY, language) == expected


def test_a_moment_is_dated_in_the_active_time_zone():
    late_evening_utc = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
    with timezone.override("Asia/Almaty"):  # already 1 December there
        assert long_date(late_evening_utc, "kk") == f"2026{NNBSP}ж. 1 желтоқсан"
    assert long_date(None, "kk") == ""


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "currency"), [("kk", "KZT"), ("ko", "KRW"), ("ru", "RUB"), ("it", "EUR")])
def test_an_email_and_the_tracking_page_of_one_order_show_the_same_money_and_dates(client, language, currency):
    store = StoreFactory(languages=["en", language], default_language=language, currency=currency,
                         time_zone="Asia/Almaty")  # fmt: skip
    buyer = CustomerFactory(store=store, locale=language, time_zone="Asia/Almaty")
    order = OrderFactory(store=store, customer=buyer, subtotal=Decimal("39000"), shipping_total=Decimal("0"),
                         placed_at=datetime(2026, 11, 30, 22, 30, tzinfo=UTC))  # fmt: skip
    OrderLineFactory(order=order, product=None, title="Tea set", unit_price=Decimal("39000"))
    shipment = ShipmentFactory(order=order, in_transit=True, estimated_delivery=DAY)
    message = MessageFactory(store=store, order=order, customer=buyer, shipment=shipment, email=buyer.email)
    # the email's words for them
    context = message_context(message, language=language, blocks=())
    total, placed, eta = (
        context["order"]["total"],
        context["order"]["placed_at"],
        context["shipment"]["estimated_delivery"],
    )
    assert total == money(Decimal("39000"), currency, language)
    assert placed == long_date(DAY, language)  # 1 December in the buyer's zone, as on the page
    assert eta == delivery_day(DAY, language)
    email, _rendered = build_email(message)
    assert total in html.unescape(email.alternatives[0][0])  # the confirmation's order lines (&nbsp; inlined)
    assert total in email.body  # the text part keeps the non-breaking spaces: "39 000 ₸" never breaks
    # and the tracking page's
    page = client.get(order.get_tracking_url(), {"lang": language}).content.decode()
    assert total in page
    assert placed in page
    assert eta in page
