"""Connecting a shop: read it (name, currency, time zone), then make sure our webhooks are registered.

Idempotent: the subscriptions the app already has are listed first, and a topic already delivered to our
address is not registered again; "Address for this topic has already been taken" (a setup racing another)
counts as registered. Run from the connection setup task, never in a web request.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from ...calls import ApiClient, CallError
from ...models import Connection
from ...remotes import SetupResult
from .client import graphql, shopify_client, user_errors
from .oauth import oauth_exchange, oauth_pending_code

# Everything our adapter applies, and the uninstall that tells us the token is dead.
TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_CANCELLED",
    "FULFILLMENTS_CREATE",
    "FULFILLMENTS_UPDATE",
    "CHECKOUTS_CREATE",
    "CHECKOUTS_UPDATE",
    "CUSTOMERS_CREATE",
    "CUSTOMERS_UPDATE",
    "PRODUCTS_CREATE",
    "PRODUCTS_UPDATE",
    "APP_UNINSTALLED",
)
ALREADY_TAKEN = "already been taken"
MAX_SUBSCRIPTION_PAGES = 10

SHOP_QUERY = "query AfterglowShop { shop { name currencyCode ianaTimezone myshopifyDomain } }"
SUBSCRIPTIONS_QUERY = """
query AfterglowWebhooks($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id topic uri } }
  }
}"""
CREATE_MUTATION = """
mutation AfterglowWebhookCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}"""
DELETE_MUTATION = """
mutation AfterglowWebhookDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}"""


def webhook_url(connection: Connection) -> str:
    """Where Shopify delivers this store's webhooks: our public address + /webhooks/shopify/<store>/."""
    path = reverse("integrations:webhook", kwargs={"source": "shopify", "store_slug": connection.store.slug})
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def setup(connection: Connection) -> SetupResult:
    """Check the token, read the shop, register every topic in TOPICS. Raises CallError (naming the topic for a
    refused subscription, Unauthorized for a bad token)."""
    code = oauth_pending_code(connection)
    if code:  # an OAuth install: the code from the callback becomes our token first
        oauth_exchange(connection, code)
    callback = webhook_url(connection)
    with shopify_client(connection) as client:
        shop = graphql(client, SHOP_QUERY, None, "shop.read").get("shop") or {}
        webhooks = _register_all(client, callback)
    return SetupResult(
        shop_name=str(shop.get("name") or ""),
        currency=str(shop.get("currencyCode") or ""),
        time_zone=str(shop.get("ianaTimezone") or ""),
        webhooks=webhooks,
        scopes=connection.scopes,
    )


def _register_all(client: ApiClient, callback: str) -> list[dict[str, str]]:
    ours = _subscriptions_at(client, callback)
    missing_ids = []
    for topic in TOPICS:
        if topic in ours:
            continue
        subscription_id = _register(client, topic, callback)
        ours[topic] = subscription_id
        if not subscription_id:
            missing_ids.append(topic)
    if missing_ids:  # taken by a setup running beside us: read their ids back, teardown needs them
        ours.update({t: i for t, i in _subscriptions_at(client, callback).items() if t in missing_ids})
    return [{"topic": topic, "id": ours.get(topic, "")} for topic in TOPICS]


def _subscriptions_at(client: ApiClient, callback: str) -> dict[str, str]:
    """{topic: subscription id} of the app's subscriptions that deliver to `callback`."""
    found: dict[str, str] = {}
    after = None
    for _ in range(MAX_SUBSCRIPTION_PAGES):
        data = graphql(client, SUBSCRIPTIONS_QUERY, {"after": after}, "webhooks.list")
        connection = data.get("webhookSubscriptions") or {}
        for edge in connection.get("edges") or []:
            node = (edge or {}).get("node") or {}
            if node.get("uri") == callback and node.get("topic"):
                found[str(node["topic"])] = str(node.get("id") or "")
        page = connection.get("pageInfo") or {}
        after = page.get("endCursor")
        if not page.get("hasNextPage") or not after:
            break
    return found


def _register(client: ApiClient, topic: str, callback: str) -> str:
    """The new subscription's id; "" when Shopify says ours exists already."""
    variables = {"topic": topic, "webhookSubscription": {"uri": callback, "format": "JSON"}}
    payload = graphql(client, CREATE_MUTATION, variables, "webhooks.register").get("webhookSubscriptionCreate") or {}
    errors = user_errors(payload)
    if errors:
        messages = [str(e.get("message") or "") for e in errors]
        if all(ALREADY_TAKEN in m for m in messages):
            return ""
        raise CallError(f"Shopify refused the {topic} webhook: {'; '.join(messages)[:300]}", body=errors)
    subscription = payload.get("webhookSubscription") or {}
    if not subscription.get("id"):
        raise CallError(f"Shopify did not create the {topic} webhook and did not say why.")
    return str(subscription["id"])


def teardown(connection: Connection) -> None:
    """Delete the subscriptions setup registered; one Shopify no longer has is already gone."""
    ids = [str(w.get("id")) for w in connection.webhooks or [] if isinstance(w, dict) and w.get("id")]
    if not ids:
        return
    problems = []
    with shopify_client(connection) as client:
        for subscription_id in ids:
            payload = graphql(client, DELETE_MUTATION, {"id": subscription_id}, "webhooks.delete")
            for error in user_errors(payload.get("webhookSubscriptionDelete")):
                message = str(error.get("message") or "")
                if "not exist" not in message and "not found" not in message.lower():
                    problems.append(message)
    if problems:
        raise CallError(f"Shopify kept some webhooks: {'; '.join(problems)[:300]}")
