"""Every shipment status is told truly, in the buyer's language, and alike on the tracking page and in the
shipping emails: the same headline, the same line about what happens next, the same progress words."""

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import translation

from apps.campaigns.dispatch import build_email
from apps.campaigns.models import FlowKind, FlowStep
from apps.shipments.models import ShipmentStatus
from apps.tracking.progress import NEXT_STEPS, STATUS_LABELS, STEP_LABELS
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "ru", "it", "ko", "kk"]
STATUSES = list(ShipmentStatus.values)
NOW = datetime(2025, 6, 20, 10, 0, tzinfo=UTC)


def buyer_order(language: str, **customer):
    store = StoreFactory(
        name="Northwind", languages=LANGUAGES, default_language="en", time_zone="Europe/Rome", support_email=""
    )
    buyer = CustomerFactory(store=store, locale=language, time_zone="", **customer)
    return OrderFactory(store=store, customer=buyer, locale=language)


def page_of(client, order, language: str) -> str:
    response = client.get(order.get_tracking_url(), {"lang": language})
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def page_headline(page: str) -> str:
    return re.search(r'<h2 id="shipment-1-title"[^>]*>(.*?)</h2>', page, re.S).group(1).strip()


def email_for(shipment) -> str:
    """The shipping email about this shipment, rendered as it is sent (in the customer's language)."""
    step = FlowStep.objects.get(store=shipment.store, flow__kind=FlowKind.SHIPMENT_UPDATE, key="exception")
    message = MessageFactory(
        store=shipment.store,
        step=step,
        customer=shipment.order.customer,
        order=shipment.order,
        shipment=shipment,
        subject_key=f"shipment:{shipment.pk}",
    )
    email, _rendered = build_email(message)
    return html.unescape(email.alternatives[0][0])


def email_heading(email: str) -> str:
    """The status heading of the email's shipment block (the body's own words use <h1>)."""
    return re.search(r"<h2[^>]*>(.*?)</h2>", email, re.S).group(1).strip()


def in_language(language: str, text) -> str:
    with translation.override(language):
        return str(text)


# --- The headline and what happens next, page and email alike -----------------------------------
@time_machine.travel(NOW)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", STATUSES)
def test_each_status_has_one_headline_in_the_buyers_language_on_the_page_and_in_the_email(client, status, language):
    # given a buyer reading `language` and a parcel in `status`, with a recent carrier event
    order = buyer_order(language)
    shipment = ShipmentFactory(order=order, store=order.store, status=status, last_event_at=NOW - timedelta(hours=2))
    TrackingEventFactory(shipment=shipment, status=status, occurred_at=NOW - timedelta(hours=2))
    # when the page is opened and the shipping email is rendered
    page, email = page_of(client, order, language), email_for(shipment)
    # then both carry the buyer's word for the status, translated (English only for English), and the same
    expected = in_language(language, STATUS_LABELS[status])
    assert page_headline(page) == expected
    assert email_heading(email) == expected
    if language != "en":
        assert expected != in_language("en", STATUS_LABELS[status])
        # never the dashboard's term ("Pending", "Exception") in a translated email
        assert email_heading(email) != in_language("en", ShipmentStatus(status).label)
    # and the line saying what happens next is the same on both, in the same language
    next_step = in_language(language, NEXT_STEPS[status])
    if "%(store)s" in next_step:
        next_step %= {"store": "Northwind"}
    assert next_step in page
    assert next_step in email
    if language != "en":
        assert next_step != in_language("en", NEXT_STEPS[status]) % {"store": "Northwind"}


@pytest.mark.parametrize("language", ["ru", "it", "ko", "kk"])
def test_every_status_and_next_step_is_translated_at_run_time(language):
    for status in STATUSES:
        for words in (STATUS_LABELS[status], NEXT_STEPS[status]):
            assert in_language(language, words) != in_language("en", words), (status, language)


