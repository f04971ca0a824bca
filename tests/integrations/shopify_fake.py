"""A stand-in for a shop's Admin API on pytest-httpserver, answering with the shapes in
tests/fixtures/outbound/shopify/ (see its SOURCES.md, section 1). Nothing reaches the internet.

It keeps the state a real shop keeps for what we ask of it (webhook subscriptions, discount codes), serves
history pages from the fixtures, and lets a test script an answer for the next call of an operation (a
THROTTLED 200, a 429, a 401, a userError) before the normal answer resumes.
"""

from __future__ import annotations

import copy
import json
import re
from collections import defaultdict
from typing import Any

from werkzeug import Request, Response

from tests.integrations.conftest import fixture_json

OUT = "outbound/shopify/"
OPERATION = re.compile(r"\b(?:query|mutation)\s+(\w+)")
TOKEN = "shpat_test_token"


def out(name: str):
    return fixture_json(OUT + name)


def product_pages() -> list[list[dict]]:
    """Page 1: the derived product with variants and images; page 2: the two other published products."""
    first = out("graphql_products_with_variants_images.derived.response.json")["data"]["products"]["nodes"]
    others = out("graphql_products_after_cursor.response.json")["data"]["products"]["edges"]
    return [first, [edge["node"] for edge in others[1:]]]


def customer_pages() -> list[list[dict]]:
    """Page 1: two customers of the docs example; page 2: the third (no email: skipped) and a captured one."""
    docs = out("graphql_customers.response.json")["data"]["customers"]["nodes"]
    captured = out("graphql_customers_paginated_captured.response.json")["data"]["customers"]["edges"]
    return [docs[:2], [docs[2], captured[0]["node"]]]


def _with_money(node: dict, currency: str, amount: str) -> dict:
    """The money fields our query asks for, in the published MoneyBag shape (shopMoney.amount)."""
    money = {"shopMoney": {"amount": amount, "currencyCode": currency}}
    zero = {"shopMoney": {"amount": "0.0", "currencyCode": currency}}
    node.setdefault("currencyCode", currency)
    node.setdefault("totalPriceSet", money)
    node.setdefault("subtotalPriceSet", money)
    for key in ("totalDiscountsSet", "totalShippingPriceSet", "totalTaxSet"):
        node.setdefault(key, zero)
    return node


def order_pages() -> list[list[dict]]:
    """Page 1: the derived sync order (#1464: customer, shipping address, a line, a fulfillment tracked twice);
    page 2: the docs' order details (#2000, #2006), their lineItems edges served as the nodes we ask for."""
    synced = out("graphql_orders_sync.derived.response.json")["data"]["orders"]["nodes"]
    details = [edge["node"] for edge in out("graphql_orders_details.response.json")["data"]["orders"]["edges"]]
    first = [_with_money(node, "CAD", "40.0") for node in synced]
    for node in first:
        node["updatedAt"] = node["createdAt"]
    second = []
    for node in details:
        node = _with_money(node, node["totalPriceSet"]["shopMoney"]["currencyCode"], "2000.0")
        node["lineItems"] = {"nodes": [edge["node"] for edge in node["lineItems"]["edges"]]}
        second.append(node)
    return [first, second]


def graphql_error(message: str, **extensions) -> dict:
    return {"errors": [{"message": message, "extensions": extensions}]}


