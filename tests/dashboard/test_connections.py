"""The connections page: a merchant connects a source in the browser, and its secrets never come back out."""

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
import time_machine
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone

from apps.integrations.calls import Unauthorized
from apps.integrations.models import Connection, ConnectionState, HistorySync
from apps.integrations.remotes import CredentialField, SetupResult
from apps.integrations.services.connections import connection_setup, connection_teardown
from tests.integrations import fake_remote
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def woo(monkeypatch):
    script = fake_remote.install(monkeypatch, "woocommerce")
    fields = (
        CredentialField("site", "Site address", "address", secret=False),
        CredentialField("key", "Consumer key", "api_key"),
        CredentialField("secret", "Consumer secret", "api_token"),
    )
    from dataclasses import replace

    from apps.integrations import registry

    monkeypatch.setitem(registry.remotes(), "woocommerce", replace(registry.remotes()["woocommerce"], fields=fields))
    return script


def stored(column: str, pk: int) -> str:
    """What the database really holds, below the encrypted field."""
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM integrations_connection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def connect_woo(client, **overrides):
    data = {"site": "https://shop.example", "key": "ck_0123456789", "secret": "cs_abcdefghij", **overrides}
    return client.post(reverse("dashboard:connection_detail", args=["woocommerce"]), data)


def test_the_page_lists_every_source_and_whether_it_is_connected(client, manager):
    response = client.get(reverse("dashboard:connection_list"))
    page = response.content.decode()
    assert response.status_code == 200
    for name in ("Shopify", "WooCommerce", "AfterShip", "17TRACK", "EasyPost", "Email delivery"):
        assert name in page
    assert "Not connected" in page


def test_connecting_saves_encrypted_credentials_and_queues_the_setup(
    client, manager, woo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        response = connect_woo(client)

    assert response.status_code == 302
    saved = Connection.objects.get(store=manager.store, source="woocommerce")
    assert (saved.state, saved.address, saved.api_token) == (
        ConnectionState.PENDING,
        "https://shop.example",
        "cs_abcdefghij",
    )
    assert "cs_abcdefghij" not in stored("api_token", saved.pk) and "ck_0123456789" not in stored("api_key", saved.pk)
    assert len(queued) == 1  # the setup task, after commit: no call out in the request

    page = client.get(reverse("dashboard:connection_detail", args=["woocommerce"])).content.decode()
    assert "Connecting" in page
    assert "cs_abcdefghij" not in page and "ck_0123456789" not in page  # never shown again


def test_setup_marks_the_connection_connected_and_starts_the_history_import(client, manager, woo):
    connect_woo(client)
    saved = Connection.objects.get(store=manager.store, source="woocommerce")
    woo.setup_result = SetupResult(
        shop_name="Northwind",
        currency="eur",
        time_zone="Europe/Rome",
        webhooks=[{"topic": "order.created", "id": "12"}],
        secret="s3cret",
    )

    connection_setup(connection_id=saved.pk)
    connection_setup(connection_id=saved.pk)  # a second run starts no second import

    saved.refresh_from_db()
    assert (saved.state, saved.shop_name, saved.secret) == (ConnectionState.CONNECTED, "Northwind", "s3cret")
    assert HistorySync.objects.filter(connection=saved).count() == 1
    manager.store.refresh_from_db()
    assert (manager.store.currency, manager.store.time_zone) == ("EUR", "Europe/Rome")
    page = client.get(reverse("dashboard:connection_detail", args=["woocommerce"])).content.decode()
    assert "Connected" in page and "Northwind" in page and "order.created" in page


def test_refused_credentials_are_shown_with_what_to_check(client, manager, woo):
    connect_woo(client)
    saved = Connection.objects.get(store=manager.store, source="woocommerce")
    woo.failures = [
        Unauthorized(
            "https://shop.example/wp-json/wc/v3/ refused our credentials (HTTP 401). Check the token or key.",
            status=401,
        )
    ]

    connection_setup(connection_id=saved.pk)

    saved.refresh_from_db()
    assert saved.state == ConnectionState.FAILING
    page = client.get(reverse("dashboard:connection_list")).content.decode()
    assert "Failing" in page and "refused our credentials" in page


def test_an_empty_secret_field_keeps_the_saved_secret(client, manager, woo):
    connect_woo(client)
    response = connect_woo(client, site="https://shop.example/", secret="", key="")

    assert response.status_code == 302
    saved = Connection.objects.get(store=manager.store, source="woocommerce")
    assert (saved.api_key, saved.api_token) == ("ck_0123456789", "cs_abcdefghij")


def test_a_first_connection_needs_every_credential(client, manager, woo):
    response = connect_woo(client, secret="")

    assert response.status_code == 400
    assert not Connection.objects.filter(store=manager.store).exists()


def test_an_unknown_source_is_a_404(client, manager):
    assert client.get(reverse("dashboard:connection_detail", args=["magento"])).status_code == 404


def test_another_stores_connection_is_never_shown(client, manager, woo):
    other = StoreFactory()
    Connection.objects.create(
        store=other,
        source="woocommerce",
        shop_name="Rival Goods",
        address="https://rival.example",
        state=ConnectionState.CONNECTED,
    )

    page = client.get(reverse("dashboard:connection_detail", args=["woocommerce"])).content.decode()

    assert "Rival Goods" not in page and "rival.example" not in page and "Not connected" in page


def test_support_staff_cannot_see_connections(client):
    support = MembershipFactory(role="support")
    client.force_login(support.user)
    assert client.get(reverse("dashboard:connection_list")).status_code == 403


def shopify_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post_shopify(client, store, secret, delivery):
    body = b'{"id": 9, "email": "ana@example.com", "customer": {"email": "ana@example.com"}}'
    return client.post(
        f"/webhooks/shopify/{store.slug}/",
        data=body,
        content_type="application/json",
        headers={
            "X-Shopify-Hmac-Sha256": shopify_signature(secret, body),
            "X-Shopify-Topic": "customers/update",
            "X-Shopify-Webhook-Id": delivery,
        },
    )


def test_a_rotated_secret_accepts_the_old_one_for_a_day(client, manager):
    store = manager.store
    Connection.objects.create(store=store, source="shopify", secret="old-secret", state=ConnectionState.CONNECTED)

    response = client.post(reverse("dashboard:connection_rotate", args=["shopify"]), {"new_secret": "new-secret"})
    assert response.status_code == 302

    assert post_shopify(client, store, "new-secret", "d1").status_code == 200
    assert post_shopify(client, store, "old-secret", "d2").status_code == 200
    assert post_shopify(client, store, "old-secret", "d2").status_code == 200  # posted twice: still fine
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert post_shopify(client, store, "old-secret", "d3").status_code == 401
        assert post_shopify(client, store, "new-secret", "d4").status_code == 200


def test_disconnecting_refuses_webhooks_and_forgets_the_credentials(
    client, manager, django_capture_on_commit_callbacks
):
    store = manager.store
    saved = Connection.objects.create(
        store=store, source="shopify", secret="hook-secret", api_token="shpat_token", state=ConnectionState.CONNECTED
    )

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("dashboard:connection_disconnect", args=["shopify"]))
    assert response.status_code == 302 and len(queued) == 1
    assert post_shopify(client, store, "hook-secret", "d1").status_code == 404

    connection_teardown(connection_id=saved.pk)
    connection_teardown(connection_id=saved.pk)
    saved.refresh_from_db()
    assert (saved.enabled, saved.state, saved.api_token, saved.secret) == (
        False,
        ConnectionState.DISCONNECTED,
        None,
        None,
    )
    assert client.post(reverse("dashboard:connection_disconnect", args=["shopify"])).status_code == 404