@time_machine.travel(NOW)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_email_shows_the_pages_progress_steps_in_the_buyers_language(client, language):
    order = buyer_order(language)
    shipment = ShipmentFactory(order=order, store=order.store, status=ShipmentStatus.OUT_FOR_DELIVERY)
    TrackingEventFactory(shipment=shipment, status=ShipmentStatus.OUT_FOR_DELIVERY, occurred_at=NOW)
    page, email = page_of(client, order, language), email_for(shipment)
    page_steps = re.findall(r'<span class="step-label">(.*?)</span>', page)
    email_steps = re.findall(r'<td class="step-(\w+)"[^>]*>(.*?)</td>', email)
    assert page_steps == [in_language(language, label) for label in STEP_LABELS]
    assert [label for _state, label in email_steps] == page_steps
    assert [state for state, _label in email_steps] == ["done", "done", "done", "current", "todo"]


# --- Ready for pickup: where, until when, and never late -----------------------------------------
@time_machine.travel(NOW)
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Collect it at Tabaccheria Rossi, Via Roma 5 by July 3."),
        ("ru", "Забрать посылку можно до 3 июля здесь: Tabaccheria Rossi, Via Roma 5."),
        ("it", "Puoi ritirare il pacco presso Tabaccheria Rossi, Via Roma 5 entro giovedì 3 luglio."),
        ("ko", "7월 3일까지 Tabaccheria Rossi, Via Roma 5에서 찾아가세요."),
        ("kk", "Сәлемдемені мына жерден алыңыз: Tabaccheria Rossi, Via Roma 5. Соңғы алу күні: 3 шілде."),
    ],
)
def test_a_parcel_at_a_pickup_point_says_where_and_until_when_on_the_page_and_in_the_email(client, language, expected):
    # given a parcel waiting at a pickup point the carrier named, with a deadline, past its estimated day
    order = buyer_order(language, first_name="Ana")
    shipment = ShipmentFactory(
        order=order,
        store=order.store,
        status=ShipmentStatus.AVAILABLE_FOR_PICKUP,
        pickup_location="Tabaccheria Rossi, Via Roma 5",
        pickup_deadline=date(2025, 7, 3),
        estimated_delivery=date(2025, 6, 15),
        last_event_at=NOW - timedelta(days=6),
    )
    TrackingEventFactory(
        shipment=shipment, status=ShipmentStatus.AVAILABLE_FOR_PICKUP, occurred_at=NOW - timedelta(days=6)
    )
    page, email = page_of(client, order, language), email_for(shipment)
    # then the page and the email say where to collect it and until when
    assert expected in page
    assert expected in email
    # and neither tells it as on its way, late or expected on a day
    card = page.split('id="shipment-1-title"')[1]
    for words in ("Your parcel is running late", "Your parcel seems delayed", "Estimated delivery"):
        assert in_language(language, words) not in card
    assert 'class="notice' not in card
    assert in_language(language, STATUS_LABELS[ShipmentStatus.IN_TRANSIT]) not in page_headline(page)
    assert "2025-06-15" not in card


@time_machine.travel(NOW)
def test_a_pickup_parcel_without_a_named_place_points_to_the_carriers_notice(client):
    order = buyer_order("en")
    ShipmentFactory(order=order, store=order.store, status=ShipmentStatus.AVAILABLE_FOR_PICKUP, last_event_at=NOW)
    page = page_of(client, order, "en")
    assert "The carrier's notice or website says where to collect it." in page
    # a deadline alone is told too
    order = buyer_order("ru")
    ShipmentFactory(
        order=order, store=order.store, status=ShipmentStatus.AVAILABLE_FOR_PICKUP, pickup_deadline=date(2025, 7, 3)
    )
    assert "Заберите посылку до 3 июля." in page_of(client, order, "ru")


