"""Carrier checkpoints in the reader's language where their meaning is known, the carrier's words one tap away;
the carrier's text as it is where the meaning is unknown. Buyers on the tracking page, staff on the dashboard."""

import html
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from apps.integrations.sources import aftership, easypost, seventeentrack
from apps.integrations.sources.shopify import mapping as shopify
from apps.shipments import substatus
from apps.shipments.models import ShipmentStatus
from apps.tracking.checkpoints import SENTENCES, checkpoint_sentence
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

BUYER_LANGUAGES = ["ru", "it", "ko", "kk"]
FIXTURES = Path(settings.BASE_DIR) / "tests" / "fixtures"


def said(source: str, code: str, language: str = "en") -> str:
    event = TrackingEventFactory.build(source=source, raw_status=code)
    with translation.override(language):
        return checkpoint_sentence(event)


# --- The table ------------------------------------------------------------------------------------
def test_every_meaning_has_a_sentence_and_every_sentence_a_meaning():
    assert set(SENTENCES) == set(substatus.MEANINGS)
    tables = (
        substatus.AFTERSHIP_SUBTAGS, substatus.AFTERSHIP_TAGS, substatus.EASYPOST_DETAILS,
        substatus.EASYPOST_STATUSES, substatus.SEVENTEENTRACK_CODES, substatus.SHOPIFY_STATUSES,
    )  # fmt: skip
    assert {meaning for table in tables for meaning in table.values()} == set(substatus.MEANINGS)


@pytest.mark.parametrize("language", BUYER_LANGUAGES)
def test_every_checkpoint_sentence_is_translated(language):
    for meaning, sentence in SENTENCES.items():
        with translation.override("en"):
            english = str(sentence)
        with translation.override(language):
            assert str(sentence) != english, (language, meaning)


def test_every_documented_aftership_subtag_and_tag_has_a_meaning():
    documented = json.loads((FIXTURES / "aftership" / "aftership_delivery_statuses.json").read_text())
    for subtag in documented["subtags_first_rows_2026_07"]:
        assert substatus.meaning("aftership", subtag), subtag
    for tag in documented["tags"]:
        assert substatus.meaning("aftership", tag), tag
    for code in [*aftership.STATUS_MAP, *aftership.SUBTAG_MAP]:
        assert substatus.meaning("aftership", code), code


def test_every_code_the_other_adapters_map_has_a_meaning():
    for status in easypost.STATUS_MAP:
        if status not in ("unknown", "error"):  # they say nothing about the parcel
            assert substatus.meaning("easypost", status), status
    for detail in easypost.DETAIL_MAP:
        assert substatus.meaning("easypost", f"in_transit:{detail}"), detail
    for code in [*seventeentrack.SUB_STATUS_MAP, *seventeentrack.STAGE_MAP]:
        assert substatus.meaning("17track", code), code
    for word in shopify.STATUS_MAP:
        assert substatus.meaning("shopify", word.upper()), word


def test_a_meaning_agrees_with_the_status_the_adapter_maps_the_code_to():
    """A sentence never contradicts its event's status: a code mapped to "returned" is not told as "delayed"."""
    families = {
        ShipmentStatus.RETURNED: {substatus.RETURNING, substatus.RETURNED},
        ShipmentStatus.DELIVERED: {
            substatus.DELIVERED, substatus.COLLECTED, substatus.SIGNED_FOR, substatus.PAID_ON_DELIVERY,
            substatus.LEFT_WITH_NEIGHBOUR,
        },
        ShipmentStatus.AVAILABLE_FOR_PICKUP: {substatus.READY_FOR_PICKUP},
    }  # fmt: skip
    mapped = [
        *(("aftership", code, aftership.map_status("", code)) for code in substatus.AFTERSHIP_SUBTAGS),
        *(("17track", code, seventeentrack.map_status("", code)) for code in seventeentrack.SUB_STATUS_MAP),
    ]
    for source, code, status in mapped:
        if status in families:
            assert substatus.meaning(source, code) in families[status], (source, code, status)


@pytest.mark.parametrize(
    ("source", "code", "expected"),
    [
        ("aftership", "InTransit_003", "The parcel arrived at a sorting centre."),
        ("aftership", "InTransit", "The parcel is on its way."),  # a checkpoint with a tag only
        ("aftership", "Exception_016", ""),  # AfterShip adds subtags: unknown ones are the carrier's text
        ("aftership", "Whatever", ""),
        ("easypost", "in_transit:arrived_at_facility", "The parcel arrived at a sorting centre."),
        ("easypost", "in_transit:unknown", "The parcel is on its way."),  # a detail that says nothing more
        ("easypost", "pre_transit", "The shipping label was created; the carrier will collect the parcel soon."),
        ("easypost", "in_transit:something_new", ""),
        ("17track", "DeliveryFailure_NoBody", "Nobody was available to receive the parcel."),
        ("17track", "Arrival", "The parcel has arrived in the destination country."),
        ("17track", "", ""),  # a plain carrier scan
        ("shopify", "ready_for_pickup", "The parcel is waiting at a pickup point."),
        ("csv", "InTransit_003", ""),  # another source's words are not AfterShip's
    ],
)
def test_codes_are_read_per_source(source, code, expected):
    assert said(source, code) == expected


