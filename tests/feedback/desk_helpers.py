"""Shared givens for the critics desk tests: a detractor's case with a buyer, a parcel and a saved reply."""

import base64
import copy
import json
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from apps.feedback.models import SavedReply
from apps.feedback.services.nps import nps_add_comment, nps_record
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory

INBOUND = Path(__file__).resolve().parents[1] / "fixtures" / "outbound" / "anymail_inbound"
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"user:pass").decode()}


def detractor_case(
    store, *, locale="ko", first_name="지민", hours_ago=2, email="jimin@example.com", number="#2044", **customer
):
    customer.setdefault("last_name", "Kim")
    buyer = CustomerFactory(store=store, first_name=first_name, email=email, locale=locale, **customer)
    order = OrderFactory(store=store, customer=buyer, number=number, locale=locale)
    shipment = ShipmentFactory(order=order, status="delivered", carrier="cj", tracking_number=f"CJ{number[1:]}")
    TrackingEventFactory(shipment=shipment, status="in_transit", message="Left the hub")
    response = nps_record(order=order, score=3, at=timezone.now() - timedelta(hours=hours_ago))
    nps_add_comment(response=response, comment="상자가 찌그러졌어요", topics=["packaging"])
    return response.case


def korean_saved_reply(store):
    return SavedReply.objects.create(
        store=store,
        title="사과",
        language="ko",
        subject="{order} 주문 관련 안내",
        body="{name}님, 불편을 드려 죄송해요. 배송 조회: {tracking_link}",
    )


def postmark_inbound(*, to: str, event_id: str, text: str, message_id: str = "<reply-1@mail.example.org>") -> str:
    """The published Postmark inbound fixture, addressed to `to` (a case address), as JSON to POST."""
    payload = copy.deepcopy(json.loads((INBOUND / "postmark_inbound_anymail_test.json").read_text()))
    payload["OriginalRecipient"] = to
    payload["ToFull"][0]["Email"] = to
    payload["MessageID"] = event_id
    payload["TextBody"] = text
    payload["Headers"] = [h for h in payload["Headers"] if h["Name"] != "Message-ID"] + [
        {"Name": "Message-ID", "Value": message_id}
    ]
    return json.dumps(payload)
