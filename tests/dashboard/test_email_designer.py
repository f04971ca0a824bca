"""The email designer in the step editor: a design is saved only when every block is valid, per-block errors
come back to the page, the preview renders posted blocks with sample data, and the HTML mode still saves."""

import json

import pytest
from django.urls import reverse

from apps.campaigns.design.blocks import MAX_BLOCKS, block_defaults
from apps.campaigns.models import Flow, FlowKind, StepEditor
from tests.dashboard.editor import step_form_data
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    membership = MembershipFactory(
        role="manager",
        user__email="mia@shop.example",
        user__username="mia@shop.example",
        store__languages=["en", "it", "ko"],
    )
    client.force_login(membership.user)
    return membership


def cart_step(store, key="reminder-1h"):
    return Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART).steps.get(key=key)


def block(kind, **settings):
    return {**block_defaults(kind), "id": f"t{kind}", **settings}


GOOD = [
    block("header"),
    block("heading", text='Your picks are saved, {{ customer.first_name|default:"friend" }}?'),
    block("text", html="<p>Your <strong>cart</strong> is waiting.</p><ul><li>Free returns</li></ul>"),
    block("button", label="Back to my cart", link="cart"),
    block("footer"),
]


def post_design(client, step, design, **changes):
    data = step_form_data(step, editor="blocks", design=json.dumps(design), **changes)
    return client.post(reverse("dashboard:step_edit", args=[step.pk]), data)


def test_a_valid_design_is_saved_with_its_editor(client, manager):
    step = cart_step(manager.store)
    response = post_design(client, step, {"en": GOOD, "it": GOOD[:2]})
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.editor == StepEditor.BLOCKS
    assert [b["type"] for b in step.design["en"]] == ["header", "heading", "text", "button", "footer"]
    assert step.design["en"][1]["text"] == 'Your picks are saved, {{ customer.first_name|default:"friend" }}?'
    assert [b["type"] for b in step.design["it"]] == ["header", "heading"]


def test_the_rich_text_is_stored_sanitised(client, manager):
    step = cart_step(manager.store)
    hostile = block("text", html='<p onclick="x()">Hi <a href="javascript:alert(1)">there</a><script>x()</script></p>')
    assert post_design(client, step, {"en": [hostile]}).status_code == 302
    step.refresh_from_db()
    stored = step.design["en"][0]["html"]
    assert "onclick" not in stored and "javascript" not in stored and "script" not in stored
    assert "Hi" in stored and "there" in stored


@pytest.mark.parametrize(
    ("design", "where", "words"),
    [
        ({"en": [block("button", link="custom", url="javascript:alert(1)")]}, "design:en:0:url", "https://"),
        ({"en": [block("heading"), {"type": "marquee", "id": "x"}]}, "design:en:1", "does not exist"),
        ({"it": [block("heading", text="Ciao {% debug %}{{ settings.SECRET_KEY }}")]}, "design:it:0:text", "variable"),
        ({"en": [block("divider") for _ in range(MAX_BLOCKS + 1)]}, "design:en", f"{MAX_BLOCKS} blocks"),
    ],
    ids=["javascript-url", "unknown-block", "unknown-variable", "too-many-blocks"],
)
def test_an_invalid_block_saves_nothing_and_is_named(client, manager, design, where, words):
    step = cart_step(manager.store)
    before = (step.design, step.editor, step.delay_minutes, step.subject)
    response = post_design(client, step, design, delay_value=5, subject_en="Changed")
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["design"]
    assert words in form.design_errors[where]
    # the page hands the problem to the designer, beside its block
    config = response.context["designer"]
    assert any(words in problem["message"] for problem in config["problems"])
    assert config["design"] == design  # what the merchant had, not the saved design
    step.refresh_from_db()
    assert (step.design, step.editor, step.delay_minutes, step.subject) == before


def test_a_design_that_is_not_json_saves_nothing(client, manager):
    step = cart_step(manager.store)
    data = step_form_data(step, editor="blocks", design="{not json", delay_value=5)
    response = client.post(reverse("dashboard:step_edit", args=[step.pk]), data)
    assert response.status_code == 400
    step.refresh_from_db()
    assert step.delay_minutes == 60


def test_another_stores_step_is_not_found(client, manager):
    other = MembershipFactory(role="owner").store
    step = cart_step(other)
    before = step.design
    assert post_design(client, step, {"en": GOOD}).status_code == 404
    assert client.get(reverse("dashboard:step_edit", args=[step.pk])).status_code == 404
    preview = client.post(
        reverse("dashboard:step_preview", args=[step.pk]),
        {"design": json.dumps({"en": GOOD})},
        headers={"Accept": "application/json"},
    )
    assert preview.status_code == 404
    step.refresh_from_db()
    assert step.design == before


