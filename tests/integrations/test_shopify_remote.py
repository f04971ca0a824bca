"""Calling a connected Shopify shop: setup and webhooks, teardown, history, coupons, the test event, and the
app/uninstalled delivery, against a local stand-in answering with published shapes (shopify_fake.py)."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from apps.campaigns.models import Coupon, Flow, IncentiveKind, Message, MessagingPolicy
from apps.campaigns.services.flows import flows_install_defaults
from apps.customers.models import ConsentEvent, Customer
from apps.integrations import calls
from apps.integrations.calls import CallError, RateLimited, Unauthorized
from apps.integrations.models import (
    Connection,
    ConnectionState,
    HistorySync,
    InboundEvent,
    OutboundCall,
    Outcome,
    SyncStatus,
)
from apps.integrations.registry import remote_for
from apps.integrations.remotes import CouponRefused
from apps.integrations.services.connections import connection_setup
from apps.integrations.services.shop_history import history_run, history_start
from apps.integrations.sources.shopify.client import gid_number, shop_domain, throttle_wait
from apps.integrations.sources.shopify.setup import TOPICS, webhook_url
from apps.orders.models import Order, OrderLine, Product
from apps.shipments.models import Shipment
from tests.integrations.conftest import b64_hmac, fixture_bytes, fixture_json
from tests.integrations.shopify_fake import TOKEN, FakeShopify, graphql_error, out

pytestmark = pytest.mark.django_db

SECRET = "shopify-app-secret"
SITE = "https://afterglow.example"
SINCE = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def local_shop(settings, httpserver):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.SHOPIFY_ADMIN_BASE_URL = httpserver.url_for("/").rstrip("/")
    settings.SITE_URL = SITE


@pytest.fixture
def shop(httpserver, settings):
    return FakeShopify(httpserver, version=settings.SHOPIFY_API_VERSION)


@pytest.fixture
def connection(connect):
    return connect("shopify", SECRET, address="northwind.myshopify.com", api_token=TOKEN)


@pytest.fixture
def remote():
    return remote_for("shopify")


@pytest.fixture
def flows(store):
    """Every default flow on, since long ago, taking anything reported late as present: if history could start
    a flow, these tests would see its Message rows."""
    flows_install_defaults(store=store)
    Flow.objects.filter(store=store).update(enabled=True, live_since=datetime(2000, 1, 1, tzinfo=UTC))
    MessagingPolicy.objects.update_or_create(store=store, defaults={"history_max_age_hours": 32767})


# --- Helpers -------------------------------------------------------------------------------------------


def test_shop_domains_and_gids_are_read_strictly():
    assert shop_domain("https://Northwind.myshopify.com/admin") == "northwind.myshopify.com"
    assert shop_domain("northwind.example.com") == ""
    assert shop_domain("-evil.myshopify.com") == ""
    assert gid_number("gid://shopify/MailingAddress/544365967?model_name=CustomerAddress") == "544365967"


@pytest.mark.parametrize(
    ("name", "wait"),
    [
        ("graphql_throttled_with_cost.response.json", (752 - 666) / 50.0),
        ("graphql_throttled_sdk_fixture.response.json", 2.0),
    ],
)
def test_a_throttled_answer_says_how_long_the_bucket_needs(name, wait):
    reply = calls.Reply(status=200, headers=None, content=fixture_bytes(f"outbound/shopify/{name}"))
    assert throttle_wait(reply) == pytest.approx(wait)
    ok = calls.Reply(status=200, headers=None, content=fixture_bytes("outbound/shopify/graphql_shop.response.json"))
    assert throttle_wait(ok) is None


# --- Setup ---------------------------------------------------------------------------------------------


def test_setup_reads_the_shop_and_registers_every_topic_at_our_address(shop, connection, remote, store):
    result = remote.setup(connection)

    assert (result.shop_name, result.currency, result.time_zone) == ("Snowdevil", "USD", "America/New_York")
    url = f"{SITE}/webhooks/shopify/{store.slug}/"
    assert webhook_url(connection) == url
    assert sorted(sub["topic"] for sub in shop.subscriptions.values()) == sorted(TOPICS)
    assert {sub["uri"] for sub in shop.subscriptions.values()} == {url}
    assert [w["topic"] for w in result.webhooks] == list(TOPICS)
    assert {w["id"] for w in result.webhooks} == set(shop.subscriptions)
    # every call carried the token, and no log row does
    assert {headers["X-Shopify-Access-Token"] for _, _, headers in shop.calls} == {TOKEN}
    logged = list(OutboundCall.objects.filter(connection=connection).values_list("url", "error", "operation"))
    assert logged and not any(TOKEN in " ".join(row) for row in logged)


def test_a_second_setup_registers_nothing_new(shop, connection, remote):
    first = remote.setup(connection)
    creates = shop.operations().count("AfterglowWebhookCreate")

    second = remote.setup(connection)

    assert creates == len(TOPICS)
    assert shop.operations().count("AfterglowWebhookCreate") == creates  # nothing registered the second time
    assert second.webhooks == first.webhooks
    assert len(shop.subscriptions) == len(TOPICS)


def test_a_subscription_at_another_address_is_not_ours(shop, connection, remote):
    # the published list has ORDERS_CANCELLED and APP_UNINSTALLED for other addresses: ours are still made
    remote.setup(connection)
    created = {v["topic"] for v in shop.variables("AfterglowWebhookCreate")}
    assert {"ORDERS_CANCELLED", "APP_UNINSTALLED"} <= created


def test_address_already_taken_counts_as_registered(shop, connection, remote):
    # given another setup registered ORDERS_CREATE after our first listing was read
    existing = "gid://shopify/WebhookSubscription/1954588819000"
    shop.subscriptions[existing] = {"topic": "ORDERS_CREATE", "uri": webhook_url(connection)}
    shop.script("AfterglowWebhooks", out("graphql_webhookSubscriptions.response.json"))

    result = remote.setup(connection)

    # then Shopify's "already been taken" is success, and its id is read back for teardown
    assert {"topic": "ORDERS_CREATE", "id": existing} in result.webhooks
    assert all(w["id"] for w in result.webhooks)
    assert len(shop.subscriptions) == len(TOPICS)


def test_another_user_error_is_an_error_naming_the_topic(shop, connection, remote):
    shop.script("AfterglowWebhookCreate", out("graphql_webhookSubscriptionCreate_userErrors.response.json"))

    with pytest.raises(CallError) as refused:
        remote.setup(connection)

    assert "ORDERS_CREATE" in str(refused.value)
    assert "Webhook topic is invalid" in str(refused.value)


def test_a_refused_token_is_unauthorized_and_the_connection_says_so(shop, connection, remote):
    connection.api_token = "shpat_revoked"
    connection.save()

    with pytest.raises(Unauthorized):
        remote.setup(connection)

    # and through the setup task's service: failing, with a message a merchant can act on
    connection_setup(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.state == ConnectionState.FAILING
    assert "refused our credentials" in connection.last_error
    assert "shpat_revoked" not in connection.last_error


def test_a_graphql_error_without_data_is_an_error_with_shopifys_message(shop, connection, remote):
    shop.script("AfterglowShop", out("graphql_query_error_with_cost.response.json"))

    with pytest.raises(CallError, match="you must provide one of first or last"):
        remote.setup(connection)


def test_a_throttled_200_is_waited_out_then_retried(shop, connection, remote, waits):
    shop.script("AfterglowShop", out("graphql_throttled_with_cost.response.json"))

    result = remote.setup(connection)

    assert result.shop_name == "Snowdevil"
    assert waits == [pytest.approx((752 - 666) / 50.0)]
    assert shop.operations()[:2] == ["AfterglowShop", "AfterglowShop"]


def test_a_429_with_retry_after_is_waited_out(shop, connection, remote, waits):
    limited = fixture_json("outbound/shopify/rest_rate_limit.headers.json")["bucket_full_response"]
    shop.script("AfterglowShop", {"errors": "Throttled"}, status=limited["status"], headers=limited["headers"])

    remote.setup(connection)

    assert waits == [2.0]


def test_a_throttle_longer_than_a_worker_should_sleep_goes_back_to_the_task(shop, connection, remote, waits):
    answer = out("graphql_throttled_with_cost.response.json")
    answer["extensions"]["cost"]["requestedQueryCost"] = 3666  # 3000 points short at 50 a second: a minute
    shop.script("AfterglowShop", answer)

    with pytest.raises(RateLimited) as limited:
        remote.setup(connection)

    assert limited.value.retry_after == pytest.approx(60.0)
    assert waits == []


def test_teardown_removes_our_subscriptions_and_ignores_those_already_gone(shop, connection, remote):
    connection.webhooks = remote.setup(connection).webhooks
    connection.save()
    gone = connection.webhooks[0]["id"]
    del shop.subscriptions[gone]  # the merchant deleted one by hand

    remote.teardown(connection)

    assert shop.subscriptions == {}
    assert len(shop.variables("AfterglowWebhookDelete")) == len(TOPICS)


# --- History -------------------------------------------------------------------------------------------


def import_everything(remote, connection, django_capture_on_commit_callbacks) -> list:
    """Walk every stage page by page as the history runner does, applying each page twice."""
    pages = []
    for stage in HistorySync.STAGES:
        cursor = ""
        while True:
            page = remote.history_page(connection, stage, cursor, SINCE)
            for _ in range(2):
                with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                    remote.history_apply(connection, stage, page.items)
            pages.append((stage, cursor, page))
            if not page.next_cursor:
                break
            cursor = page.next_cursor
    return pages


def snapshot():
    rows = {
        "orders": Order.objects.values_list("external_id", "number", "status", "total", "modified_at"),
        "lines": OrderLine.objects.values_list("pk", "external_id", "quantity", "product_id", "modified_at"),
        "products": Product.objects.values_list("external_id", "name", "sku", "image_url", "modified_at"),
        "customers": Customer.objects.values_list("email", "external_id", "marketing_consent", "modified_at"),
        "consent": ConsentEvent.objects.values_list("pk"),
        "shipments": Shipment.objects.values_list("external_id", "tracking_number", "status", "modified_at"),
    }
    return {name: sorted(query, key=repr) for name, query in rows.items()}


def test_history_pages_applied_twice_write_the_same_rows_and_start_no_flow(
    shop, connection, remote, store, flows, django_capture_on_commit_callbacks, mailoutbox
):
    # when every stage is imported page by page, each page applied twice, and then the whole import again
    pages = import_everything(remote, connection, django_capture_on_commit_callbacks)
    first = snapshot()
    import_everything(remote, connection, django_capture_on_commit_callbacks)

    # then the second import changed nothing
    assert snapshot() == first
    # two pages a stage, the first one carrying the stage's count
    assert [(stage, cursor) for stage, cursor, _ in pages] == [
        ("products", ""), ("products", "products-cursor-1"),
        ("customers", ""), ("customers", "customers-cursor-1"),
        ("orders", ""), ("orders", "orders-cursor-1"),
    ]  # fmt: skip
    assert [page.total for _, cursor, page in pages if not cursor] == [3, 4, 3]
    # products with their first variant's SKU and first image
    draft = Product.objects.get(store=store, external_id="108828309")
    assert (draft.name, draft.sku) == ("Draft", "draft-151")
    assert draft.image_url.startswith("https://cdn.shopify.com/s/files/1/2637/1970/products/draft58.jpg")
    assert Product.objects.filter(store=store).count() == 3
    # customers with an email (the phone-only one is skipped), by Shopify's numeric id
    assert Customer.objects.get(store=store, external_id="554122808").email == "test_remove@example.com"
    assert Customer.objects.get(store=store, external_id="9522206933298").locale == "en"
    # orders as history, with lines, buyer and the fulfillment's first tracking number as a shipment
    orders = Order.objects.filter(store=store)
    assert sorted(orders.values_list("number", flat=True)) == ["#1464", "#2000", "#2006"]
    assert all(orders.values_list("is_history", flat=True))
    order = orders.get(external_id="8826877870386")
    assert order.email == "order-update-snapshot-after-1781655061311@example.com"
    assert (order.shipping_country, order.currency, order.lines.get().quantity) == ("CA", "CAD", 2)
    shipment = Shipment.objects.get(order=order)
    assert (shipment.external_id, shipment.tracking_number, shipment.is_history) == (
        "8086547988786",
        "MULTI-UPDATE-1783751369060-1",
        True,
    )
    assert orders.get(number="#2000").total == Decimal("2000.00")
    # and nothing was sent or even planned
    assert Message.objects.count() == 0
    assert mailoutbox == []


def run_import(connection, django_capture_on_commit_callbacks) -> HistorySync:
    with django_capture_on_commit_callbacks(execute=False):
        sync = history_start(connection=connection, days=3650)
        return history_run(sync_id=sync.pk, slice_seconds=30)


def test_the_history_runner_imports_the_shop_and_a_second_import_changes_nothing(
    shop, connection, store, flows, django_capture_on_commit_callbacks
):
    # the runner's contract (apps/integrations/services/shop_history.py): pages, cursors, counts, the end of each stage
    first = run_import(connection, django_capture_on_commit_callbacks)
    rows = snapshot()
    second = run_import(connection, django_capture_on_commit_callbacks)

    assert (first.status, second.status) == (SyncStatus.DONE, SyncStatus.DONE), first.failure or second.failure
    assert snapshot() == rows
    assert second.counts == {
        "products": {"done": 3, "total": 3},
        "customers": {"done": 3, "total": 4},  # the phone-only customer is counted by Shopify, not written
        "orders": {"done": 3, "total": 3},
    }
    assert Message.objects.count() == 0


def test_orders_are_asked_for_since_the_syncs_start_and_by_cursor(shop, connection, remote):
    remote.history_page(connection, "orders", "", SINCE)
    remote.history_page(connection, "orders", "orders-cursor-1", SINCE)
    remote.history_page(connection, "customers", "", SINCE)

    first, second = shop.variables("AfterglowOrders")
    assert first == {"first": 20, "after": None, "withTotal": True, "query": "created_at:>='2024-01-01T00:00:00Z'"}
    assert (second["after"], second["withTotal"]) == ("orders-cursor-1", False)
    assert shop.variables("AfterglowCustomers")[0]["query"] == "updated_at:>='2024-01-01T00:00:00Z'"


def test_a_page_over_shopifys_cost_ceiling_is_asked_again_smaller(shop, connection, remote):
    # Shopify's MAX_COST_EXCEEDED error (derived: code, cost and maxCost as its API reports them)
    shop.script(
        "AfterglowOrders",
        graphql_error(
            "Query cost is 1520, which exceeds the single query max cost limit (1000).",
            code="MAX_COST_EXCEEDED",
            cost=1520,
            maxCost=1000,
        ),
    )

    page = remote.history_page(connection, "orders", "", SINCE)

    assert [v["first"] for v in shop.variables("AfterglowOrders")] == [20, 13]
    assert len(page.items) == 1


def test_a_malformed_history_item_is_skipped_not_fatal(connection, remote, store):
    good = fixture_json("outbound/shopify/graphql_customers.response.json")["data"]["customers"]["nodes"][1]
    bad = {**good, "id": "gid://shopify/Customer/1", "defaultEmailAddress": {"emailAddress": "not an address"}}

    written = remote.history_apply(connection, "customers", [bad, good])

    assert written == 1
    assert list(Customer.objects.filter(store=store).values_list("email", flat=True)) == ["test_remove@example.com"]


def test_a_webhook_for_an_imported_order_updates_that_order(shop, connection, remote, store, post_webhook):
    page = remote.history_page(connection, "orders", "", SINCE)
    remote.history_apply(connection, "orders", page.items)
    payload = fixture_json("shopify/shopify_orders_create.json")
    payload.update(id=8826877870386, name="#1464", updated_at="2026-06-18T00:00:00Z", test=False)
    body = json.dumps(payload).encode()

    response = post_webhook(
        "shopify",
        body,
        {"X-Shopify-Topic": "orders/updated", "X-Shopify-Hmac-Sha256": b64_hmac(SECRET, body)},
    )

    assert response.status_code == 200, response.content
    assert Order.objects.filter(store=store).count() == 1


# --- Coupons -------------------------------------------------------------------------------------------


def coupon(store, kind=IncentiveKind.PERCENT, value="15.00", code="THANKS-7Q2M") -> Coupon:
    return Coupon.objects.create(
        store=store, code=code, kind=kind, value=Decimal(value), expires_at=datetime(2026, 9, 30, 21, 59, tzinfo=UTC)
    )


def test_a_percentage_coupon_is_a_one_use_code_until_it_expires(shop, connection, remote, store):
    created = remote.coupon_create(connection, coupon(store))

    assert created == shop.discounts["THANKS-7Q2M"]
    (sent,) = shop.variables("AfterglowDiscountCreate")
    data = sent["input"]
    assert (data["code"], data["usageLimit"], data["appliesOncePerCustomer"]) == ("THANKS-7Q2M", 1, True)
    assert data["endsAt"] == "2026-09-30T21:59:00Z"
    assert abs(datetime.fromisoformat(data["startsAt"]) - timezone.now()) < timedelta(minutes=1)
    assert data["customerGets"] == {"value": {"percentage": 0.15}, "items": {"all": True}}
    assert data["context"] == {"all": "ALL"}


def test_a_fixed_amount_coupon_comes_off_the_order_once(shop, connection, remote, store):
    remote.coupon_create(connection, coupon(store, kind=IncentiveKind.FIXED, value="10.00"))

    value = shop.variables("AfterglowDiscountCreate")[0]["input"]["customerGets"]["value"]
    assert value == {"discountAmount": {"amount": "10.00", "appliesOnEachItem": False}}


def test_a_free_shipping_coupon_uses_the_free_shipping_mutation(shop, connection, remote, store):
    created = remote.coupon_create(connection, coupon(store, kind=IncentiveKind.FREE_SHIPPING, value="0"))

    (sent,) = shop.variables("AfterglowFreeShippingCreate")
    assert sent["input"]["destination"] == {"all": True}
    assert sent["input"]["usageLimit"] == 1
    assert created.startswith("gid://shopify/DiscountCodeNode/")


def test_a_code_the_shop_already_has_is_refused_as_a_duplicate(shop, connection, remote, store):
    shop.discounts["THANKS-7Q2M"] = "gid://shopify/DiscountCodeNode/1"

    with pytest.raises(CouponRefused) as refused:
        remote.coupon_create(connection, coupon(store))

    assert refused.value.duplicate
    assert "must be unique" in str(refused.value)


def test_a_coupon_without_an_incentive_is_refused_before_any_call(shop, connection, remote, store):
    with pytest.raises(CouponRefused) as refused:
        remote.coupon_create(connection, coupon(store, kind=IncentiveKind.NONE, value="0"))

    assert not refused.value.duplicate
    assert shop.calls == []


# --- The test event and test orders --------------------------------------------------------------------


def test_the_test_event_goes_through_our_endpoint_and_emails_nobody(
    connection, remote, store, flows, post_webhook, django_capture_on_commit_callbacks, mailoutbox
):
    # when the merchant sends a test event, twice
    for _ in range(2):
        headers, body = remote.test_event(connection)
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook("shopify", body, headers)
        assert response.status_code == 200, response.content

    # then it was verified and applied as a test order: recorded once, as history, for an example.com buyer
    assert InboundEvent.objects.filter(store=store, outcome=Outcome.PROCESSED).count() == 2
    order = Order.objects.get(store=store)
    assert order.is_history
    assert order.email.endswith("@example.com")
    assert Message.objects.count() == 0
    assert mailoutbox == []


def test_a_real_order_would_start_a_flow_which_is_what_the_test_event_must_not(
    connection, store, flows, post_webhook, django_capture_on_commit_callbacks
):
    # the control for the test above: the same store and flows do plan an email for a present order
    payload = fixture_json("shopify/shopify_orders_create.json")
    now = timezone.now().isoformat()
    payload.update(test=False, cancelled_at=None, created_at=now, processed_at=now, updated_at=now)
    body = json.dumps(payload).encode()
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": b64_hmac(SECRET, body)}

    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook("shopify", body, headers).status_code == 200

    assert not Order.objects.get(store=store).is_history
    assert Message.objects.filter(store=store).exists()


def test_a_merchants_own_test_order_is_a_real_order_to_try_flows_with(connection, store, post_webhook):
    body = fixture_bytes("shopify/shopify_orders_create.json")  # the published sample says "test": true
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": b64_hmac(SECRET, body)}

    assert post_webhook("shopify", body, headers).status_code == 200
    assert post_webhook("shopify", body, headers).status_code == 200

    assert not Order.objects.get(store=store).is_history  # only our own test event is kept as history


# --- app/uninstalled -----------------------------------------------------------------------------------


def uninstall_delivery(domain: str = "northwind.myshopify.com") -> tuple[bytes, dict]:
    # The shop object Shopify sends with app/uninstalled (trimmed to the fields that matter here).
    body = json.dumps({"id": 548380009, "name": "Northwind", "domain": domain, "myshopify_domain": domain}).encode()
    headers = {
        "X-Shopify-Topic": "app/uninstalled",
        "X-Shopify-Hmac-Sha256": b64_hmac(SECRET, body),
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
    }
    return body, headers


def test_an_uninstall_delivered_twice_disconnects_once(connection, store, post_webhook):
    connection.webhooks = [{"topic": "APP_UNINSTALLED", "id": "gid://shopify/WebhookSubscription/1"}]
    connection.state = ConnectionState.CONNECTED
    connection.save()
    body, headers = uninstall_delivery()

    first = post_webhook("shopify", body, headers)
    connection.refresh_from_db()
    after_first = (connection.state, connection.enabled, connection.api_token, connection.last_error_at)
    second = post_webhook("shopify", body, headers)
    connection.refresh_from_db()

    assert first.status_code == 200, first.content
    assert first.json()["status"] == Outcome.PROCESSED
    assert after_first[:3] == (ConnectionState.DISCONNECTED, False, None)
    assert connection.last_error == "The app was uninstalled in Shopify."
    assert connection.webhooks == []
    # the second delivery finds no enabled connection (refused without a write): nothing moves
    assert second.status_code == 404
    assert (connection.state, connection.enabled, connection.api_token, connection.last_error_at) == after_first


def test_an_uninstall_from_another_shop_leaves_the_connection_alone(connection, store, post_webhook):
    body, headers = uninstall_delivery("old-northwind.myshopify.com")

    response = post_webhook("shopify", body, headers)

    assert response.status_code == 200
    assert response.json()["status"] == Outcome.IGNORED
    connection.refresh_from_db()
    assert (connection.enabled, connection.api_token) == (True, TOKEN)


def test_marking_uninstalled_twice_changes_nothing_the_second_time(connection, store):
    from apps.integrations.sources.shopify.uninstall import connection_mark_uninstalled

    assert connection_mark_uninstalled(store=store, source="shopify", shop_domain="northwind.myshopify.com") == 1
    assert connection_mark_uninstalled(store=store, source="shopify", shop_domain="northwind.myshopify.com") == 0
    assert Connection.objects.get(pk=connection.pk).state == ConnectionState.DISCONNECTED
