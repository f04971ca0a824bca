"""Switching a flow on: from now by default, or also the last days with the emails counted first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import Flow, FlowKind, Message
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, CartLineFactory

pytestmark = pytest.mark.django_db


def test_switching_on_from_now_leaves_the_past_alone(client, manager):
    flow = Flow.objects.get(store=manager.store, kind=FlowKind.ABANDONED_CART)
    before = timezone.now()
    client.post(reverse("dashboard:flow_toggle", args=[flow.pk]), {"enabled": "on", "next": "detail"})
    flow.refresh_from_db()
    assert flow.enabled and flow.live_since >= before


def test_the_count_of_a_catch_up_comes_before_it_and_writes_nothing(client, manager):
    # given carts left 5 hours ago by a consenting buyer, and the cart flow off
    store = manager.store
    flow = Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)
    buyer = CustomerFactory(store=store, consenting=True)
    CartLineFactory(
        cart=CartFactory(store=store, customer=buyer, email=buyer.email, updated_at=timezone.now() - timedelta(hours=5))
    )
    page = client.get(reverse("dashboard:flow_detail", args=[flow.pk])).content.decode()
    assert "Switch on from now" in page and "Count the emails first" in page
    # when the merchant asks what "also the last 2 days" would send
    page = client.get(reverse("dashboard:flow_detail", args=[flow.pk]), {"backfill_days": "2"}).content.decode()
    # then the 1 h reminder, still worth sending, goes at once, the 24 h and 72 h ones later; nothing is
    # written and the flow stays off
    assert "it would send 1 email at once and plan 2 more for the coming days" in page
    assert not Message.objects.exists()
    flow.refresh_from_db()
    assert not flow.enabled
    # and switching on that way makes the flow live two days back
    client.post(reverse("dashboard:flow_toggle", args=[flow.pk]), {"enabled": "on", "backfill_days": "2"})
    flow.refresh_from_db()
    assert flow.enabled and timezone.now() - flow.live_since > timedelta(days=1, hours=23)


def test_an_event_flow_has_no_past_to_catch_up(client, manager):
    flow = Flow.objects.get(store=manager.store, kind=FlowKind.ORDER_CONFIRMATION)
    page = client.get(reverse("dashboard:flow_detail", args=[flow.pk])).content.decode()
    assert "no past to catch up on" in page and "Count the emails first" not in page


def test_a_catch_up_longer_than_allowed_is_refused_as_from_now(client, manager):
    flow = Flow.objects.get(store=manager.store, kind=FlowKind.ABANDONED_CART)
    before = timezone.now()
    client.post(reverse("dashboard:flow_toggle", args=[flow.pk]), {"enabled": "on", "backfill_days": "400"})
    flow.refresh_from_db()
    assert flow.live_since >= before
