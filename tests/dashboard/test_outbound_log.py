"""The calls-out log: every call Afterglow made to a shop or tracking service, for the store's own eyes."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from apps.integrations.models import OutboundCall, Source
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:outbound_list")


def a_call(store, *, at=None, **fields) -> OutboundCall:
    values = {
        "source": Source.SHOPIFY,
        "operation": "webhooks.register",
        "method": "POST",
        "url": f"{store.slug}.myshopify.com/admin/api/2025-01/webhooks.json",
        "status_code": 201,
        "duration_ms": 184,
        "ok": True,
    }
    call = OutboundCall.objects.create(store=store, **{**values, **fields})
    if at is not None:
        OutboundCall.objects.filter(pk=call.pk).update(created_at=at)
        call.refresh_from_db()
    return call


def listed(client, **params) -> list[int]:
    return [call.pk for call in client.get(URL, params).context["page"].items]


def test_the_log_lists_the_stores_own_calls_newest_first_and_never_another_stores(client, manager):
    # given two calls of the manager's store and one of another store
    older = a_call(manager.store, at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    newer = a_call(manager.store, at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    theirs = a_call(StoreFactory(), operation="orders.list", url="elsewhere.myshopify.com/admin/orders.json")
    # when the manager opens the log
    response = client.get(URL)
    # then they see their calls, newest first, and nothing of the other store
    assert response.status_code == 200
    assert [call.pk for call in response.context["page"].items] == [newer.pk, older.pk]
    page = response.content.decode()
    assert "elsewhere.myshopify.com" not in page
    assert theirs.pk not in listed(client, source=Source.SHOPIFY)
    assert theirs.pk not in listed(client, problems="1")


def test_a_row_shows_the_call_in_the_stores_time_zone(client, manager):
    # given a retried call that failed, in a store in Rome (UTC+1 in winter)
    assert manager.store.time_zone == "Europe/Rome"
    a_call(
        manager.store,
        at=datetime(2026, 1, 15, 8, 30, 5, tzinfo=UTC),
        source=Source.AFTERSHIP,
        operation="trackings.create",
        url="api.aftership.com/tracking/2024-10/trackings",
        status_code=503,
        duration_ms=1234,
        attempt=3,
        ok=False,
        error="Service unavailable",
    )
    # when the log is shown
    page = client.get(URL).content.decode()
    # then the row carries when (Rome time), where, what and how it went
    shown = ["15 Jan, 09:30:05", "AfterShip", "trackings.create", "POST api.aftership.com/tracking/2024-10/trackings"]
    for text in [*shown, "503", "1234 ms", "Service unavailable"]:
        assert text in page, text


def test_problems_only_lists_the_calls_that_went_wrong(client, manager):
    # given a call that worked, one refused and one that never got an answer
    a_call(manager.store)
    refused = a_call(manager.store, status_code=401, ok=False, error="Unauthorized")
    timed_out = a_call(manager.store, status_code=None, ok=False, error="Timed out after 10 s")
    # when the manager asks for problems only, then only those two are listed
    assert set(listed(client, problems="1")) == {refused.pk, timed_out.pk}


def test_the_source_filter_lists_one_sources_calls(client, manager):
    # given calls to Shopify and to EasyPost
    a_call(manager.store)
    easypost = a_call(manager.store, source=Source.EASYPOST, url="api.easypost.com/v2/trackers")
    # when filtered by EasyPost, then only its call shows; an unknown source filters nothing out
    assert listed(client, source=Source.EASYPOST) == [easypost.pk]
    assert len(listed(client, source="not-a-source")) == 2


def test_the_htmx_filter_returns_only_the_results_block(client, manager):
    a_call(manager.store, ok=False, status_code=500, error="Internal error")
    response = client.get(URL, {"problems": "1"}, headers={"HX-Request": "true", "HX-Target": "results"})
    page = response.content.decode()
    assert "Internal error" in page
    assert "<html" not in page


def test_the_log_pages_like_the_inbound_log(client, manager):
    # given one call more than a page holds
    for _ in range(51):
        a_call(manager.store)
    # when the first and second pages are opened
    first = client.get(URL).context["page"]
    second = client.get(URL, {"page": 2}).context["page"]
    # then 50 are on the first, one on the second
    assert (len(first.items), first.has_next) == (50, True)
    assert (len(second.items), second.has_next, second.has_previous) == (1, False, True)


def test_the_log_costs_the_same_queries_for_one_call_or_a_full_page(client, manager, django_assert_max_num_queries):
    # given one call, the page's queries; then a full page of calls costs no more
    a_call(manager.store)
    client.get(URL)  # warm the session and membership caches as a person's second visit would
    with django_assert_max_num_queries(6) as one:
        client.get(URL)
    for _ in range(49):
        a_call(manager.store, ok=False, status_code=500, error="Internal error")
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(URL, {"problems": "1"})


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_support_cannot_see_the_calls_out_log_nor_its_link(client):
    # given a support member (the inbound log is not theirs either)
    support = MembershipFactory(role="support")
    client.force_login(support.user)
    # when they open it, then it is refused, and the menu does not offer it
    assert client.get(URL).status_code == 403
    assert URL not in client.get(reverse("dashboard:critic_list")).content.decode()


def test_a_manager_finds_the_log_beside_the_inbound_log(client, manager):
    menu = client.get(reverse("dashboard:inbound_list")).content.decode()
    assert menu.index(reverse("dashboard:inbound_list")) < menu.index(URL)
