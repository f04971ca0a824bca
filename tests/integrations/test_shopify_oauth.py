"""Installing Afterglow as a Shopify app: the consent redirect, the signed callback, the code exchange in the
setup task. Shopify is a local stand-in (shopify_fake.py); the HMAC rule is checked on the published vectors."""

import base64
import hashlib
import hmac
import time
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from django.urls import reverse

from apps.integrations.models import Connection, ConnectionState
from apps.integrations.services.connections import connection_setup
from apps.integrations.sources.shopify.oauth import hmac_matches, signed_message
from apps.integrations.sources.shopify.setup import TOPICS
from tests.integrations.conftest import fixture_json
from tests.integrations.shopify_fake import FakeShopify
from tests.stores.factories import MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.integrations.shopify_oauth_urlconf")]

CLIENT_ID = "afterglow-client-id"
APP_SECRET = "hush"  # the published vectors' secret
SITE = "https://afterglow.example"
ISSUED = fixture_json("outbound/shopify/oauth_access_token.response.json")
CODE = fixture_json("outbound/shopify/oauth_access_token.request.json")["body"]["code"]
# admin.shopify.com/store/northwind: 33 bytes, so its base64 has no padding to encode
HOST = base64.b64encode(b"admin.shopify.com/store/northwind").decode()


@pytest.fixture(autouse=True)
def shopify_app(settings, httpserver):
    settings.SHOPIFY_API_KEY = CLIENT_ID
    settings.SHOPIFY_API_SECRET = APP_SECRET
    settings.SITE_URL = SITE
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.SHOPIFY_ADMIN_BASE_URL = httpserver.url_for("/").rstrip("/")


@pytest.fixture
def owner(client):
    membership = MembershipFactory(role="owner", store__slug="northwind")
    client.force_login(membership.user)
    return membership


@pytest.fixture
def shop(httpserver, settings):
    return FakeShopify(httpserver, version=settings.SHOPIFY_API_VERSION, token=ISSUED["access_token"])


