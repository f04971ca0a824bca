"""The flow pages: switches, figures, the step editor with live preview and test send, ordering."""

import re

import pytest
from django.urls import reverse

from apps.campaigns.models import Flow, FlowKind, FlowStep, Message
from tests.dashboard.editor import step_form_data
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    membership = MembershipFactory(role="manager", user__email="mia@shop.example", user__username="mia@shop.example")
    client.force_login(membership.user)
    return membership


def cart_flow(store):
    return Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)


def test_the_list_shows_every_flow_with_a_switch(client, manager):
    page = client.get(reverse("dashboard:flow_list")).content.decode()
    assert page.count('role="switch"') == Flow.objects.filter(store=manager.store).count()


def test_a_switch_turns_the_flow_on_through_htmx(client, manager):
    flow = cart_flow(manager.store)
    response = client.post(
        reverse("dashboard:flow_toggle", args=[flow.pk]), {"enabled": "on"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "checked" in response.content.decode() and "is on" in response.content.decode()
    flow.refresh_from_db()
    assert flow.enabled
    # an unticked box is off
    client.post(reverse("dashboard:flow_toggle", args=[flow.pk]), {}, headers={"HX-Request": "true"})
    flow.refresh_from_db()
    assert not flow.enabled


def test_saving_a_step_with_a_bad_template_shows_the_error_and_saves_nothing(client, manager):
    step = cart_flow(manager.store).steps.get(key="reminder-1h")
    before = dict(step.subject)
    data = step_form_data(step, subject_it="Ciao {% if %}", delay_value=5)
    response = client.post(reverse("dashboard:step_edit", args=[step.pk]), data)
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert response.context["form"].errors["subject_it"]
    step.refresh_from_db()
    assert step.subject == before and step.delay_minutes == 60


def test_saving_a_step_keeps_the_edit(client, manager):
    step = cart_flow(manager.store).steps.get(key="reminder-1h")
    data = step_form_data(step, subject_en="Your basket is waiting", delay_value=2, delay_unit="hours")
    response = client.post(reverse("dashboard:step_edit", args=[step.pk]), data)
    assert response.status_code == 302
    step.refresh_from_db()
    assert (step.subject["en"], step.delay_minutes) == ("Your basket is waiting", 120)


def test_the_live_preview_renders_unsaved_italian_in_a_sandboxed_frame_under_its_own_policy(client, manager):
    step = cart_flow(manager.store).steps.get(key="coupon-72h")
    data = step_form_data(step, subject_it="Ciao {{ customer.first_name }}, torna!", preview_language="it")
    # when the editor asks for a preview of unsaved words
    fragment = client.post(reverse("dashboard:step_preview", args=[step.pk]), data, headers={"HX-Request": "true"})
    html = fragment.content.decode()
    # then the subject shows the sample buyer, and the body is in a sandboxed frame
    assert "Ciao Alex, torna!" in html
    frame_url = re.search(r'<iframe[^>]*sandbox[^>]*src="([^"]+)"', html).group(1).replace("&amp;", "&")
    frame = client.get(frame_url)
    assert b"SAMPLE-7QX4" in frame.content
    assert "default-src 'none'" in frame["Content-Security-Policy"]
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    # and nothing was saved
    step.refresh_from_db()
    assert "Ciao Alex" not in step.subject.get("it", "")


def test_a_broken_preview_says_what_is_wrong(client, manager):
    step = cart_flow(manager.store).steps.get(key="coupon-72h")
    data = step_form_data(step, body_en="{% for %}", editor="html")  # the advanced mode's HTML
    response = client.post(reverse("dashboard:step_preview", args=[step.pk]), data)
    assert "does not work yet" in response.content.decode()


def test_a_test_send_goes_to_the_signed_in_person_and_not_the_ledger(client, manager, mailoutbox):
    step = cart_flow(manager.store).steps.get(key="reminder-1h")
    data = step_form_data(step, subject_it="Prova {{ order.number }}", preview_language="it")
    response = client.post(reverse("dashboard:step_test_send", args=[step.pk]), data, headers={"HX-Request": "true"})
    assert "Test sent to mia@shop.example" in response.content.decode()
    assert mailoutbox[0].to == ["mia@shop.example"]
    assert mailoutbox[0].subject == "[TEST] Prova #1001"
    assert not Message.objects.exists()


def test_steps_are_reordered_by_drag_and_drop_or_by_the_arrow_buttons(client, manager):
    flow = cart_flow(manager.store)
    ids = list(flow.steps.order_by("position").values_list("pk", flat=True))
    url = reverse("dashboard:flow_reorder", args=[flow.pk])
    # drag and drop posts the whole order and gets JSON back
    response = client.post(url, {"order": ",".join(map(str, ids[::-1]))}, headers={"Accept": "application/json"})
    assert response.json() == {"order": ids[::-1]}
    # the keyboard fallback moves one step
    client.post(url, {"step": ids[0], "move": "up"})
    assert list(flow.steps.order_by("position").values_list("pk", flat=True)) == [ids[2], ids[0], ids[1]]
    # a list that is not the flow's is refused
    assert client.post(url, {"order": "1,2"}, headers={"Accept": "application/json"}).status_code == 400


def test_variants_are_added_and_removed_from_the_editor(client, manager):
    step = cart_flow(manager.store).steps.get(key="help-24h")
    client.post(reverse("dashboard:variant_add", args=[step.pk]), {"subject_en": "Can we help?"})
    assert set(step.variants.values_list("label", flat=True)) == {"A", "B"}
    page = client.get(reverse("dashboard:step_edit", args=[step.pk])).content.decode()
    assert "Can we help?" in page and "Chance best" in page
    b = step.variants.get(label="B")
    client.post(reverse("dashboard:variant_remove", args=[b.pk]))
    assert not step.variants.filter(label="B").exists()


def test_the_simulator_page_writes_nothing(client, manager):
    flow = cart_flow(manager.store)
    response = client.get(reverse("dashboard:flow_simulate", args=[flow.pk]))
    assert response.status_code == 200
    assert not Message.objects.exists()


def test_the_resurvey_step_shows_no_delay_in_the_editor(client, manager):
    from apps.campaigns.services.steps import resurvey_step_get_or_create

    step = resurvey_step_get_or_create(store=manager.store)
    page = client.get(reverse("dashboard:step_edit", args=[step.pk])).content.decode()
    assert "sent by hand from the critics queue" in page
    response = client.post(reverse("dashboard:step_edit", args=[step.pk]), step_form_data(step, delay_value=0))
    assert response.status_code == 302
    assert FlowStep.objects.get(pk=step.pk).delay_minutes == step.delay_minutes
