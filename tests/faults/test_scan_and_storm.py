"""A scan that loses its database mid-way, and a storm of webhooks with duplicates: nothing lost, nothing twice."""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import FlowKind, Message, ScanRun
from apps.campaigns.scans import base as scan_base
from apps.campaigns.scans import run_scan, set_based
from apps.integrations.models import Connection, InboundEvent
from apps.orders.models import Order
from tests.orders.factories import CartFactory, CartLineFactory

pytestmark = pytest.mark.django_db


def test_a_scan_that_loses_the_database_mid_way_records_the_error_and_the_next_run_finishes(flows, store, monkeypatch):
    now = timezone.now()
    for n in range(30):
        CartLineFactory(cart=CartFactory(store=store, email=f"c{n}@example.com", updated_at=now - timedelta(hours=2)))
    real_batches = scan_base.batches
    calls = {"n": 0}

    def failing_batches(queryset, *fields, size=scan_base.BATCH):
        for rows in real_batches(queryset, *fields, size=10):
            calls["n"] += 1
            if calls["n"] == 2:
                raise OperationalError("server closed the connection unexpectedly")
            yield rows

    monkeypatch.setattr("apps.campaigns.scans.abandoned_carts.batches", failing_batches)
    # (the path that reads candidates in batches; the set-based one: test_scan_sql_agrees)
    with pytest.raises(OperationalError), set_based.row_by_row():
        run_scan("abandoned_carts", store=store, now=now)
    failed = ScanRun.objects.get(name="abandoned_carts")
    assert "server closed the connection" in failed.error
    assert Message.objects.count() == 10  # the first batch was planned before the failure

    monkeypatch.setattr("apps.campaigns.scans.abandoned_carts.batches", real_batches)
    run_scan("abandoned_carts", store=store, now=now)
    run_scan("abandoned_carts", store=store, now=now)
    assert Message.objects.filter(step__flow__kind=FlowKind.ABANDONED_CART, step__key="reminder-1h").count() == 30


@pytest.mark.postgres
def test_a_storm_of_ten_thousand_webhooks_with_ten_percent_duplicates_loses_nothing(client, store):
    secret = "storm-secret"
    Connection.objects.create(store=store, source="shopify", secret=secret)
    url = reverse("integrations:webhook", kwargs={"source": "shopify", "store_slug": store.slug})
    deliveries = []
    for n in range(9_000):
        body = json.dumps(
            {
                "id": 10_000_000 + n,
                "name": f"#{n}",
                "email": f"b{n % 500}@example.com",
                "created_at": "2026-06-01T10:00:00+02:00",
                "currency": "EUR",
                "total_price": "10.00",
                "financial_status": "paid",
                "line_items": [],
            }
        ).encode()
        deliveries.append((str(uuid.uuid4()), body))
    storm = deliveries + deliveries[::9]  # 1,000 replays of deliveries already sent
    assert len(storm) == 10_000
    for webhook_id, body in storm:
        signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        response = client.post(
            url,
            data=body,
            content_type="application/json",
            headers={
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Hmac-Sha256": signature,
                "X-Shopify-Webhook-Id": webhook_id,
            },
        )
        assert response.status_code == 200
    assert Order.objects.filter(store=store).count() == 9_000
    assert InboundEvent.objects.filter(store=store).count() == 9_000
    assert sum(InboundEvent.objects.filter(store=store).values_list("deliveries", flat=True)) == 10_000
    assert not InboundEvent.objects.filter(store=store).exclude(outcome="processed").exists()