@time_machine.travel(NOW)
def test_a_pickup_parcel_is_never_late_or_stalled_whatever_its_estimate_or_silence():
    from apps.tracking.selectors import shipment_delay

    shipment = ShipmentFactory(
        status=ShipmentStatus.AVAILABLE_FOR_PICKUP,
        estimated_delivery=date(2025, 6, 1),
        last_event_at=NOW - timedelta(days=12),
        shipped_at=NOW - timedelta(days=20),
    )
    assert shipment_delay(shipment, now=NOW, today=NOW.date()) == ""


# --- A failed attempt promises a retry only while it is news --------------------------------------
@time_machine.travel(NOW)
@pytest.mark.parametrize(
    ("language", "failed_on"),
    [("en", "June 12"), ("ru", "12 июня"), ("it", "giovedì 12 giugno"), ("ko", "6월 12일"), ("kk", "12 маусым")],
)
def test_an_old_failed_attempt_says_when_it_failed_and_promises_no_retry(client, language, failed_on):
    # given a delivery attempt that failed eight days ago, and nothing since
    order = buyer_order(language)
    attempt = datetime(2025, 6, 12, 15, 0, tzinfo=UTC)
    shipment = ShipmentFactory(
        order=order, store=order.store, status=ShipmentStatus.ATTEMPT_FAILED, last_event_at=attempt
    )
    TrackingEventFactory(shipment=shipment, status=ShipmentStatus.IN_TRANSIT, occurred_at=attempt - timedelta(days=1))
    TrackingEventFactory(shipment=shipment, status=ShipmentStatus.ATTEMPT_FAILED, occurred_at=attempt)
    page, email = page_of(client, order, language), email_for(shipment)
    # then the page and the email say when it failed, and neither promises a retry
    promise = in_language(language, NEXT_STEPS[ShipmentStatus.ATTEMPT_FAILED])
    for text in (page, email):
        assert failed_on in text
        assert promise not in text
    if language == "en":
        assert "A delivery attempt failed on June 12. If your parcel has not arrived, contact Northwind." in page
        assert "try again" not in page and "try again" not in email


@time_machine.travel(NOW)
def test_a_fresh_failed_attempt_says_what_usually_happens_next(client):
    order = buyer_order("en")
    shipment = ShipmentFactory(
        order=order, store=order.store, status=ShipmentStatus.ATTEMPT_FAILED, last_event_at=NOW - timedelta(hours=5)
    )
    TrackingEventFactory(shipment=shipment, status=ShipmentStatus.ATTEMPT_FAILED, occurred_at=NOW - timedelta(hours=5))
    page = page_of(client, order, "en")
    assert "The carrier will usually try again on the next working day" in page
    assert "A delivery attempt failed on" not in page


@time_machine.travel(NOW)
def test_a_recent_failed_attempt_followed_by_newer_carrier_news_promises_nothing(client):
    # given an attempt that failed yesterday, then a carrier scan the mapping knows nothing about
    order = buyer_order("en")
    failed = NOW - timedelta(days=1)
    shipment = ShipmentFactory(order=order, store=order.store, status=ShipmentStatus.ATTEMPT_FAILED, last_event_at=NOW)
    TrackingEventFactory(shipment=shipment, status=ShipmentStatus.ATTEMPT_FAILED, occurred_at=failed)
    TrackingEventFactory(
        shipment=shipment, status=ShipmentStatus.UNKNOWN, raw_status="", occurred_at=NOW - timedelta(hours=1)
    )
    page = page_of(client, order, "en")
    assert "try again" not in page
    assert "A delivery attempt failed on June 19." in page


# --- A returned parcel has not "arrived" ------------------------------------------------------------
def test_a_returned_order_is_not_told_as_arrived(client):
    order = buyer_order("ru", first_name="Ана")
    ShipmentFactory(order=order, store=order.store, status=ShipmentStatus.RETURNED)
    page = page_of(client, order, "ru")
    hero = page.split("</h1>")[0]
    assert "Ана, ваш заказ возвращается к нам" in hero
    assert "доставлен" not in hero  # "…, ваш заказ доставлен": what a returned order used to be told
