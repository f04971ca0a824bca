"""Calling a WooCommerce shop: connecting, importing its history, creating our codes, the test delivery.

A real local HTTP server (pytest-httpserver) plays the shop, answering with the wc/v3 shapes in
tests/fixtures/outbound/woocommerce/ (see SOURCES.md section 2); nothing reaches the internet. The server is
plain http on 127.0.0.1, which WooCommerce keys are only allowed over because the operator allows it.
"""

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from werkzeug import Response

from apps.campaigns.models import Coupon, Flow, IncentiveKind, Message, MessagingPolicy
from apps.campaigns.services.flows import flows_install_defaults
from apps.customers.models import Customer
from apps.integrations.calls import CallError, Unauthorized
from apps.integrations.models import Connection, InboundEvent, OutboundCall, Outcome
from apps.integrations.remotes import CouponRefused
from apps.integrations.sources.woocommerce import REMOTE
from apps.integrations.sources.woocommerce.client import HTTPS_ONLY, normalise_site_url, site_url_problem
from apps.integrations.sources.woocommerce.webhooks import TOPICS
from apps.orders.models import Order, Product
from apps.shipments.models import Shipment
from tests.customers.factories import CustomerFactory
from tests.integrations.conftest import fixture_json

pytestmark = pytest.mark.django_db

API = "/wp-json/wc/v3"
OURS = "https://afterglow.example/webhooks/woocommerce/northwind/"
OUT = "outbound/woocommerce"
SINCE = datetime(2017, 1, 1, tzinfo=UTC)


def fixture(name: str):
    return fixture_json(f"{OUT}/{name}")


def headers_of(name: str) -> dict[str, str]:
    return fixture(name)["headers"]