# --- The tracking page -------------------------------------------------------------------------------
def page_in(client, language: str, *events) -> str:
    store = StoreFactory(languages=["en", *BUYER_LANGUAGES])
    order = OrderFactory(store=store, customer=CustomerFactory(store=store, locale=language), locale=language)
    shipment = ShipmentFactory(order=order, store=store, in_transit=True)
    for fields in events:
        TrackingEventFactory(shipment=shipment, **fields)
    response = client.get(order.get_tracking_url(), {"lang": language})
    assert response.status_code == 200
    return response.content.decode()


def timeline(page: str) -> str:
    return page.split('<ol class="timeline">')[1].split("</ol>")[0]


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("ru", "Посылка прибыла в сортировочный центр."),
        ("ko", "택배가 물류센터에 도착했어요."),
        ("it", "Il pacco è arrivato in un centro di smistamento."),
        ("kk", "Сәлемдеме сұрыптау орталығына жетті."),
        ("en", "The parcel arrived at a sorting centre."),
    ],
)
def test_a_known_checkpoint_reads_in_the_buyers_language_with_the_carriers_words_one_tap_away(
    client, language, sentence
):
    # given a carrier scan whose AfterShip subtag says "arrived at a hub or sorting center"
    page = page_in(
        client,
        language,
        {"source": "aftership", "raw_status": "InTransit_003", "message": "Arrived at the delivery depot"},
    )
    events = html.unescape(timeline(page))
    # then the timeline tells it in the buyer's language, and the carrier's words sit in a <details>,
    # marked as of no known language (lang="")
    assert f'<span class="event-message">{sentence}</span>' in events
    original = re.search(r'<details class="event-original"><summary>(.*?)</summary><span lang="">(.*?)</span>', events)
    assert original is not None
    assert original.group(2) == "Arrived at the delivery depot"
    with translation.override(language):
        assert original.group(1) == translation.gettext("The carrier's original text")
    # and the carrier's English is not what the buyer reads first
    assert events.index(sentence) < events.index("Arrived at the delivery depot")


def test_an_unknown_checkpoint_shows_the_carriers_text_as_it_is_without_claiming_a_language(client):
    page = page_in(client, "ru", {"source": "aftership", "raw_status": "Exception_016", "message": "Held at depot"})
    events = timeline(page)
    assert '<span class="event-message" lang="">Held at depot</span>' in events
    assert "<details" not in events


def test_a_known_checkpoint_without_carrier_text_shows_the_sentence_alone(client):
    page = page_in(client, "ko", {"source": "17track", "raw_status": "DeliveryFailure_NoBody", "message": ""})
    events = timeline(page)
    assert "택배를 받을 수 있는 분이 안 계셨어요." in events
    assert "<details" not in events


# --- The dashboard ------------------------------------------------------------------------------------
def test_staff_read_the_checkpoint_in_their_language_with_the_raw_code_beside_it(client):
    # given a Korean-speaking owner and a shipment with one known and one unknown carrier code
    member = MembershipFactory(role="owner", store__default_language="ko", store__languages=["ko"])
    client.force_login(member.user)
    shipment = ShipmentFactory(order__store=member.store, store=member.store, in_transit=True)
    TrackingEventFactory(shipment=shipment, source="aftership", raw_status="InTransit_001", message="In Transit")
    TrackingEventFactory(shipment=shipment, source="aftership", raw_status="Exception_099", message="Strange scan")
    # when they open the shipment
    page = client.get(reverse("dashboard:shipment_detail", args=[shipment.pk])).content.decode()
    events = page.split('<ol class="timeline">')[1].split("</ol>")[0]
    # then the known code reads as a sentence first, and every code stays visible, muted, after it
    assert events.index("택배가 배송 중이에요.") < events.index("aftership: InTransit_001")
    assert re.search(r'<span class="muted small" translate="no"> · aftership: InTransit_001</span>', events)
    assert re.search(r'<span class="muted small" translate="no"> · aftership: Exception_099</span>', events)
    # and no line is the raw code alone: each event has its status badge
    assert events.count('class="badge') == 2