def test_the_real_woocommerce_form_refuses_a_plain_http_site_before_any_call(client, manager, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    url = reverse("dashboard:connection_detail", args=["woocommerce"])
    data = {"address": "http://shop.example", "consumer_key": "ck_1", "consumer_secret": "cs_1"}

    response = client.post(url, data)

    assert response.status_code == 400 and "https" in response.content.decode()
    assert not Connection.objects.filter(store=manager.store).exists()
    data["address"] = "shop.example/wp-admin/"
    assert client.post(url, data).status_code == 302
    assert Connection.objects.get(store=manager.store).address == "https://shop.example"


def test_a_connection_without_a_secret_refuses_every_delivery(client, manager):
    Connection.objects.create(store=manager.store, source="shopify", secret=None, state=ConnectionState.CONNECTED)

    assert post_shopify(client, manager.store, "", "d1").status_code == 401


def test_the_real_shopify_form_wants_a_myshopify_name(client, manager):
    url = reverse("dashboard:connection_detail", args=["shopify"])
    data = {"address": "northwind.com", "api_token": "shpat_1", "secret": "whsec"}

    assert client.post(url, data).status_code == 400
    data["address"] = "https://Northwind.myshopify.com/admin"
    assert client.post(url, data).status_code == 302
    assert Connection.objects.get(store=manager.store).address == "northwind.myshopify.com"


def test_two_setups_of_one_connection_never_run_at_once(client, manager, woo):
    from django.core.cache import cache

    from apps.integrations.services.connections import SetupBusy

    connect_woo(client)
    saved = Connection.objects.get(store=manager.store, source="woocommerce")
    cache.add(f"integrations:connection-setup:{saved.pk}", 1)  # another worker holds it

    with pytest.raises(SetupBusy):
        connection_setup(connection_id=saved.pk)
    assert Connection.objects.get(pk=saved.pk).state == ConnectionState.PENDING

    cache.delete(f"integrations:connection-setup:{saved.pk}")
    assert connection_setup(connection_id=saved.pk).state == ConnectionState.CONNECTED


def test_the_connections_page_costs_the_same_queries_however_many_deliveries(
    client, manager, django_assert_max_num_queries
):
    from tests.integrations.factories import InboundEventFactory

    store = manager.store
    for source in ("shopify", "aftership"):
        Connection.objects.create(store=store, source=source, secret="s", state=ConnectionState.CONNECTED)
    InboundEventFactory(store=store, source="aftership", received_at=timezone.now() - timedelta(days=3))

    with django_assert_max_num_queries(12):
        page = client.get(reverse("dashboard:connection_list")).content.decode()
    for _ in range(30):
        InboundEventFactory(store=store, source="shopify")
    with django_assert_max_num_queries(12):
        busier = client.get(reverse("dashboard:connection_list")).content.decode()

    assert "none yet" in page  # shopify had no delivery
    assert "3\xa0days ago" in page  # aftership's last one, outside the 24 h window
    assert ">30<" in busier.replace(" ", "")


def test_the_esp_card_says_where_delivery_reports_go_and_whether_they_are_accepted(client, manager, settings):
    settings.ANYMAIL_ESP = "postmark"
    settings.ANYMAIL = {}
    page = client.get(reverse("dashboard:connection_list")).content.decode()
    assert "://USER:PASSWORD@" in page and "/anymail/postmark/tracking/" in page
    assert "No webhook secret is set" in page

    settings.ANYMAIL = {"WEBHOOK_SECRET": "hooks:Zq8secretvalue"}
    page = client.get(reverse("dashboard:connection_list")).content.decode()
    assert "No webhook secret is set" not in page and "Zq8secretvalue" not in page