@pytest.fixture
def shop(settings, httpserver, store, waits):
    """A connection to the local shop, with the operator allowing loopback so plain http may carry the keys."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.SITE_URL = "https://afterglow.example"
    return Connection.objects.create(
        store=store,
        source="woocommerce",
        address=httpserver.url_for("/wp-admin/"),  # pasted from the browser: normalised away
        api_key="ck_0123456789abcdef",
        api_token="cs_fedcba9876543210",
    )


def webhook_answer():
    """POST /webhooks as WooCommerce answers it: 201, the webhook without its secret (write-only)."""
    counter = iter(range(300, 400))

    def answer(request):
        sent = request.get_json()
        body = fixture("wc_v3_webhooks_create.response.json") | {
            "id": next(counter),
            "name": sent["name"],
            "topic": sent["topic"],
            "resource": sent["topic"].split(".")[0],
            "event": sent["topic"].split(".")[1],
            "delivery_url": sent["delivery_url"],
        }
        assert "secret" not in body
        return Response(json.dumps(body), status=201, content_type="application/json")

    return answer


def answer_setup(httpserver, existing=()):
    order = fixture("wc_v3_orders_list.response.json")[:1]
    httpserver.expect_request(f"{API}/orders", method="GET", query_string={"per_page": "1"}).respond_with_json(
        order, headers={"X-WP-Total": "2", "X-WP-TotalPages": "2"}
    )
    # The WordPress REST index (name, timezone_string) and WooCommerce's currency setting, trimmed to the
    # fields read; both optional to setup.
    httpserver.expect_request("/wp-json/", method="GET").respond_with_json(
        {"name": "Northwind Coffee", "timezone_string": "Europe/Rome"}
    )
    httpserver.expect_request(f"{API}/settings/general/woocommerce_currency", method="GET").respond_with_json(
        {"id": "woocommerce_currency", "label": "Currency", "type": "select", "default": "GBP", "value": "USD"}
    )
    httpserver.expect_request(f"{API}/webhooks", method="GET").respond_with_json(
        list(existing), headers={"X-WP-Total": str(len(existing)), "X-WP-TotalPages": "1"}
    )
    for webhook in existing:
        httpserver.expect_request(f"{API}/webhooks/{webhook['id']}", method="DELETE").respond_with_json(webhook)
    httpserver.expect_request(f"{API}/webhooks", method="POST").respond_with_handler(webhook_answer())


def requests(httpserver, method: str, path: str = ""):
    return [request for request, _ in httpserver.log if request.method == method and request.path.startswith(path)]


def existing_webhook(id_: int, url: str, topic: str = "order.created") -> dict:
    return fixture("wc_v3_webhooks_create.response.json") | {"id": id_, "topic": topic, "delivery_url": url}


# --- The site address -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("shop.example.com", "https://shop.example.com"),
        ("https://Shop.Example.com/", "https://shop.example.com"),
        ("https://shop.example.com/wp-admin/admin.php?page=wc-settings&tab=advanced", "https://shop.example.com"),
        ("https://example.com/shop/wp-json/wc/v3/", "https://example.com/shop"),
        ("  https://example.com/shop/wp-login.php  ", "https://example.com/shop"),
    ],
)
def test_the_site_address_is_normalised(typed, normalised):
    assert normalise_site_url(typed) == normalised
    assert site_url_problem(typed) is None


def test_a_plain_http_site_is_refused_unless_the_operator_allows_its_network(settings):
    # Given no allowed networks, then plain http is refused with the reason, without looking anything up
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    assert site_url_problem("http://shop.example.com") == HTTPS_ONLY
    assert site_url_problem("http://127.0.0.1:8080") == HTTPS_ONLY
    # Given loopback allowed (a local test shop), then a loopback shop may use http, and no other
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert site_url_problem("http://127.0.0.1:8080") is None
    assert site_url_problem("http://203.0.113.7") == HTTPS_ONLY
    # And addresses that are not web addresses at all are refused
    assert site_url_problem("") == "Enter your shop's address, such as https://shop.example.com."
    assert "Only http and https" in site_url_problem("ftp://shop.example.com")
    assert "user name or password" in site_url_problem("https://admin:pw@shop.example.com")


def test_setup_refuses_a_plain_http_shop_before_any_call(shop, settings, httpserver):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    with pytest.raises(CallError, match="only over HTTPS"):
        REMOTE.setup(shop)
    assert httpserver.log == []
    assert not OutboundCall.objects.exists()


# --- Connecting -------------------------------------------------------------------------------------------


def test_setup_checks_the_keys_reads_the_shop_and_registers_every_webhook_with_our_secret(shop, httpserver):
    answer_setup(httpserver)
    # When the connection is set up
    result = REMOTE.setup(shop)
    # Then every topic has a webhook to our delivery URL, signed with the secret handed back to be saved
    created = [request.get_json() for request in requests(httpserver, "POST", f"{API}/webhooks")]
    assert [body["topic"] for body in created] == list(TOPICS)
    assert {body["delivery_url"] for body in created} == {OURS}
    assert {body["secret"] for body in created} == {result.secret}
    assert len(result.secret) >= 40 and {body["status"] for body in created} == {"active"}
    assert result.webhooks == [{"topic": topic, "id": str(300 + i)} for i, topic in enumerate(TOPICS)]
    # And the shop's name, currency and time zone are read
    assert (result.shop_name, result.currency, result.time_zone) == ("Northwind Coffee", "USD", "Europe/Rome")
    # And every call carried the keys as Basic auth, and none is in the log
    keys = {(r.authorization.username, r.authorization.password) for r, _ in httpserver.log}
    assert keys == {("ck_0123456789abcdef", "cs_fedcba9876543210")}
    logged = " ".join(OutboundCall.objects.values_list("url", flat=True))
    assert "cs_" not in logged and "ck_" not in logged and "per_page" not in logged
    assert OutboundCall.objects.filter(ok=True).count() == len(httpserver.log)


def test_setup_again_replaces_our_webhooks_and_leaves_other_peoples_alone(shop, httpserver):
    # Given a shop that has our two webhooks (one from before SITE_URL changed) and someone else's
    shop.secret = "the-secret-we-hold"
    shop.webhooks = [{"topic": "order.created", "id": "101"}, {"topic": "order.updated", "id": "102"}]
    shop.save()
    old_address = "https://old-afterglow.example/webhooks/woocommerce/northwind/"
    theirs = existing_webhook(55, "https://hooks.zapier.example/catch/1/")
    strangers_with_our_id = existing_webhook(103, "https://erp.example/webhooks/woocommerce/northwind/")
    answer_setup(
        httpserver,
        existing=[existing_webhook(101, OURS), existing_webhook(102, old_address), theirs, strangers_with_our_id],
    )
    # When the connection is set up again
    result = REMOTE.setup(shop)
    # Then ours were made again and the old ones deleted for good (force) after, and the others are untouched
    assert [request.method for request, _ in httpserver.log][-8:] == ["POST"] * 6 + ["DELETE"] * 2
    deleted = requests(httpserver, "DELETE")
    assert sorted(request.path for request in deleted) == [f"{API}/webhooks/101", f"{API}/webhooks/102"]
    assert {request.args["force"] for request in deleted} == {"true"}
    created = [request.get_json() for request in requests(httpserver, "POST")]
    assert [body["topic"] for body in created] == list(TOPICS)
    # And they carry the secret the connection already checks, so nothing in flight is refused meanwhile
    assert result.secret == "the-secret-we-hold"
    assert {body["secret"] for body in created} == {"the-secret-we-hold"}


def test_keys_the_shop_refuses_are_unauthorized_with_a_clear_message(shop, httpserver):
    httpserver.expect_request(f"{API}/orders").respond_with_json(
        fixture("wc_v3_error_authentication_consumer_secret.response.json"), status=401
    )
    with pytest.raises(Unauthorized) as refused:
        REMOTE.setup(shop)
    assert str(refused.value) == (
        "WooCommerce refused the consumer key and consumer secret (HTTP 401: Consumer secret is invalid.). "
        "Check both, and that the key has Read/Write permissions."
    )
    assert len(httpserver.log) == 1  # not retried, nothing registered


def test_keys_the_shop_never_saw_hint_at_a_web_server_dropping_the_authorization_header(shop, httpserver):
    httpserver.expect_request(f"{API}/orders").respond_with_json(
        {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
         "data": {"status": 401}},
        status=401,
    )  # fmt: skip
    with pytest.raises(Unauthorized, match="dropping the Authorization header"):
        REMOTE.setup(shop)


def test_an_address_without_the_woocommerce_rest_api_says_so(shop, httpserver):
    httpserver.expect_request(f"{API}/orders").respond_with_json(
        fixture("wc_v3_error_wp_no_route.response.json"), status=404
    )
    with pytest.raises(CallError, match="WooCommerce REST API not found at this address") as refused:
        REMOTE.setup(shop)
    assert not isinstance(refused.value, Unauthorized)
    assert requests(httpserver, "POST") == []


def test_read_only_keys_are_told_they_need_write_permission(shop, httpserver):
    answer_setup(httpserver)
    httpserver.clear_all_handlers()
    httpserver.expect_request(f"{API}/orders").respond_with_json([])
    httpserver.expect_request(f"{API}/webhooks", method="GET").respond_with_json([])
    httpserver.expect_request(f"{API}/webhooks", method="POST").respond_with_json(
        {"code": "woocommerce_rest_cannot_create", "message": "Sorry, you are not allowed to create resources.",
         "data": {"status": 401}},
        status=401,
    )  # fmt: skip
    with pytest.raises(Unauthorized, match="Read/Write permissions"):
        REMOTE.setup(shop)


def test_teardown_deletes_our_webhooks_and_one_already_gone_is_fine(shop, httpserver):
    shop.webhooks = [{"topic": "order.created", "id": "301"}, {"topic": "order.updated", "id": "302"}]
    shop.save()
    httpserver.expect_request(f"{API}/webhooks/301", method="DELETE").respond_with_json({"id": 301})
    httpserver.expect_request(f"{API}/webhooks/302", method="DELETE").respond_with_json(
        {"code": "woocommerce_rest_webhook_invalid_id", "message": "Invalid ID.", "data": {"status": 404}}, status=404
    )
    REMOTE.teardown(shop)
    assert [request.path for request in requests(httpserver, "DELETE")] == [
        f"{API}/webhooks/301",
        f"{API}/webhooks/302",
    ]


# --- History ----------------------------------------------------------------------------------------------


@pytest.fixture
def live_flows(store):
    """The default flows on since long ago, in a store that takes anything as present: only the history
    flag keeps an imported order from starting a flow."""
    flows_install_defaults(store=store)
    Flow.objects.filter(store=store).update(enabled=True, live_since=datetime(2000, 1, 1, tzinfo=UTC))
    MessagingPolicy.objects.update_or_create(store=store, defaults={"history_max_age_hours": 32767})


def two_pages_of_orders(httpserver, *, recent: datetime):
    """The published order (727) on page 1, and a second order built from it (728, shipped with a tracking
    number in the shipment-tracking plugin's meta) on page 2: per_page=1, as the header fixtures are."""
    first = fixture("wc_v3_orders_list.response.json")[0]
    second = copy.deepcopy(first) | {"id": 728, "number": "728", "status": "completed"}
    second["billing"] = first["billing"] | {"email": "ana@example.com", "first_name": "Ana"}
    second["meta_data"].append(
        {"id": 9, "key": "_wc_shipment_tracking_items",
         "value": [{"tracking_provider": "ups", "tracking_number": "1Z999AA10123456784", "date_shipped": "1490300000"}]}
    )  # fmt: skip
    for order in (first, second):  # placed an hour ago: were they live, the confirmation would go
        order["date_created_gmt"] = order["date_modified_gmt"] = recent.strftime("%Y-%m-%dT%H:%M:%S")
    page1 = headers_of("wc_v3_orders_list.headers.json")
    page2 = headers_of("wc_v3_orders_list_page2.headers.json")
    for page, orders, headers in (("1", [first], page1), ("2", [second], page2)):
        httpserver.expect_request(
            f"{API}/orders",
            method="GET",
            query_string={
                "per_page": "50", "page": page, "orderby": "id", "order": "asc",
                "after": "2017-01-01T00:00:00", "dates_are_gmt": "true",
            },
        ).respond_with_json(orders, headers=headers)  # fmt: skip


def import_orders(shop) -> list[str | None]:
    cursors, cursor = [], ""
    while cursor is not None:
        page = REMOTE.history_page(shop, "orders", cursor, SINCE)
        assert page.total == 2
        assert REMOTE.history_apply(shop, "orders", page.items) == 1
        cursor = page.next_cursor
        cursors.append(cursor)
    return cursors


def test_order_history_over_two_pages_imports_each_order_once_as_history_and_emails_nobody(
    shop, httpserver, store, live_flows, django_capture_on_commit_callbacks
):
    two_pages_of_orders(httpserver, recent=datetime.now(UTC) - timedelta(hours=1))
    # When the orders are imported, and then imported again
    with django_capture_on_commit_callbacks(execute=True):
        assert import_orders(shop) == ["2", None]
    first_rows = set(Order.objects.values_list("pk", "external_id", "number", "status", "total"))
    with django_capture_on_commit_callbacks(execute=True):
        assert import_orders(shop) == ["2", None]
    # Then both orders exist once, as history, with their buyers and the tracked parcel
    assert set(Order.objects.values_list("pk", "external_id", "number", "status", "total")) == first_rows
    assert sorted(Order.objects.values_list("external_id", "is_history")) == [("727", True), ("728", True)]
    assert set(Customer.objects.values_list("email", flat=True)) == {"john.doe@example.com", "ana@example.com"}
    shipment = Shipment.objects.get()
    assert (shipment.tracking_number, shipment.carrier, shipment.is_history) == ("1Z999AA10123456784", "ups", True)
    assert Order.objects.get(external_id="727").lines.count() == 2
    # And no email was planned for any of it
    assert not Message.objects.exists()


def test_a_live_order_in_the_same_store_does_start_its_flow(
    shop, store, live_flows, client, django_capture_on_commit_callbacks
):
    # The contrast to the import above: the same flows do email an order that arrives live.
    from tests.integrations.conftest import b64_hmac

    shop.secret = "s3cret"
    shop.save()
    order = fixture("wc_v3_orders_list.response.json")[0]
    stamp = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    order["date_created_gmt"] = order["date_modified_gmt"] = stamp
    body = json.dumps(order).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/woocommerce/northwind/",
            data=body,
            content_type="application/json",
            headers={"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": b64_hmac("s3cret", body)},
        )
    assert response.status_code == 200, response.json()
    assert Message.objects.filter(email="john.doe@example.com").exists()


