"""Merchant edits of flows: on/off, a step's settings and words, order, and A/B subjects."""

from decimal import Decimal

import pytest

from apps.campaigns.models import Flow, FlowKind, FlowStep, IncentiveKind, MessageStatus, Variant
from apps.campaigns.scans import run_scan
from apps.campaigns.services.coupons import coupon_pool_create
from apps.campaigns.services.flows import flow_toggle
from apps.campaigns.services.steps import (
    StepInvalid,
    resurvey_step_get_or_create,
    step_draft,
    step_move,
    step_update,
    steps_reorder,
)
from apps.campaigns.services.variants import variant_add, variant_remove
from tests.campaigns.factories import MessageFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def edit(step, **changes):
    """step_update with the step's current values, changed where given."""
    conditions = step.conditions or {}
    values = {
        "delay_minutes": step.delay_minutes,
        "enabled": step.enabled,
        "exit_on_order": bool(conditions.get("exit_on_order")),
        "incentive_kind": step.incentive_kind,
        "incentive_value": step.incentive_value,
        "incentive_valid_days": step.incentive_valid_days,
        "incentive_monthly_budget": step.incentive_monthly_budget,
    }
    return step_update(step=step, **{**values, **changes})


def test_a_flow_is_switched_on_and_off(store):
    # given the store's abandoned-cart flow, off as every default flow starts
    flow = Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)
    assert not flow.enabled
    # when it is switched on, then off
    flow_toggle(flow=flow, enabled=True)
    assert Flow.objects.get(pk=flow.pk).enabled
    flow_toggle(flow=flow, enabled=False)
    # then it is off again
    assert not Flow.objects.get(pk=flow.pk).enabled


def test_a_step_update_saves_timing_conditions_offer_and_words(store):
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="reminder-1h")
    # when the merchant changes everything at once
    edit(
        step,
        delay_minutes=90,
        exit_on_order=False,
        incentive_kind=IncentiveKind.PERCENT,
        incentive_value=Decimal("12.5"),
        incentive_valid_days=5,
        incentive_monthly_budget=40,
        subject={"it": "Hai dimenticato qualcosa, {{ customer.first_name }}?"},
        body={"en": "<p>Your cart misses you.</p>"},
    )
    # then all of it is saved, and the languages not edited are kept
    step.refresh_from_db()
    assert step.delay_minutes == 90
    assert step.conditions["exit_on_order"] is False
    assert (step.incentive_kind, step.incentive_value, step.incentive_valid_days) == ("percent", Decimal("12.5"), 5)
    assert step.incentive_monthly_budget == 40
    assert step.subject["it"] == "Hai dimenticato qualcosa, {{ customer.first_name }}?"
    assert step.subject["ru"]  # untouched
    assert step.body["en"] == "<p>Your cart misses you.</p>"


def test_a_bad_template_is_an_error_and_nothing_is_saved(store):
    # given a step and its current words
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="reminder-1h")
    before = (step.delay_minutes, dict(step.subject), dict(step.body))
    # when an edit has a valid delay but a broken Italian body and an unknown tag in the subject
    with pytest.raises(StepInvalid) as caught:
        edit(step, delay_minutes=5, subject={"en": "Hi {% load static %}"}, body={"it": "{% if %}"})
    # then both are reported by field, and the step is exactly as it was
    assert set(caught.value.errors) == {"subject:en", "body:it"}
    step.refresh_from_db()
    assert (step.delay_minutes, step.subject, step.body) == before


def test_the_default_language_cannot_be_emptied(store):
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.WIN_BACK, key="offer")
    with pytest.raises(StepInvalid) as caught:
        edit(step, subject={"en": "   "})
    assert "subject:en" in caught.value.errors


def test_a_percentage_over_100_is_refused(store):
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.WIN_BACK, key="offer")
    with pytest.raises(StepInvalid) as caught:
        edit(step, incentive_kind=IncentiveKind.PERCENT, incentive_value=150)
    assert "incentive_value" in caught.value.errors


def test_a_draft_carries_edits_without_saving_them(store):
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.WIN_BACK, key="offer")
    draft = step_draft(step=step, subject={"it": "Ci manchi"})
    assert draft.subject["it"] == "Ci manchi"
    assert FlowStep.objects.get(pk=step.pk).subject["it"] != "Ci manchi"


def test_steps_are_reordered_and_moved(store):
    # given the abandoned-cart steps in their default order
    flow = Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)
    first, second, third = flow.steps.order_by("position")
    # when the merchant drags the last to the top
    steps_reorder(flow=flow, step_ids=[third.pk, first.pk, second.pk])
    # then that is the order
    assert list(flow.steps.order_by("position").values_list("pk", flat=True)) == [third.pk, first.pk, second.pk]
    # and moving the first down one swaps it with the next
    step_move(step=FlowStep.objects.get(pk=third.pk), offset=1)
    assert list(flow.steps.order_by("position").values_list("pk", flat=True)) == [first.pk, third.pk, second.pk]


