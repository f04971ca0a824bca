"""What merchants see of buyers' answers to "what stopped you?": the abandoned-cart flow page counts them
(with how many of those carts still became orders), a cart email's detail shows its cart's answer, and the
72 h step's settings say what the email does for each answer."""

import pytest
from django.urls import reverse

from apps.campaigns.models import Flow, FlowKind, Message
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.orders.services import cart_record_leave_reason
from tests.dashboard.editor import step_form_data
from tests.orders.factories import CartFactory
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    membership = MembershipFactory(role="manager", user__email="mia@shop.example", user__username="mia@shop.example")
    client.force_login(membership.user)
    return membership


def cart_flow(store):
    return Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)


def answered(store, reason, *, converted=False, note=""):
    cart = CartFactory(store=store, converted=converted)
    cart_record_leave_reason(cart_id=cart.pk, reason=reason, note=note)
    return cart


def test_the_flow_page_counts_the_answers_of_this_store_only(client, manager):
    store = manager.store
    for _ in range(3):
        answered(store, "shipping_cost")
    answered(store, "shipping_cost", converted=True)
    answered(store, "price")
    answered(StoreFactory(), "payment")  # another store's buyer
    page = client.get(reverse("dashboard:flow_detail", args=[cart_flow(store).pk])).content.decode()
    assert "Why buyers left their carts" in page
    row = page.split('data-reason="shipping_cost"')[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split('<td class="num">')[1:]] == ["4", "80%", "1"]
    payment = page.split('data-reason="payment"')[1].split("</tr>")[0]
    assert '<td class="num">0</td>' in payment
    # The other flows have no such panel.
    win_back = Flow.objects.get(store=store, kind=FlowKind.WIN_BACK)
    assert "Why buyers left" not in client.get(reverse("dashboard:flow_detail", args=[win_back.pk])).content.decode()


def test_without_answers_the_page_says_how_they_come(client, manager):
    page = client.get(reverse("dashboard:flow_detail", args=[cart_flow(manager.store).pk])).content.decode()
    assert "No answers yet." in page


def test_a_cart_emails_detail_shows_its_carts_answer(client, manager):
    cart = answered(manager.store, "other", note="<b>Gift wrap</b> missing")
    step = cart_flow(manager.store).steps.get(key="help-24h")
    (message,) = messages_schedule(
        [
            Planned(
                step=step,
                subject_key=f"cart:{cart.pk}",
                email=cart.email,
                scheduled_for=cart.updated_at,
                cart_id=cart.pk,
            )
        ]
    )
    page = client.get(reverse("dashboard:message_detail", args=[message.pk])).content.decode()
    assert 'data-leave-reason="other"' in page
    assert "&lt;b&gt;Gift wrap&lt;/b&gt; missing" in page


def test_the_72h_step_saves_what_it_does_for_each_answer(client, manager):
    step = cart_flow(manager.store).steps.get(key="coupon-72h")
    page = client.get(reverse("dashboard:step_edit", args=[step.pk])).content.decode()
    assert "When the buyer told us why they left" in page
    # A new store's defaults: free shipping for the shipping cost, no code for the curious.
    assert step.conditions["on_reason"] == {"shipping_cost": "free_shipping", "just_looking": "no_coupon"}
    data = step_form_data(
        step,
        on_reason_price="no_coupon",
        on_reason_shipping_cost="free_shipping",
        on_reason_delivery_time="",
        on_reason_payment="skip",
        on_reason_just_looking="",
        on_reason_other="",
    )
    response = client.post(reverse("dashboard:step_edit", args=[step.pk]), data)
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.conditions["on_reason"] == {"price": "no_coupon", "shipping_cost": "free_shipping", "payment": "skip"}
    assert step.conditions["exit_on_order"] is True
    # Posting it again changes nothing; a value that is not a choice is refused and nothing is saved.
    client.post(reverse("dashboard:step_edit", args=[step.pk]), data)
    step.refresh_from_db()
    assert step.conditions["on_reason"] == {"price": "no_coupon", "shipping_cost": "free_shipping", "payment": "skip"}
    bad = client.post(reverse("dashboard:step_edit", args=[step.pk]), {**data, "on_reason_price": "everything"})
    assert bad.status_code == 400
    step.refresh_from_db()
    assert step.conditions["on_reason"]["price"] == "no_coupon"
    assert Message.objects.count() == 0


def test_other_flows_steps_have_no_answer_settings(client, manager):
    step = Flow.objects.get(store=manager.store, kind=FlowKind.WIN_BACK).steps.first()
    page = client.get(reverse("dashboard:step_edit", args=[step.pk])).content.decode()
    assert "When the buyer told us why they left" not in page


@pytest.mark.django_db(transaction=True)
def test_saving_a_step_outside_a_test_transaction_works(client):
    """As in production (autocommit): the save takes its own transaction for its row lock."""
    membership = MembershipFactory(role="manager", user__email="tom@shop.example", user__username="tom@shop.example")
    client.force_login(membership.user)
    step = cart_flow(membership.store).steps.get(key="coupon-72h")
    data = step_form_data(step, on_reason_price="no_coupon")
    assert client.post(reverse("dashboard:step_edit", args=[step.pk]), data).status_code == 302
    step.refresh_from_db()
    assert step.conditions["on_reason"] == {"price": "no_coupon"}
