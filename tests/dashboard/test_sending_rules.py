"""Merchant-editable rules: the store's sending rules page, each flow's holdout share and each step's send
window. Every setting is saved and read back; a bad value is a form error and saves nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.campaigns.models import Flow, FlowKind, FlowStep, MessagingPolicy
from apps.campaigns.rules import policy_for
from apps.campaigns.services.flows import flow_set_holdout
from apps.campaigns.services.messaging_policy import policy_update
from tests.dashboard.editor import step_form_data
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

URL = "dashboard:sending_rules"

# Every rule changed from its default, as the form posts it.
CHANGED = {
    "marketing_requires_consent": "",  # unticked
    "frequency_cap_count": "3",
    "frequency_cap_hours": "48",
    "quiet_hours_start": "22",
    "quiet_hours_end": "7",
    "click_window_days": "7",
    "open_window_days": "2",
    "ab_min_sends": "500",
    "ab_confidence_percent": "97.5",
    "response_target_hours": "12",
    "history_max_age_hours": "6",
    "lapse_lookback_days": "90",
}
SAVED = {
    "marketing_requires_consent": False,
    "frequency_cap_count": 3,
    "frequency_cap_hours": 48,
    "quiet_hours_start": 22,
    "quiet_hours_end": 7,
    "click_window_days": 7,
    "open_window_days": 2,
    "ab_min_sends": 500,
    "ab_confidence": Decimal("0.975"),
    "response_target_hours": 12,
    "history_max_age_hours": 6,
    "lapse_lookback_days": 90,
}


def posted(**changes) -> dict:
    data = {name: value for name, value in {**CHANGED, **changes}.items() if value is not None}
    if not data.get("marketing_requires_consent"):
        data.pop("marketing_requires_consent", None)
    return data


def saved_rules(store) -> dict:
    policy = MessagingPolicy.objects.get(store=store)
    return {name: getattr(policy, name) for name in SAVED}


def test_the_page_shows_every_rule_with_its_default(client, manager):
    # when a manager opens the sending rules (no rules saved yet)
    response = client.get(reverse(URL))
    # then every group is there with its default in words, and opening it wrote nothing
    assert response.status_code == 200
    page = response.content.decode()
    for words in (
        "Default: on, marketing only to buyers who opted in.",
        "Default: 1 email per 24 hours.",
        "Default: from 21:00 until 08:00.",
        "Default: 5 days after a click, 1 day(s) after an open.",
        "Default: 200 sends per variant and 95 % confidence.",
        "Default: 24 hours.",
        "Default: history after 24 hours; win back within 60 days.",
    ):
        assert words in page, words
    assert 'name="quiet_hours_start"' in page and 'value="21" selected' in page
    assert "changed from the default" not in page
    assert not MessagingPolicy.objects.filter(store=manager.store).exists()
    # and the menu leads there
    assert f'href="{reverse(URL)}"' in page


def test_each_rule_is_saved_and_read_back(client, manager):
    # when the manager changes every rule
    response = client.post(reverse(URL), posted())
    # then they are saved and the page says so
    assert response.status_code == 302
    assert saved_rules(manager.store) == SAVED
    page = client.get(response["Location"]).content.decode()
    assert "Sending rules saved" in page
    # and the form shows the saved values, each group marked as changed
    form = client.get(reverse(URL)).context["form"]
    assert form.initial["frequency_cap_count"] == 3
    assert form.initial["ab_confidence_percent"] == Decimal("97.5")
    assert form.initial["marketing_requires_consent"] is False
    assert all(group["customised"] for group in form.groups())
    # and the send-time rules read them
    assert policy_for(StoreFactory.build(pk=manager.store.pk)).quiet_hours_start == 22


def test_a_frequency_cap_of_zero_turns_it_off(client, manager):
    client.post(reverse(URL), posted(frequency_cap_count="0"))
    assert MessagingPolicy.objects.get(store=manager.store).frequency_cap_count == 0


@pytest.mark.parametrize(
    "field, value",
    [
        ("quiet_hours_start", "24"),
        ("quiet_hours_end", "-1"),
        ("frequency_cap_count", "-1"),
        ("frequency_cap_hours", "0"),
        ("click_window_days", "0"),
        ("click_window_days", "91"),
        ("open_window_days", "31"),
        ("ab_min_sends", "5"),
        ("ab_confidence_percent", "49.9"),
        ("ab_confidence_percent", "99.95"),
        ("ab_confidence_percent", "100"),
        ("response_target_hours", "0"),
        ("history_max_age_hours", "x"),
        ("lapse_lookback_days", ""),
    ],
)
def test_a_bad_value_is_a_form_error_and_nothing_is_saved(client, manager, field, value):
    # given rules saved before
    policy_update(store=manager.store, frequency_cap_count=2)
    # when the manager posts every rule changed, one of them out of range
    response = client.post(reverse(URL), posted(**{field: value}))
    # then the page says what is wrong beside the field, and nothing changed
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    page = response.content.decode()
    assert "Nothing was saved" in page and f'id="id_{field}-errors"' in page
    policy = MessagingPolicy.objects.get(store=manager.store)
    assert (policy.frequency_cap_count, policy.quiet_hours_start, policy.ab_confidence) == (2, 21, Decimal("0.950"))


def test_support_cannot_see_or_change_the_rules(client):
    # given a support member
    membership = MembershipFactory(role="support")
    client.force_login(membership.user)
    # when they open or post the page, then they are refused and nothing is saved
    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), posted()).status_code == 403
    assert not MessagingPolicy.objects.filter(store=membership.store).exists()


def test_another_stores_rules_are_never_touched(client, manager):
    # given another store with its own rules
    other = StoreFactory()
    policy_update(store=other, quiet_hours_start=23)
    # when the manager saves theirs, then only their store's change
    client.post(reverse(URL), posted())
    assert MessagingPolicy.objects.get(store=other).quiet_hours_start == 23
    assert MessagingPolicy.objects.get(store=other).frequency_cap_count == 1


# --- The service ------------------------------------------------------------------------------
def test_policy_update_changes_only_the_fields_given():
    store = StoreFactory()
    policy_update(store=store, click_window_days=9)
    policy = policy_update(store=store, ab_confidence=Decimal("0.99"))
    assert (policy.click_window_days, policy.ab_confidence, policy.quiet_hours_start) == (9, Decimal("0.99"), 21)
    assert store._messaging_policy is policy  # what the send-time rules read for this store object


@pytest.mark.parametrize(
    "fields",
    [
        {"quiet_hours_start": 24},
        {"ab_confidence": Decimal("0.4")},
        {"ab_confidence": "1"},
        {"frequency_cap_count": -1},
        {"click_window_days": 3, "open_window_days": True},
        {"marketing_requires_consent": "no"},
    ],
)
def test_policy_update_refuses_a_value_out_of_range_and_saves_nothing(fields):
    store = StoreFactory()
    with pytest.raises(ValidationError) as refused:
        policy_update(store=store, **fields)
    assert set(refused.value.message_dict) & set(fields)
    assert not MessagingPolicy.objects.filter(store=store).exists()


def test_policy_update_refuses_an_unknown_field():
    with pytest.raises(ValueError, match="not sending-rule fields: store_id"):
        policy_update(store=StoreFactory(), store_id=3)


# --- Holdout per flow -------------------------------------------------------------------------
def flow_of(store, kind=FlowKind.WIN_BACK) -> Flow:
    return Flow.objects.get(store=store, kind=kind)


def test_the_holdout_share_is_saved_on_the_flow_page_and_read_back(client, manager):
    flow = flow_of(manager.store)
    url = reverse("dashboard:flow_detail", args=[flow.pk])
    # the page explains the holdout
    assert "gets none of this flow" in client.get(url).content.decode()
    # when the manager sets 20 %
    response = client.post(url, {"holdout_percent": "20"})
    # then it is saved and shown
    assert response.status_code == 302 and response["Location"].endswith("#holdout")
    flow.refresh_from_db()
    assert flow.holdout_percent == 20
    page = client.get(url).content.decode()
    assert "20 % of buyers now get none of Win-back" in page
    assert 'name="holdout_percent" value="20"' in page
    # and 0 switches it off
    client.post(url, {"holdout_percent": "0"})
    flow.refresh_from_db()
    assert flow.holdout_percent == 0


@pytest.mark.parametrize("value", ["51", "-1", "ten", ""])
def test_a_bad_holdout_share_is_a_form_error_and_nothing_is_saved(client, manager, value):
    flow = flow_of(manager.store)
    Flow.objects.filter(pk=flow.pk).update(holdout_percent=10)
    response = client.post(reverse("dashboard:flow_detail", args=[flow.pk]), {"holdout_percent": value})
    assert response.status_code == 400
    assert response.context["holdout_form"].errors["holdout_percent"]
    assert "Nothing was saved" in response.content.decode()
    flow.refresh_from_db()
    assert flow.holdout_percent == 10


def test_a_transactional_flow_has_no_holdout(client, manager):
    flow = flow_of(manager.store, FlowKind.ORDER_CONFIRMATION)
    url = reverse("dashboard:flow_detail", args=[flow.pk])
    assert "Transactional emails always go out" in client.get(url).content.decode()
    response = client.post(url, {"holdout_percent": "10"})
    assert response.status_code == 400
    flow.refresh_from_db()
    assert flow.holdout_percent == 0
    with pytest.raises(ValidationError):
        flow_set_holdout(flow=flow, percent=10)


def test_another_stores_flow_is_a_404(client, manager):
    # given a flow of another store
    other = flow_of(StoreFactory())
    url = reverse("dashboard:flow_detail", args=[other.pk])
    # when the manager opens or posts to it, then it is not found, and it did not change
    assert client.get(url).status_code == 404
    assert client.post(url, {"holdout_percent": "30"}).status_code == 404
    other.refresh_from_db()
    assert other.holdout_percent == 0


def test_support_cannot_set_a_holdout(client):
    membership = MembershipFactory(role="support")
    client.force_login(membership.user)
    flow = flow_of(membership.store)
    assert client.post(reverse("dashboard:flow_detail", args=[flow.pk]), {"holdout_percent": "30"}).status_code == 403
    flow.refresh_from_db()
    assert flow.holdout_percent == 0


# --- Send window per step ---------------------------------------------------------------------
def cart_step(store) -> FlowStep:
    return FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="reminder-1h")


def test_a_steps_send_window_is_saved_read_back_and_emptied_to_the_default(client, manager):
    step = cart_step(manager.store)
    url = reverse("dashboard:step_edit", args=[step.pk])
    # the editor shows the kind's default while none is set
    page = client.get(url).content.decode()
    assert "Empty: the default for this kind of flow (12 hours)" in page
    # when the manager sets 6 hours
    response = client.post(url, step_form_data(step, send_window_value="6", send_window_unit="hours"))
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.send_window_minutes == 360
    form = client.get(url).context["form"]
    assert (form.initial["send_window_value"], form.initial["send_window_unit"]) == (6, "hours")
    # and the flow page and the sending rules show it
    assert "6 h" in client.get(reverse("dashboard:flow_detail", args=[step.flow_id])).content.decode()
    # when the field is emptied, then the step goes back to the default
    client.post(url, step_form_data(step, send_window_value="", send_window_unit="hours"))
    step.refresh_from_db()
    assert step.send_window_minutes is None
    assert "12 h" in client.get(reverse(URL)).content.decode()


@pytest.mark.parametrize("value, unit", [("0", "hours"), ("366", "days"), ("soon", "hours"), ("3", "weeks")])
def test_a_bad_send_window_is_a_form_error_and_nothing_is_saved(client, manager, value, unit):
    step = cart_step(manager.store)
    FlowStep.objects.filter(pk=step.pk).update(send_window_minutes=120)
    response = client.post(
        reverse("dashboard:step_edit", args=[step.pk]),
        step_form_data(step, send_window_value=value, send_window_unit=unit, delay_value="5"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors.get("send_window_value") or errors.get("send_window_unit")
    step.refresh_from_db()
    assert (step.send_window_minutes, step.delay_minutes) == (120, 60)


def test_step_update_keeps_the_send_window_unless_given(client, manager):
    from apps.campaigns.services.steps import StepInvalid, step_update

    step = cart_step(manager.store)
    values = {
        "delay_minutes": step.delay_minutes,
        "enabled": True,
        "exit_on_order": True,
    }
    step_update(step=step, **values, send_window_minutes=90)
    # left out, the window stays; None is the default again; out of range is refused
    assert step_update(step=step, **values).send_window_minutes == 90
    with pytest.raises(StepInvalid) as refused:
        step_update(step=step, **values, send_window_minutes=0)
    assert "send_window_minutes" in refused.value.errors
    assert FlowStep.objects.get(pk=step.pk).send_window_minutes == 90
    assert step_update(step=step, **values, send_window_minutes=None).send_window_minutes is None


@pytest.mark.parametrize("percent", [51, -1, True, 12.5, "10"])
def test_flow_set_holdout_refuses_a_share_out_of_range(percent):
    flow = flow_of(StoreFactory())
    with pytest.raises(ValidationError):
        flow_set_holdout(flow=flow, percent=percent)
    flow.refresh_from_db()
    assert flow.holdout_percent == 0