def test_a_429_with_retry_after_is_waited_out_and_the_page_still_comes(shop, httpserver, waits):
    httpserver.expect_oneshot_request(f"{API}/products").respond_with_json(
        {"code": "too_many_requests", "message": "Too many requests"}, status=429, headers={"Retry-After": "2"}
    )
    httpserver.expect_request(f"{API}/products").respond_with_json(
        fixture("wc_v3_products_list.response.json"), headers={"X-WP-Total": "1", "X-WP-TotalPages": "1"}
    )
    page = REMOTE.history_page(shop, "products", "", SINCE)
    assert waits == [2.0]
    assert (len(page.items), page.next_cursor, page.total) == (1, None, 1)
    assert list(OutboundCall.objects.order_by("id").values_list("status_code", "ok")) == [(429, False), (200, True)]


def test_products_and_customers_import_as_the_shop_lists_them_and_consent_stays_unknown(shop, httpserver, store):
    httpserver.expect_request(f"{API}/products").respond_with_json(
        fixture("wc_v3_products_list.response.json"), headers={"X-WP-Total": "1", "X-WP-TotalPages": "1"}
    )
    httpserver.expect_request(f"{API}/customers").respond_with_json(
        fixture("wc_v3_customers_list.response.json"), headers={"X-WP-Total": "2", "X-WP-TotalPages": "1"}
    )
    for _ in range(2):  # applied twice: the same rows
        products = REMOTE.history_page(shop, "products", "", SINCE)
        customers = REMOTE.history_page(shop, "customers", "", SINCE)
        assert REMOTE.history_apply(shop, "products", products.items) == 1
        assert REMOTE.history_apply(shop, "customers", customers.items) == 2
    product = Product.objects.get(store=store)
    assert (product.external_id, product.name, product.category, product.price, product.in_stock) == (
        "799", "Ship Your Idea", "Clothing", None, True,
    )  # fmt: skip
    assert product.url == "https://example.com/product/ship-your-idea-22/"
    assert product.image_url == "https://example.com/wp-content/uploads/2017/03/T_4_front-11.jpg"
    joao = Customer.objects.get(store=store, email="joao.silva@example.com")
    assert (joao.external_id, joao.first_name, joao.phone) == ("26", "João", "(55) 5555-5555")
    assert Customer.objects.filter(store=store).count() == 2
    assert not Customer.objects.filter(marketing_consent=True).exists()
    assert not Customer.objects.exclude(consent_at=None).exists()
    # The customers list takes no date filter; the products list neither
    assert all("after" not in request.args for request, _ in httpserver.log)


