"""A new merchant's first hour, from an empty database: sign up, create the store, connect a (local
stand-in) Shopify, watch the history import, see the orders, and no email for any of it; then a new order
sends its confirmation with a coupon the shop has created. Screenshots of the checklist and the
connections pages for people to look at."""

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.core import mail
from playwright.sync_api import expect

from apps.campaigns.models import Coupon, CouponShopState, Flow, FlowKind, IncentiveKind, Message
from apps.campaigns.tasks import dispatch_due_task
from apps.integrations.models import Connection, ConnectionState, HistorySync, SyncStatus
from apps.integrations.services import shop_history
from apps.orders.models import Order
from tests.integrations.conftest import b64_hmac, fixture_json
from tests.integrations.shopify_fake import TOKEN, FakeShopify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
APP_SECRET = "shpss_app_secret_for_webhooks"


@pytest.fixture
def shop(httpserver, settings, live_server):
    settings.ALLOW_SIGNUP = True
    settings.SITE_URL = live_server.url
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.SHOPIFY_ADMIN_BASE_URL = httpserver.url_for("/").rstrip("/")
    return FakeShopify(httpserver, version=settings.SHOPIFY_API_VERSION)


@pytest.fixture
def worker(monkeypatch):
    """The history import runs when the test says, page by page, as a worker would between page loads."""
    queued: list[int] = []

    class Later:
        def delay(self, sync_id):
            queued.append(sync_id)

        def apply_async(self, args, eta=None):
            queued.append(args[0])

    monkeypatch.setattr(shop_history, "_run_task", lambda: Later())
    return queued


def new_order_delivery(email: str) -> tuple[bytes, dict]:
    """Shopify's published orders/create sample, paid, placed a moment after the flow went on (Shopify's times have
    whole seconds) by a buyer who accepts marketing."""
    payload = fixture_json("shopify/shopify_orders_create.json")
    now = (datetime.now(UTC) + timedelta(seconds=1)).isoformat(timespec="seconds")
    payload.update(
        id=820982911946154600, email=email, contact_email=email, created_at=now, processed_at=now, updated_at=now
    )
    # The published sample is a cancelled, voided test order: this one is paid and stands.
    payload.update(cancelled_at=None, cancel_reason=None, financial_status="paid", buyer_accepts_marketing=True)
    payload["customer"] = {**(payload.get("customer") or {}), "email": email, "accepts_marketing": True}
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": b64_hmac(APP_SECRET, body),
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Shop-Domain": "northwind.myshopify.com",
    }
    return body, headers


def test_a_new_merchant_connects_shopify_imports_history_and_a_new_order_gets_a_working_coupon(
    page, live_server, shop, worker, screenshot
):
    # given nobody yet: the merchant signs up
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("maria@northwind.example")
    page.get_by_label("Your name").fill("Maria")
    page.get_by_label("Choose a password").fill("a long and private passphrase")
    page.get_by_role("button", name="Create account").click()

    # and creates the store
    page.get_by_label("Store name").fill("Northwind Coffee")
    page.get_by_label("Sender name").fill("Northwind Coffee")
    page.get_by_label("Sender address").fill("hello@northwind.example")
    page.get_by_role("button", name="Create store").click()

    # then the overview shows the setup checklist, nothing done yet
    checklist = page.get_by_role("region", name="Set up your store").or_(page.locator(".setup-checklist"))
    expect(checklist.first).to_be_visible()
    expect(page.get_by_text("0 of 6")).to_be_visible()
    screenshot(page, "dashboard-setup-checklist")

    # when they follow "connect the shop" to the connections page
    page.get_by_role("link", name="Shop & tracking").click()
    expect(page.get_by_role("heading", name="Your shop")).to_be_visible()
    screenshot(page, "dashboard-connections-empty")
    page.get_by_role("link", name="Connect Shopify").click()
    page.get_by_label("Shop address").fill("northwind.myshopify.com")
    page.get_by_label("Admin API access token").fill(TOKEN)
    page.get_by_label("API secret key").fill(APP_SECRET)
    page.get_by_role("button", name="Connect", exact=True).click()

    # then the shop is read and our webhooks registered (a task: eager here), and the import waits for a worker
    expect(page.get_by_text("Connected").first).to_be_visible()
    connection = Connection.objects.get(source="shopify")
    assert connection.state == ConnectionState.CONNECTED and connection.shop_name
    assert len(shop.subscriptions) == 12
    assert all(sub["uri"].startswith(live_server.url) for sub in shop.subscriptions.values())
    sync = HistorySync.objects.get(connection=connection)
    assert worker == [sync.pk]

    # when a worker imports a few pages, the page shows how far it got
    for _ in range(3):
        shop_history.history_run(sync_id=sync.pk, slice_seconds=0)  # one page each
    page.reload()
    progress = page.get_by_role("progressbar", name="History import progress")
    expect(progress).to_be_visible()
    sync.refresh_from_db()
    assert 0 < sync.percent < 100
    screenshot(page, "dashboard-connection-shopify-importing")

    # and once it is done, the orders are there and nobody was emailed about the past
    shop_history.history_run(sync_id=sync.pk)
    sync.refresh_from_db()
    assert sync.status == SyncStatus.DONE
    page.reload()
    expect(page.get_by_text("History imported")).to_be_visible()
    screenshot(page, "dashboard-connection-shopify-connected")
    imported = Order.objects.filter(store=connection.store)
    assert imported.count() == 3 and all(order.is_history for order in imported)
    page.get_by_role("link", name="See the orders").click()
    expect(page.get_by_role("link", name="#1464").or_(page.get_by_text("1464")).first).to_be_visible()
    assert not Message.objects.exists() and mail.outbox == []

    # when the merchant turns the order confirmation on, with a 10 % thank-you code on its step
    flow = Flow.objects.get(store=connection.store, kind=FlowKind.ORDER_CONFIRMATION)
    flow.steps.update(incentive_kind=IncentiveKind.PERCENT, incentive_value=10, incentive_valid_days=30)
    page.get_by_role("link", name="Flows", exact=True).click()
    page.get_by_role("switch", name="Order confirmation").check(force=True)
    expect(page.get_by_role("switch", name="Order confirmation")).to_be_checked()
    # (the box ticks at once; the server's answer is what says the flow is on)
    expect(page.get_by_role("status").filter(has_text="Order confirmation is on")).to_have_count(1)

    # and a new order arrives from Shopify, posted twice
    body, headers = new_order_delivery("ana@buyer.example")
    webhook = f"{live_server.url}/webhooks/shopify/{connection.store.slug}/"
    assert httpx.post(webhook, content=body, headers=headers).status_code == 200
    assert httpx.post(webhook, content=body, headers=headers).status_code == 200
    # and beat's next dispatch tick comes (the order is stamped a second ahead; every tick sends what is due)
    time.sleep(1.1)
    dispatch_due_task()
    dispatch_due_task()

    # then its confirmation went once, with a code the shop created before the email left
    coupon = Coupon.objects.get(store=connection.store)
    assert coupon.shop_state == CouponShopState.CREATED
    assert coupon.code in shop.discounts
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@buyer.example"]
    assert coupon.code in mail.outbox[0].body
    page.get_by_role("link", name="Shop & tracking").click()
    screenshot(page, "dashboard-connections")
