"""Order and shipment emails: exactly the configured ones, each once, in the buyer's language."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from apps.campaigns.models import FlowKind, Message, MessageStatus
from apps.customers.inputs import CustomerIn
from apps.orders.inputs import LineIn, OrderIn
from apps.orders.services import order_upsert
from apps.shipments.inputs import EventIn, ShipmentIn
from apps.shipments.models import ShipmentStatus as S
from apps.shipments.services import shipment_record_events, shipment_upsert

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def just_after_now():
    """Orders and parcel events arrive as they happen: these emails are news."""
    with time_machine.travel(NOW + timedelta(minutes=1)):
        yield


def place_order(store, *, locale="en", external_id="1001", email="ana@example.com"):
    data = OrderIn(
        external_id=external_id,
        number=f"#{external_id}",
        placed_at=NOW,
        currency="EUR",
        email=email,
        customer=CustomerIn(email=email, first_name="Ana", locale=locale),
        total=Decimal("42.50"),
        subtotal=Decimal("42.50"),
        lines=[LineIn(title="Espresso beans", quantity=2, unit_price=Decimal("21.25"))],
    )
    return order_upsert(store=store, data=data)[0]


def test_an_order_gets_one_confirmation_even_when_the_webhook_comes_twice(
    flows, store, mailoutbox, django_capture_on_commit_callbacks
):
    # when the same order arrives twice
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(store)
    with django_capture_on_commit_callbacks(execute=True):
        place_order(store)
    # then one confirmation went out, with the order and its tracking link
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["ana@example.com"]
    assert email.subject == "Thank you for your order #1001"
    html = email.alternatives[0][0]
    assert "Espresso beans" in html
    assert order.get_tracking_url() in html
    assert order.get_tracking_url() in email.body  # the plain-text part carries the link too
    message = Message.objects.get(order=order)
    assert (message.status, message.transactional, message.step.flow.kind) == (
        MessageStatus.SENT,
        True,
        FlowKind.ORDER_CONFIRMATION,
    )
    assert email.anymail_test_params["tags"] == ["order_confirmation", "confirmation"]
    assert email.anymail_test_params["metadata"]["message_id"] == str(message.pk)


def test_the_confirmation_speaks_the_buyers_language(flows, store, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        place_order(store, locale="ko")
    message = Message.objects.get()
    assert message.language == "ko"
    assert mailoutbox[0].subject != "Thank you for your order #1001"
    assert "#1001" in mailoutbox[0].subject


def test_a_disabled_flow_sends_nothing(flows, store, mailoutbox, django_capture_on_commit_callbacks):
    flows[FlowKind.ORDER_CONFIRMATION].enabled = False
    flows[FlowKind.ORDER_CONFIRMATION].save()
    with django_capture_on_commit_callbacks(execute=True):
        place_order(store)
    assert mailoutbox == []
    assert not Message.objects.exists()


def test_a_shipment_and_each_status_change_send_their_email_once(
    flows, store, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(store)
    mailoutbox.clear()

    def scan(hours, status):
        """The carrier reports each status a minute after it happens."""
        event = EventIn(occurred_at=NOW + timedelta(hours=hours), status=status, raw_status=status, source="test")
        with (
            time_machine.travel(event.occurred_at + timedelta(minutes=1)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            shipment_record_events(shipment=shipment, incoming=[event])

    with django_capture_on_commit_callbacks(execute=True):
        shipment, _ = shipment_upsert(order=order, data=ShipmentIn(tracking_number="1Z999AA10123456784"))
    for _ in range(2):  # every event delivered twice
        scan(1, S.IN_TRANSIT)
        scan(20, S.OUT_FOR_DELIVERY)
        scan(25, S.DELIVERED)
    subjects = [email.subject for email in mailoutbox]
    assert subjects == [
        "Your order #1001 is on its way",
        "Arriving today: order #1001",
        "Delivered: order #1001",
    ]
    confirmation = mailoutbox[0].alternatives[0][0]
    assert "UPS" in confirmation and "1Z999AA10123456784" in confirmation
    # the delivered follow-up is planned for three days later, not sent now
    follow_up = Message.objects.get(step__flow__kind=FlowKind.DELIVERED_FOLLOWUP)
    assert follow_up.status == MessageStatus.SCHEDULED
    assert follow_up.scheduled_for > NOW + timedelta(days=2)


def test_an_out_for_delivery_email_is_skipped_if_the_parcel_was_delivered_meanwhile(flows, store, mailoutbox):
    from apps.campaigns.dispatch import message_send

    order = place_order(store)
    shipment, _ = shipment_upsert(order=order, data=ShipmentIn(tracking_number="1Z999AA10123456784"))
    shipment_record_events(
        shipment=shipment,
        incoming=[
            EventIn(occurred_at=NOW, status=S.OUT_FOR_DELIVERY, raw_status="x", source="t"),
            EventIn(occurred_at=NOW + timedelta(hours=1), status=S.DELIVERED, raw_status="y", source="t"),
        ],
    )
    from apps.campaigns.services.messages import Planned, messages_schedule

    step = flows[FlowKind.SHIPMENT_UPDATE].steps.get(key="out-for-delivery")
    (message,) = messages_schedule(
        [
            Planned(
                step=step,
                subject_key=f"shipment:{shipment.pk}",
                email=order.email,
                scheduled_for=NOW,
                order_id=order.pk,
                shipment_id=shipment.pk,
            )
        ]
    )
    outcome = message_send(message_id=message.pk)
    message.refresh_from_db()
    assert outcome.status == MessageStatus.SKIPPED
    assert "delivered" in message.reason
    assert mailoutbox == []


def test_a_suppressed_address_receives_nothing_more(flows, store, mailoutbox, django_capture_on_commit_callbacks):
    from apps.customers.models import Customer, SuppressionReason
    from apps.customers.services import customer_suppress

    with django_capture_on_commit_callbacks(execute=True):
        place_order(store, external_id="1")
    customer_suppress(customer=Customer.objects.get(email="ana@example.com"), reason=SuppressionReason.BOUNCE)
    with django_capture_on_commit_callbacks(execute=True):
        place_order(store, external_id="2")
    assert len(mailoutbox) == 1
    second = Message.objects.get(order__external_id="2")
    assert second.status == MessageStatus.SUPPRESSED
    assert second.trace[-1]["rule"] == "suppression"