def test_a_product_webhook_updates_the_catalogue(shop, store, client):
    from tests.integrations.conftest import b64_hmac

    shop.secret = "s3cret"
    shop.save()
    product = fixture("wc_v3_products_list.response.json")[0] | {"price": "24.00", "stock_status": "outofstock"}
    body = json.dumps(product).encode()
    response = client.post(
        "/webhooks/woocommerce/northwind/",
        data=body,
        content_type="application/json",
        headers={"X-WC-Webhook-Topic": "product.updated", "X-WC-Webhook-Signature": b64_hmac("s3cret", body)},
    )
    assert response.status_code == 200, response.json()
    saved = Product.objects.get(store=store, external_id="799")
    assert (saved.price, saved.currency, saved.in_stock) == (Decimal("24.00"), store.currency, False)


# --- Coupons ----------------------------------------------------------------------------------------------


@pytest.fixture
def coupon(store):
    store.time_zone = "Europe/Rome"
    store.save()
    buyer = CustomerFactory(store=store, email="ana@example.com")
    return Coupon.objects.create(
        store=store,
        code="NORTHW-K7QP2XZM",
        kind=IncentiveKind.PERCENT,
        value=Decimal("10"),
        expires_at=datetime(2026, 6, 30, 21, 59, 59, 123456, tzinfo=UTC),
        customer=buyer,
    )


