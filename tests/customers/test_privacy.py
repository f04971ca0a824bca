"""GDPR: a buyer's data exported whole, and erased without changing the store's figures."""

import json
from decimal import Decimal

import pytest
from django.db.models import Sum

from apps.campaigns.models import Message
from apps.customers.models import ConsentSource, SuppressionReason
from apps.customers.privacy import EXPORT_SECTIONS, EraseError, customer_erase, customer_export, parts_in_order
from apps.customers.services import customer_set_marketing_consent
from apps.feedback.models import CriticCase
from apps.feedback.services.nps import nps_add_comment, nps_record
from apps.orders.models import Order
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, OrderFactory, OrderLineFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    """A buyer with two orders, a shipment, a cart, an email, an NPS comment, a case and consent history."""
    store = StoreFactory()
    customer = CustomerFactory(store=store, email="ana@example.com", first_name="Ana", last_name="Rossi", phone="+39 1")
    customer_set_marketing_consent(customer=customer, granted=True, source=ConsentSource.CHECKOUT, note="order #1")
    orders = [OrderFactory(store=store, customer=customer, total=Decimal("40.00")) for _ in range(2)]
    OrderLineFactory(order=orders[0])
    TrackingEventFactory(shipment=ShipmentFactory(order=orders[0]))
    CartFactory(store=store, customer=customer)
    MessageFactory(store=store, customer=customer, email=customer.email, order=orders[0], sent=True)
    response = nps_record(order=orders[0], score=2)
    nps_add_comment(response=response, comment="Ana here: the box arrived crushed at Via Roma 3", topics=["packaging"])
    CriticCase.objects.filter(response=response).update(resolution_note="Called Ana on +39 1")
    customer.refresh_from_db()
    return customer


def test_the_export_holds_everything_about_the_buyer_as_json(buyer):
    data = customer_export(customer=buyer)
    # it is plain JSON
    json.dumps(data)
    assert data["customer"]["email"] == "ana@example.com"
    assert data["customer"]["phone"] == "+39 1"
    assert len(data["orders"]) == 2
    assert data["orders"][0]["shipments"][0]["events"]
    assert data["carts"] and data["emails"] and data["consent_history"]
    assert data["nps_answers"][0]["comment"].startswith("Ana here")


def test_erasing_anonymises_the_buyer_and_keeps_the_figures(buyer):
    # given the store's revenue before
    revenue = Order.objects.filter(store=buyer.store).aggregate(total=Sum("total"))["total"]
    # when the owner erases the buyer, typing their email
    customer_erase(customer=buyer, confirm_email="ANA@example.com ")
    buyer.refresh_from_db()
    # then nothing identifies them
    assert buyer.email == f"erased-{buyer.pk}@invalid"
    assert (buyer.first_name, buyer.last_name, buyer.phone) == ("", "", "")
    assert buyer.suppression_reason == SuppressionReason.ERASED and buyer.suppressed_at is not None
    assert not buyer.marketing_consent
    assert not Order.objects.filter(email="ana@example.com").exists()
    assert set(Order.objects.filter(customer=buyer).values_list("shipping_name", flat=True)) == {""}
    assert not Message.objects.filter(email="ana@example.com").exists()
    assert set(Message.objects.filter(customer=buyer).values_list("body_html", flat=True)) == {""}
    assert buyer.nps_responses.get().comment == ""
    assert CriticCase.objects.get().resolution_note == ""
    assert set(buyer.consent_events.values_list("note", flat=True)) == {""}
    assert "ana" not in json.dumps(customer_export(customer=buyer)).lower()
    # and the orders, amounts and the NPS score still count
    assert Order.objects.filter(customer=buyer).count() == 2
    assert Order.objects.filter(store=buyer.store).aggregate(total=Sum("total"))["total"] == revenue
    assert buyer.nps_responses.get().score == 2


def test_erasing_needs_the_buyers_email_typed(buyer):
    with pytest.raises(EraseError):
        customer_erase(customer=buyer, confirm_email="someone@example.com")
    buyer.refresh_from_db()
    assert buyer.email == "ana@example.com" and buyer.first_name == "Ana"


def test_erasing_blanks_raw_deliveries_about_the_buyer_at_once(buyer):
    # given deliveries about the buyer (by address, by order id, by parcel) and one about someone else
    from django.utils import timezone

    from apps.integrations.models import InboundEvent

    order = Order.objects.filter(customer=buyer).order_by("pk").first()
    Order.objects.filter(pk=order.pk).update(external_id="shop-1001")
    shipment = order.shipments.get()
    now = timezone.now()

    def delivery(body: str, *, object_id: str = "", summary: str = "") -> InboundEvent:
        return InboundEvent.objects.create(
            store=buyer.store,
            source="shopify",
            body=body,
            headers={"X-Shopify-Topic": "orders/create"},
            object_id=object_id,
            summary=summary,
            received_at=now,
            last_received_at=now,
        )

    by_address = delivery('{"email": "Ana@Example.com", "phone": "+39 1"}', summary="Customer ana@example.com saved")
    by_order = delivery('{"id": "shop-1001", "shipping_address": {"name": "Ana Rossi"}}', object_id="shop-1001")
    by_parcel = delivery('{"tracking_number": "X", "customer_name": "Ana Rossi"}', object_id=shipment.tracking_number)
    other = delivery('{"email": "bob@example.com"}', object_id="shop-2002")
    # when she is erased
    customer_erase(customer=buyer, confirm_email="ana@example.com")
    # then the raw bodies and headers about her are gone now, the rows stay; Bob's delivery is untouched
    for event in (by_address, by_order, by_parcel):
        event.refresh_from_db()
        assert (event.body, event.headers) == ("", {})
        assert "ana@example.com" not in event.summary
    other.refresh_from_db()
    assert other.body == '{"email": "bob@example.com"}'
    assert InboundEvent.objects.count() == 4


def test_the_export_keeps_the_layout_of_its_format(buyer):
    assert list(customer_export(customer=buyer)) == [
        "format",
        "version",
        "exported_at",
        "store",
        "customer",
        "consent_history",
        *EXPORT_SECTIONS,
    ]


def test_every_app_holding_buyer_data_registers_its_part_and_the_orders_part_erases_first():
    names = [part.name for part in parts_in_order()]
    assert set(names) == {"orders", "shipments", "integrations", "campaigns", "feedback", "reviews"}
    # the others read the order ids and shop ids the orders part finds; integrations reads the parcels' too
    assert names.index("orders") < names.index("shipments") < names.index("integrations")
    assert names.index("orders") < min(names.index("feedback"), names.index("reviews"))
