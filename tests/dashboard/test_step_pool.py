"""The step editor's code source: codes Afterglow makes, or one of the store's pools of uploaded codes."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.campaigns.models import Coupon, Flow, FlowKind
from apps.campaigns.services.coupons import coupon_issue, coupon_pool_add_codes, coupon_pool_create
from apps.campaigns.services.messages import Planned, messages_schedule
from tests.customers.factories import CustomerFactory
from tests.dashboard.editor import step_form_data
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db
T = datetime(2026, 6, 1, 12, tzinfo=UTC)


def coupon_step(store):
    """The abandoned-cart step that gives 10 % off."""
    return Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART).steps.get(key="coupon-72h")


def pool_with(store, name: str, codes: list[str]):
    pool = coupon_pool_create(store=store, name=name)
    coupon_pool_add_codes(pool=pool, codes=codes)
    return pool


def scheduled_message(step, subject_key: str):
    customer = CustomerFactory(store=step.store)
    planned = Planned(
        step=step, subject_key=subject_key, email=customer.email, scheduled_for=T, customer_id=customer.pk
    )
    return messages_schedule([planned])[0]


def save(client, step, **changes):
    return client.post(reverse("dashboard:step_edit", args=[step.pk]), step_form_data(step, **changes))


def test_a_manager_picks_a_pool_and_the_steps_emails_get_its_codes(client, manager):
    # given a pool of two codes the shop made
    step = coupon_step(manager.store)
    pool = pool_with(manager.store, "Shopify spring", ["SPRING-1", "SPRING-2"])
    # when the manager picks it for the step
    response = save(client, step, incentive_pool=str(pool.pk))
    # then it is saved
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.incentive_pool == pool
    # and an email of that step gets one of the pool's codes, with the step's offer
    coupon = coupon_issue(message=scheduled_message(step, "cart:1"))
    assert coupon.pool == pool and coupon.code in {"SPRING-1", "SPRING-2"}
    assert (coupon.kind, coupon.value) == (step.incentive_kind, step.incentive_value)
    # and the editor shows the pool chosen
    page = client.get(reverse("dashboard:step_edit", args=[step.pk])).content.decode()
    assert f'<option value="{pool.pk}" selected>Shopify spring (1 code free)</option>' in page


def test_switching_back_to_generated_codes_clears_the_pool(client, manager):
    # given a step handing out a pool's codes
    step = coupon_step(manager.store)
    pool = pool_with(manager.store, "Shopify spring", ["SPRING-1"])
    save(client, step, incentive_pool=str(pool.pk))
    step.refresh_from_db()
    # when the manager chooses codes Afterglow makes
    response = save(client, step, incentive_pool="")
    # then the step has no pool, and its next email gets a code made for it, the pool's code still free
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.incentive_pool is None
    coupon = coupon_issue(message=scheduled_message(step, "cart:2"))
    assert coupon.pool is None and coupon.code != "SPRING-1"
    assert Coupon.objects.get(code="SPRING-1").issued_at is None


def test_another_stores_pool_posted_by_hand_is_refused_and_nothing_is_saved(client, manager):
    # given a pool of another store
    step = coupon_step(manager.store)
    theirs = pool_with(StoreFactory(), "Not yours", ["THEIRS-1"])
    # when its id is posted with other changes
    response = save(client, step, incentive_pool=str(theirs.pk), delay_value=5)
    # then the field says so, and nothing of the edit was saved
    assert response.status_code == 400
    errors = response.context["form"].errors["incentive_pool"]
    assert errors == ["Choose one of your store's coupon pools, or codes Afterglow makes."]
    assert "Nothing was saved" in response.content.decode()
    step.refresh_from_db()
    assert step.incentive_pool is None and step.delay_minutes == 72 * 60


def test_a_pool_without_a_kind_of_incentive_is_refused(client, manager):
    # given a pool of the store
    step = coupon_step(manager.store)
    pool = pool_with(manager.store, "Shopify spring", ["SPRING-1"])
    # when the manager picks it but leaves "No incentive"
    response = save(client, step, incentive_pool=str(pool.pk), incentive_kind="", incentive_value="0")
    # then the kind is asked for, and nothing is saved
    assert response.status_code == 400
    assert response.context["form"].errors["incentive_kind"] == ["Choose the kind of incentive the pool's codes give."]
    step.refresh_from_db()
    assert step.incentive_pool is None and step.incentive_kind == "percent"


def test_the_select_offers_generated_codes_and_the_stores_pools_with_their_free_codes(client, manager):
    # given a pool with three codes, one handed out; an empty pool; and another store's pool
    step = coupon_step(manager.store)
    pool = pool_with(manager.store, "Shopify spring", ["SPRING-1", "SPRING-2", "SPRING-3"])
    save(client, step, incentive_pool=str(pool.pk))
    step.refresh_from_db()
    coupon_issue(message=scheduled_message(step, "cart:1"))
    empty = coupon_pool_create(store=manager.store, name="Used up")
    theirs = pool_with(StoreFactory(), "Not yours", ["THEIRS-1"])
    # when the editor opens
    response = client.get(reverse("dashboard:step_edit", args=[step.pk]))
    page = response.content.decode()
    # then the select offers generated codes and the store's two pools, each with its free codes
    choices = response.context["form"].fields["incentive_pool"].choices
    assert choices == [
        ("", "Afterglow makes a code for each buyer (created in your connected shop)"),
        (pool.pk, "Shopify spring (2 codes free)"),
        (empty.pk, "Used up (no codes left)"),
    ]
    assert "Where the codes come from" in page
    assert "Shopify spring (2 codes free)" in page
    assert "Not yours" not in page and f'<option value="{theirs.pk}"' not in page
    # and a link leads to the page where codes are uploaded
    assert f'href="{reverse("dashboard:coupon_pool_list")}">Upload codes</a>' in page


def test_the_pools_are_read_in_one_query_however_many_there_are(client, manager):
    step = coupon_step(manager.store)
    url = reverse("dashboard:step_edit", args=[step.pk])
    pool_with(manager.store, "First", ["A-1"])
    client.get(url)  # warm what is cached per process
    with CaptureQueriesContext(connection) as one_pool:
        client.get(url)
    for n in range(3):
        pool_with(manager.store, f"More {n}", [f"B-{n}", f"C-{n}"])
    with CaptureQueriesContext(connection) as four_pools:
        response = client.get(url)
    assert len(response.context["form"].fields["incentive_pool"].choices) == 5
    assert len(four_pools) == len(one_pool)
    pool_queries = [q["sql"] for q in four_pools if "campaigns_couponpool" in q["sql"]]
    assert len(pool_queries) == 1


def test_the_live_preview_still_shows_a_sample_code_with_a_pool_chosen(client, manager):
    step = coupon_step(manager.store)
    pool = pool_with(manager.store, "Shopify spring", ["SPRING-1"])
    data = step_form_data(step, incentive_pool=str(pool.pk))
    fragment = client.post(reverse("dashboard:step_preview", args=[step.pk]), data, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    frame_url = fragment.content.decode().split('src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert b"SAMPLE-7QX4" in client.get(frame_url).content
    # and previewing hands out no code
    assert Coupon.objects.get(code="SPRING-1").issued_at is None