class FakeShopify:
    def __init__(self, httpserver, *, version: str, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[tuple[str, dict, dict]] = []  # (operation, variables, headers)
        self.token_requests: list[dict] = []
        self.token_refusal: tuple[int, dict] | None = None  # (status, body) for the next code exchange
        self.scripted: dict[str, list[tuple[int, Any, dict]]] = defaultdict(list)
        self.subscriptions: dict[str, dict[str, str]] = {}
        self.discounts: dict[str, str] = {}
        self.pages = {"products": product_pages(), "customers": customer_pages(), "orders": order_pages()}
        self._next_id = 1954588819762  # the captured subscription's id, counting up
        httpserver.expect_request(f"/admin/api/{version}/graphql.json", method="POST").respond_with_handler(
            self.graphql
        )
        httpserver.expect_request("/admin/oauth/access_token", method="POST").respond_with_handler(self.access_token)

    # --- scripting ------------------------------------------------------------------------------------

    def script(self, operation: str, body: Any, *, status: int = 200, headers: dict | None = None) -> None:
        """The next call of `operation` gets this answer; later calls get the normal one."""
        self.scripted[operation].append((status, body, headers or {}))

    def operations(self) -> list[str]:
        return [operation for operation, _, _ in self.calls]

    def variables(self, operation: str) -> list[dict]:
        return [variables for name, variables, _ in self.calls if name == operation]

    # --- the endpoints --------------------------------------------------------------------------------

    def graphql(self, request: Request) -> Response:
        body = request.get_json()
        operation = OPERATION.search(body["query"]).group(1)
        variables = body.get("variables") or {}
        self.calls.append((operation, variables, dict(request.headers)))
        if self.scripted[operation]:
            status, answer, headers = self.scripted[operation].pop(0)
            return Response(json.dumps(answer), status=status, headers=headers, content_type="application/json")
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            return Response(
                json.dumps({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}),
                status=401,
                content_type="application/json",
            )
        answer = getattr(self, operation)(variables)
        return Response(json.dumps(answer), status=200, content_type="application/json")

    def access_token(self, request: Request) -> Response:
        self.token_requests.append(request.get_json())
        if self.token_refusal is not None:
            (status, body), self.token_refusal = self.token_refusal, None
            return Response(json.dumps(body), status=status, content_type="application/json")
        return Response(
            json.dumps(out("oauth_access_token.response.json")), status=200, content_type="application/json"
        )

    # --- operations -----------------------------------------------------------------------------------

    def AfterglowShop(self, variables):
        return out("graphql_shop.response.json")

    def AfterglowWebhooks(self, variables):
        foreign = out("graphql_webhookSubscriptions.response.json")["data"]["webhookSubscriptions"]["edges"]
        ours = [{"node": {"id": sid, **sub}} for sid, sub in self.subscriptions.items()]
        return {
            "data": {
                "webhookSubscriptions": {
                    "pageInfo": {"hasNextPage": False, "endCursor": None},
                    "edges": foreign + ours,
                }
            }
        }

    def AfterglowWebhookCreate(self, variables):
        topic, uri = variables["topic"], variables["webhookSubscription"]["uri"]
        assert variables["webhookSubscription"]["format"] == "JSON"
        if any(sub == {"topic": topic, "uri": uri} for sub in self.subscriptions.values()):
            answer = out("graphql_webhookSubscriptionCreate_duplicate_captured.response.json")
            return {"data": answer["data"]}
        self._next_id += 1
        sid = f"gid://shopify/WebhookSubscription/{self._next_id}"
        self.subscriptions[sid] = {"topic": topic, "uri": uri}
        answer = copy.deepcopy(out("graphql_webhookSubscriptionCreate.response.json"))
        answer["data"]["webhookSubscriptionCreate"]["webhookSubscription"] = {"id": sid, "topic": topic, "uri": uri}
        return answer

    def AfterglowWebhookDelete(self, variables):
        sid = variables["id"]
        if self.subscriptions.pop(sid, None) is None:
            result = {
                "deletedWebhookSubscriptionId": None,
                "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
            }
        else:
            result = {"deletedWebhookSubscriptionId": sid, "userErrors": []}
        return {"data": {"webhookSubscriptionDelete": result}}

    def _page(self, stage: str, variables: dict) -> dict:
        pages = self.pages[stage]
        index = int(variables["after"].rsplit("-", 1)[1]) if variables.get("after") else 0
        has_next = index + 1 < len(pages)
        data: dict[str, Any] = {
            stage: {
                "pageInfo": {"hasNextPage": has_next, "endCursor": f"{stage}-cursor-{index + 1}" if has_next else None},
                "nodes": copy.deepcopy(pages[index]),
            }
        }
        if variables.get("withTotal"):
            data[f"{stage}Count"] = {"count": sum(len(page) for page in pages)}
        return {"data": data}

    def AfterglowProducts(self, variables):
        return self._page("products", variables)

    def AfterglowCustomers(self, variables):
        return self._page("customers", variables)

    def AfterglowOrders(self, variables):
        return self._page("orders", variables)

    def _discount(self, field: str, variables: dict) -> dict:
        code = variables["input"]["code"]
        if code in self.discounts:
            answer = out("graphql_discountCodeBasicCreate_duplicate.derived.response.json")
            return {"data": {field: answer["data"]["discountCodeBasicCreate"]}}
        self.discounts[code] = f"gid://shopify/DiscountCodeNode/{1057856654 + len(self.discounts)}"
        return {"data": {field: {"codeDiscountNode": {"id": self.discounts[code]}, "userErrors": []}}}

    def AfterglowDiscountCreate(self, variables):
        return self._discount("discountCodeBasicCreate", variables)

    def AfterglowFreeShippingCreate(self, variables):
        return self._discount("discountCodeFreeShippingCreate", variables)