def test_a_reorder_must_name_each_step_of_the_flow_once(store):
    flow = Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)
    other = FlowStep.objects.filter(store=store).exclude(flow=flow).first()
    ids = list(flow.steps.values_list("pk", flat=True))
    for wrong in (ids[:-1], [*ids, ids[0]], [*ids[:-1], other.pk]):
        with pytest.raises(StepInvalid):
            steps_reorder(flow=flow, step_ids=wrong)


def test_the_first_variant_makes_the_current_subject_the_control(store):
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="help-24h")
    # when the merchant adds a variant subject
    added = variant_add(step=step, subject={"en": "Need a hand with your cart?", "it": ""})
    # then A is the step's subject and B the new one, both live
    labels = {v.label: v for v in step.variants.all()}
    assert set(labels) == {"A", "B"} and added == labels["B"]
    assert labels["A"].subject == step.subject
    assert labels["B"].subject == {"en": "Need a hand with your cart?"}


def test_a_variant_with_a_bad_subject_is_refused(store):
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="help-24h")
    with pytest.raises(StepInvalid):
        variant_add(step=step, subject={"en": "{% url 'admin:index' %}"})
    assert not step.variants.exists()


def test_removing_a_variant_retires_a_sent_one_and_leaves_a_single_winner(store):
    # given a test between A and B, with A already sent once
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="help-24h")
    b = variant_add(step=step, subject={"en": "Still there?"})
    a = Variant.objects.get(step=step, label="A")
    MessageFactory(store=store, step=step, variant=a, status=MessageStatus.SENT, transactional=False)
    # when A is removed
    variant_remove(variant=a)
    # then A is kept for its results but retired, and B, alone, is the winner every email uses
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.retired and not a.is_winner
    assert b.is_winner and not b.retired
    # and an unsent variant is simply deleted
    c = variant_add(step=step, subject={"en": "Third try"})
    variant_remove(variant=c)
    assert not Variant.objects.filter(pk=c.pk).exists()


def test_the_resurvey_step_is_never_picked_by_the_overdue_reviews_scan(store, flows):
    # given the re-survey step, created on demand on the NPS flow
    step = resurvey_step_get_or_create(store=store)
    assert resurvey_step_get_or_create(store=store) == step
    assert step.flow.kind == FlowKind.NPS_SURVEY and step.enabled and step.conditions["manual"]
    from datetime import timedelta

    from django.utils import timezone

    from tests.shipments.factories import ShipmentFactory

    # and an order delivered 11 days ago whose survey went out: due for the 10-day reminder
    delivered = timezone.now() - timedelta(days=11)
    shipment = ShipmentFactory(order__store=store, store=store, delivered=True, delivered_at=delivered)
    survey = flows[FlowKind.NPS_SURVEY].steps.get(key="survey")
    MessageFactory(store=store, step=survey, order=shipment.order, status=MessageStatus.SENT, transactional=False)
    # when the scan runs
    run_scan("overdue_reviews", store=store)
    # then the reminder is planned, and nothing on the re-survey step
    assert flows[FlowKind.NPS_SURVEY].steps.get(key="reminder").messages.count() == 1
    assert not step.messages.exists()


def test_a_step_takes_its_codes_from_a_pool_of_its_store_or_from_afterglow(store):
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="coupon-72h")
    pool = coupon_pool_create(store=store, name="Shopify codes")
    # when a pool of the store is given, the step hands out its codes
    assert edit(step, incentive_pool_id=pool.pk).incentive_pool == pool
    # and an edit that leaves the pool out keeps it
    assert edit(step, delay_minutes=60).incentive_pool == pool
    # when None is given, Afterglow makes the codes again
    assert edit(step, incentive_pool_id=None).incentive_pool is None
    assert FlowStep.objects.get(pk=step.pk).incentive_pool_id is None


def test_a_pool_of_another_store_or_without_a_kind_of_incentive_is_refused(store):
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="coupon-72h")
    theirs = coupon_pool_create(store=StoreFactory(), name="Not yours")
    # another store's pool, or one that does not exist: nothing saved
    for pool_id in (theirs.pk, theirs.pk + 1000):
        with pytest.raises(StepInvalid) as refused:
            edit(step, incentive_pool_id=pool_id, delay_minutes=5)
        assert set(refused.value.errors) == {"incentive_pool"}
    # a pool of the store with no kind of incentive: the kind is asked for
    ours = coupon_pool_create(store=store, name="Ours")
    with pytest.raises(StepInvalid) as refused:
        edit(step, incentive_pool_id=ours.pk, incentive_kind=IncentiveKind.NONE, incentive_value=0)
    assert refused.value.errors == {"incentive_kind": "Choose the kind of incentive the pool's codes give."}
    step.refresh_from_db()
    assert step.incentive_pool is None and step.delay_minutes != 5 and step.incentive_kind == IncentiveKind.PERCENT