def test_a_coupon_is_created_for_one_use_by_its_buyer_until_it_expires(shop, httpserver, coupon):
    created = fixture("wc_v3_coupons_create.response.json") | {"code": coupon.code.lower()}
    httpserver.expect_request(f"{API}/coupons", method="POST").respond_with_json(created, status=201)
    assert REMOTE.coupon_create(shop, coupon) == "719"
    body = requests(httpserver, "POST")[0].get_json()
    assert body == {
        "code": "NORTHW-K7QP2XZM",
        "discount_type": "percent",
        "amount": "10.00",
        "free_shipping": False,
        "individual_use": True,
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "date_expires": "2026-06-30T23:59:59+02:00",  # the store's time, with its offset
        "email_restrictions": ["ana@example.com"],
        "description": "Made by Afterglow for one customer.",
        "meta_data": [{"key": "afterglow_coupon", "value": f"{coupon.store_id}:{coupon.pk}"}],
    }


def test_a_free_shipping_coupon_is_free_shipping_with_no_amount(shop, httpserver, coupon):
    coupon.kind, coupon.value, coupon.customer, coupon.expires_at = IncentiveKind.FREE_SHIPPING, 0, None, None
    coupon.save()
    httpserver.expect_request(f"{API}/coupons", method="POST").respond_with_json(
        fixture("wc_v3_coupons_create.response.json"), status=201
    )
    REMOTE.coupon_create(shop, coupon)
    body = requests(httpserver, "POST")[0].get_json()
    assert (body["discount_type"], body["amount"], body["free_shipping"]) == ("fixed_cart", "0", True)
    assert "email_restrictions" not in body and "date_expires" not in body