def test_the_preview_renders_the_posted_blocks_with_sample_data(client, manager):
    step = cart_step(manager.store)
    data = step_form_data(step, editor="blocks", design=json.dumps({"en": GOOD}), preview_language="en")
    response = client.post(
        reverse("dashboard:step_preview", args=[step.pk]), data, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["problems"] == [] and answer["frame"]
    html = client.get(answer["frame"]).content.decode()
    assert "Your picks are saved, Alex?" in html  # the sample buyer's name in the heading
    assert "<strong>cart</strong>" in html and "Back to my cart" in html
    step.refresh_from_db()
    assert "Your picks are saved" not in json.dumps(step.design)  # a preview saves nothing


def test_the_preview_names_the_block_in_trouble_instead_of_failing(client, manager):
    step = cart_step(manager.store)
    design = {"en": [block("heading"), block("button", link="custom", url="javascript:alert(1)")]}
    data = step_form_data(step, editor="blocks", design=json.dumps(design))
    response = client.post(
        reverse("dashboard:step_preview", args=[step.pk]), data, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    (problem,) = response.json()["problems"]
    assert (problem["language"], problem["index"], problem["field"]) == ("en", 1, "url")


def test_a_test_send_sends_the_unsaved_blocks(client, manager, mailoutbox):
    step = cart_step(manager.store)
    data = step_form_data(step, editor="blocks", design=json.dumps({"en": GOOD}), preview_language="en")
    response = client.post(reverse("dashboard:step_test_send", args=[step.pk]), data, headers={"HX-Request": "true"})
    assert "Test sent" in response.content.decode()
    (sent,) = mailoutbox
    assert "Your picks are saved, Alex?" in sent.alternatives[0][0]


def test_the_html_mode_still_saves_and_keeps_the_blocks(client, manager):
    step = cart_step(manager.store)
    post_design(client, step, {"en": GOOD})
    data = step_form_data(step, editor="html", design=json.dumps({"en": GOOD}), body_en="<p>Plain and simple</p>")
    assert client.post(reverse("dashboard:step_edit", args=[step.pk]), data).status_code == 302
    step.refresh_from_db()
    assert step.editor == StepEditor.HTML and step.body["en"] == "<p>Plain and simple</p>"
    assert len(step.design["en"]) == len(GOOD)  # switching back to blocks finds them
    preview = client.post(
        reverse("dashboard:step_preview", args=[step.pk]), data, headers={"Accept": "application/json"}
    ).json()
    assert "Plain and simple" in client.get(preview["frame"]).content.decode()


def test_the_editor_page_offers_blocks_variables_and_languages_in_few_queries(
    client, manager, django_assert_max_num_queries
):
    step = cart_step(manager.store)
    url = reverse("dashboard:step_edit", args=[step.pk])
    client.get(url)  # warm the session
    with django_assert_max_num_queries(9):  # session, user, store, step, pools, variants…
        response = client.get(url)
    assert response.status_code == 200
    config = response.context["designer"]
    assert [kind["type"] for kind in config["blocks"]][:4] == ["header", "heading", "text", "button"]
    assert {"name": "cart.subtotal", "label": "Cart total"} in config["variables"]
    assert "order.number" not in {v["name"] for v in config["variables"]}  # a cart has no order yet
    assert [language["code"] for language in config["languages"]][:3] == ["en", "it", "ko"]
    assert all(config["starters"][code] for code in ("en", "it", "ko"))
    page = response.content.decode()
    assert 'id="designer-config"' in page and "Edit as HTML (advanced)" in page


def test_step_titles_show_the_subject_with_sample_values(client, manager):
    step = cart_step(manager.store)
    step.subject = {"en": "{% if customer.first_name %}{{ customer.first_name }}, your{% else %}Your{% endif %} cart"}
    step.save()
    page = client.get(reverse("dashboard:flow_detail", args=[step.flow_id])).content.decode()
    assert "Alex, your cart" in page
    assert "{% if" not in page and "{{ customer" not in page


def test_the_problems_read_in_the_merchants_language(client, manager):
    client.post(reverse("language_switch"), {"language": "ru", "next": "/dashboard/"})
    step = cart_step(manager.store)
    design = {"en": [block("button", link="custom", url="javascript:alert(1)"), block("spacer", height=500)]}
    data = step_form_data(step, editor="blocks", design=json.dumps(design))
    answer = client.post(
        reverse("dashboard:step_preview", args=[step.pk]), data, headers={"Accept": "application/json"}
    ).json()
    messages = {problem["field"]: problem["message"] for problem in answer["problems"]}
    assert messages == {
        "url": "Укажите полный веб-адрес, начинающийся с https:// (или http://).",
        "height": "Не больше 96.",
    }
