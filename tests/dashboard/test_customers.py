"""Customer pages: filters, the profile with everything about the buyer, GDPR export and erasure."""

import json

import pytest
from django.urls import reverse

from apps.customers.models import Customer
from apps.feedback.services.nps import nps_record
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def signed_in(client, role):
    membership = MembershipFactory(role=role)
    client.force_login(membership.user)
    return membership


def test_the_profile_shows_orders_shipments_emails_and_nps_answers(client):
    support = signed_in(client, "support")
    customer = CustomerFactory(store=support.store)
    order = OrderFactory(store=support.store, customer=customer, number="#7777")
    ShipmentFactory(order=order, tracking_number="TRK-PROFILE")
    message = MessageFactory(store=support.store, customer=customer, sent=True, subject="Thanks for #7777")
    nps_record(order=order, score=4)
    response = client.get(reverse("dashboard:customer_detail", args=[customer.pk]))
    page = response.content.decode()
    for expected in ("#7777", "TRK-PROFILE", reverse("dashboard:message_detail", args=[message.pk]), "case"):
        assert expected in page, expected
    # support reads, but is offered no export or erase
    assert reverse("dashboard:customer_export", args=[customer.pk]) not in page


def test_customers_filter_by_rfm_segment_and_show_it(client):
    owner = signed_in(client, "owner")
    champion = CustomerFactory(store=owner.store, rfm_segment="champions")
    at_risk = CustomerFactory(store=owner.store, rfm_segment="at_risk")
    response = client.get(reverse("dashboard:customer_list"), {"segment": "champions"})
    assert response.context["page"].items == [champion]
    assert "Champions" in response.content.decode()
    # an unknown segment filters nothing
    items = client.get(reverse("dashboard:customer_list"), {"segment": "whales"}).context["page"].items
    assert {champion, at_risk} <= set(items)


def test_the_owner_downloads_the_export_and_erases_with_the_typed_email(client):
    owner = signed_in(client, "owner")
    customer = CustomerFactory(store=owner.store, email="zoe@example.com")
    OrderFactory(store=owner.store, customer=customer)
    export = client.get(reverse("dashboard:customer_export", args=[customer.pk]))
    assert export["Content-Disposition"].startswith("attachment")
    assert json.loads(export.content)["customer"]["email"] == "zoe@example.com"
    # a wrong confirmation erases nothing
    client.post(reverse("dashboard:customer_erase", args=[customer.pk]), {"confirm_email": "zo@example.com"})
    assert Customer.objects.get(pk=customer.pk).email == "zoe@example.com"
    client.post(reverse("dashboard:customer_erase", args=[customer.pk]), {"confirm_email": "zoe@example.com"})
    assert Customer.objects.get(pk=customer.pk).email == f"erased-{customer.pk}@invalid"


def test_a_manager_may_not_export_or_erase(client):
    manager = signed_in(client, "manager")
    customer = CustomerFactory(store=manager.store)
    assert client.get(reverse("dashboard:customer_export", args=[customer.pk])).status_code == 403
    assert (
        client.post(
            reverse("dashboard:customer_erase", args=[customer.pk]), {"confirm_email": customer.email}
        ).status_code
        == 403
    )
    assert Customer.objects.get(pk=customer.pk).email == customer.email


def test_the_attention_filter_includes_shipments_flagged_by_the_delivery_watch(client):
    from django.utils import timezone

    owner = signed_in(client, "owner")
    stuck = ShipmentFactory(
        order__store=owner.store, store=owner.store, in_transit=True, delay_flagged_at=timezone.now()
    )
    fine = ShipmentFactory(order__store=owner.store, store=owner.store, in_transit=True)
    response = client.get(reverse("dashboard:shipment_list"), {"attention": "1"})
    assert response.context["page"].items == [stuck]
    assert fine not in response.context["page"].items
    assert "Stuck since" in response.content.decode()