def test_a_code_the_shop_already_has_is_a_duplicate(shop, httpserver, coupon):
    httpserver.expect_request(f"{API}/coupons", method="POST").respond_with_json(
        fixture("wc_v3_error_coupon_code_already_exists.response.json"), status=400
    )
    someone_elses = fixture("wc_v3_coupons_create.response.json") | {"code": coupon.code.lower()}
    httpserver.expect_request(f"{API}/coupons", method="GET", query_string={"code": coupon.code}).respond_with_json(
        [someone_elses]
    )
    with pytest.raises(CouponRefused) as refused:
        REMOTE.coupon_create(shop, coupon)
    assert refused.value.duplicate is True
    assert str(refused.value) == "The coupon code already exists"


def test_a_duplicate_made_by_an_earlier_try_of_the_same_coupon_is_that_coupon(shop, httpserver, coupon):
    # Given an earlier try created the code but its answer was lost (a timeout)
    httpserver.expect_request(f"{API}/coupons", method="POST").respond_with_json(
        fixture("wc_v3_error_coupon_code_already_exists.response.json"), status=400
    )
    ours = fixture("wc_v3_coupons_create.response.json") | {
        "id": 720,
        "code": coupon.code.lower(),
        "meta_data": [{"id": 1, "key": "afterglow_coupon", "value": f"{coupon.store_id}:{coupon.pk}"}],
    }
    httpserver.expect_request(f"{API}/coupons", method="GET").respond_with_json([ours])
    # Then the retry is given that code's id
    assert REMOTE.coupon_create(shop, coupon) == "720"


def test_another_refusal_carries_the_shops_words(shop, httpserver, coupon):
    httpserver.expect_request(f"{API}/coupons", method="POST").respond_with_json(
        {"code": "rest_invalid_param", "message": "Invalid parameter(s): discount_type", "data": {"status": 400}},
        status=400,
    )
    with pytest.raises(CouponRefused, match=r"Invalid parameter\(s\): discount_type") as refused:
        REMOTE.coupon_create(shop, coupon)
    assert refused.value.duplicate is False


# --- The test delivery ------------------------------------------------------------------------------------


def test_there_is_no_test_event_before_there_is_a_secret(shop):
    with pytest.raises(CallError, match="connect it first"):
        REMOTE.test_event(shop)


def test_the_test_event_passes_our_real_endpoint_and_stores_nothing(shop, store, client, live_flows, mailoutbox):
    shop.secret = "s3cret"
    shop.webhooks = [{"topic": "order.created", "id": "301"}]
    shop.save()
    headers, body = REMOTE.test_event(shop)
    order = json.loads(body)
    assert order["billing"]["email"].endswith("@example.com") and order["created_via"] == "afterglow-test"
    assert headers["X-WC-Webhook-Topic"] == "order.created" and headers["X-WC-Webhook-ID"] == "301"
    # When it is posted through the real endpoint, twice (two presses of the button)
    answers = []
    for _ in range(2):
        headers, body = REMOTE.test_event(shop)
        answers.append(client.post("/webhooks/woocommerce/northwind/", data=body, headers=headers,
                                   content_type=headers["Content-Type"]))  # fmt: skip
    # Then both pass the signature and are read, and nothing is stored or sent
    assert [answer.status_code for answer in answers] == [200, 200]
    assert {answer.json()["status"] for answer in answers} == {"processed"}
    assert "nothing stored" in answers[0].json()["summary"]
    assert InboundEvent.objects.filter(outcome=Outcome.PROCESSED).count() == 2
    assert not Order.objects.exists() and not Customer.objects.exists() and not Message.objects.exists()
    assert mailoutbox == []