def start_install(client, shop_name: str = "northwind") -> tuple[str, dict]:
    response = client.post(reverse("shopify_oauth:install"), {"shop": shop_name})
    assert response.status_code == 302, response.content
    location = response["Location"]
    return location, {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def signed(params: dict, secret: str = APP_SECRET) -> dict:
    """Sign as Shopify does: HMAC-SHA256 (hex) over the sorted key=value pairs (these values need no escaping)."""
    message = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
    return {**params, "hmac": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


def callback_params(state: str, *, shop: str = "northwind.myshopify.com", at: float | None = None, **extra) -> dict:
    params = {"code": CODE, "host": HOST, "shop": shop, "state": state, "timestamp": str(int(at or time.time()))}
    return {**params, **extra}


def call_back(client, params: dict):
    return client.get(reverse("shopify_oauth:callback"), params)


# --- The signature rule --------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", fixture_json("outbound/shopify/oauth_callback_hmac_vector.json")["vectors"])
def test_the_published_callback_vectors_verify(vector):
    pairs = parse_qsl(vector["query_string"])

    assert signed_message(pairs) == vector["message_signed"]
    assert hmac_matches(pairs, vector["client_secret"])
    tampered = [(key, "0907a61c0c8d55e99db179b68161bc01" if key == "code" else value) for key, value in pairs]
    assert not hmac_matches(tampered, vector["client_secret"])
    assert not hmac_matches(pairs, "not-the-secret")


# --- Install -------------------------------------------------------------------------------------------


def test_install_sends_the_owner_to_shopifys_consent_screen(client, owner, settings):
    location, query = start_install(client, "Northwind.myshopify.com")

    assert location.startswith("https://northwind.myshopify.com/admin/oauth/authorize?")
    assert query["client_id"] == CLIENT_ID
    assert query["scope"] == settings.SHOPIFY_SCOPES
    assert query["redirect_uri"] == f"{SITE}/integrations/shopify/callback/"
    assert len(query["state"]) >= 40  # 32 random bytes


def test_install_shows_its_form_and_refuses_an_address_that_is_not_a_shop(client, owner):
    assert client.get(reverse("shopify_oauth:install")).status_code == 200

    response = client.post(reverse("shopify_oauth:install"), {"shop": "northwind.example.com"})

    assert response.status_code == 400
    assert "myshopify.com" in response.content.decode()


def test_support_staff_cannot_install(client):
    support = MembershipFactory(role="support")
    client.force_login(support.user)

    assert client.post(reverse("shopify_oauth:install"), {"shop": "northwind"}).status_code == 403


def test_without_a_configured_app_there_is_no_install(client, owner, settings):
    settings.SHOPIFY_API_SECRET = ""

    assert client.post(reverse("shopify_oauth:install"), {"shop": "northwind"}).status_code == 404
    assert client.get(reverse("shopify_oauth:callback")).status_code == 404


# --- Callback ------------------------------------------------------------------------------------------


def test_a_good_callback_keeps_the_code_for_the_setup_task_which_connects_the_shop(
    client, owner, shop, django_capture_on_commit_callbacks
):
    _, query = start_install(client)

    with django_capture_on_commit_callbacks() as queued:
        response = call_back(client, signed(callback_params(query["state"])))

    # the view called nothing out: it saved a pending connection and queued the setup task
    assert response.status_code == 302
    assert response["Location"] in (reverse("dashboard:home"), "/dashboard/connections/")
    assert shop.token_requests == [] and shop.calls == []
    assert len(queued) == 1
    connection = Connection.objects.get(store=owner.store, source="shopify")
    assert (connection.state, connection.address, connection.api_key) == (
        ConnectionState.PENDING,
        "northwind.myshopify.com",
        CODE,
    )
    assert connection.secret == APP_SECRET  # an app's webhooks are signed with the app's secret

    # when the setup task runs: the code becomes the token, then the shop is read and the webhooks registered
    connection_setup(connection_id=connection.pk)

    connection.refresh_from_db()
    assert shop.token_requests == [{"client_id": CLIENT_ID, "client_secret": APP_SECRET, "code": CODE, "expiring": "0"}]
    assert connection.state == ConnectionState.CONNECTED, connection.last_error
    assert (connection.api_token, connection.api_key) == (ISSUED["access_token"], None)
    assert connection.scopes == ISSUED["scope"]
    assert connection.shop_name == "Snowdevil"
    assert len(connection.webhooks) == len(TOPICS)


def test_a_refused_code_fails_the_connection_and_is_forgotten(client, owner, shop):
    shop.token_refusal = (
        400,
        {"error": "invalid_request", "error_description": "The authorization code was not found"},
    )
    _, query = start_install(client)
    call_back(client, signed(callback_params(query["state"])))
    connection = Connection.objects.get(store=owner.store)

    connection_setup(connection_id=connection.pk)

    connection.refresh_from_db()
    assert connection.state == ConnectionState.FAILING
    assert "did not accept the installation code" in connection.last_error
    assert connection.api_key is None and connection.api_token is None
    assert shop.calls == []


def test_a_callback_replayed_with_the_same_state_is_refused(client, owner, shop):
    _, query = start_install(client)
    params = signed(callback_params(query["state"]))
    assert call_back(client, params).status_code == 302

    again = call_back(client, params)

    assert again.status_code == 400
    assert "already used" in again.content.decode()


def test_a_state_we_did_not_issue_is_refused(client, owner):
    start_install(client)

    response = call_back(client, signed(callback_params("made-up-state")))

    assert response.status_code == 400
    assert not Connection.objects.exists()


def test_a_callback_not_signed_with_the_apps_secret_is_refused_and_spends_the_state(client, owner):
    _, query = start_install(client)

    forged = call_back(client, signed(callback_params(query["state"]), secret="guessed"))
    genuine = call_back(client, signed(callback_params(query["state"])))

    assert forged.status_code == 400
    assert "not signed" in forged.content.decode()
    assert genuine.status_code == 400  # the state went with the forged try
    assert not Connection.objects.exists()


def test_a_shop_that_is_not_a_myshopify_address_is_refused(client, owner):
    _, query = start_install(client)

    response = call_back(client, signed(callback_params(query["state"], shop="northwind.example.com")))

    assert response.status_code == 400
    assert not Connection.objects.exists()


def test_a_callback_for_another_shop_than_the_one_asked_is_refused(client, owner):
    _, query = start_install(client)

    response = call_back(client, signed(callback_params(query["state"], shop="someone-else.myshopify.com")))

    assert response.status_code == 400
    assert not Connection.objects.exists()


def test_an_old_callback_is_refused(client, owner):
    _, query = start_install(client)

    response = call_back(client, signed(callback_params(query["state"], at=time.time() - 91)))

    assert response.status_code == 400
    assert "too old" in response.content.decode()
    assert not Connection.objects.exists()


def test_a_callback_for_a_store_the_person_cannot_manage_is_forbidden(client, owner):
    _, query = start_install(client)
    owner.role = "support"  # demoted between the redirect and the return
    owner.save()

    response = call_back(client, signed(callback_params(query["state"])))

    assert response.status_code == 403
    assert not Connection.objects.exists()
