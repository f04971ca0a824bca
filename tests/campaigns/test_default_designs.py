"""Every default email is built from blocks, in every language: a valid design, rendered with a believable
order, with one call to action; new stores get the designs, and migration 0008 moves untouched default steps
onto them while edited ones keep their HTML."""

import re
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from apps.campaigns.copy import LANGUAGES, copy_for
from apps.campaigns.design.blocks import validate_design
from apps.campaigns.design.defaults import LAYOUTS, default_design, default_designs
from apps.campaigns.design.variables import check_tokens
from apps.campaigns.dispatch import build_email
from apps.campaigns.flows import definitions
from apps.campaigns.models import FlowStep, StepEditor
from apps.campaigns.services.flows import flows_install_defaults
from tests.campaigns.email_lint import lint
from tests.campaigns.email_samples import render_default
from tests.campaigns.test_dispatch import schedule
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db

DEFAULT_STEPS = [(d.kind, s.key) for d in definitions().values() for s in d.steps]
PRIMARY = re.compile(r'class="ag-primary".*?<a href="([^"]*)"', re.S)
MIGRATION = import_module("apps.campaigns.migrations.0008_default_steps_on_blocks")


def primary_links(page: str) -> list[str]:
    """Where the email's primary buttons lead (a product grid's outlined buttons are ag-secondary)."""
    return PRIMARY.findall(page)


def test_every_default_step_has_a_layout():
    assert set(LAYOUTS) == set(DEFAULT_STEPS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_step_has_a_valid_design_in_the_language(language):
    for kind, key in DEFAULT_STEPS:
        design = default_design(kind, key, language)
        assert validate_design(design) == design, (kind, key)
        types = [block["type"] for block in design]
        assert types[0] == "header" and types[-2:] == ["social", "footer"], (kind, key, types)
        assert len({block["id"] for block in design}) == len(design), (kind, key)


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
def test_each_language_words_every_design_with_the_english_variables(language):
    english, copy = copy_for("en").DESIGNS, copy_for(language).DESIGNS
    assert set(copy) == set(english) == set(LAYOUTS)
    variable = re.compile(r"\{\{\s*((?!customer\.first_name)[a-z_.]+)")  # a language may greet by name (ko)
    for step, words in copy.items():
        assert set(words) == set(english[step]), (language, step)
        for part, text in words.items():
            check_tokens(text)
            assert "{%" not in text, (language, step, part)
            assert sorted(variable.findall(text)) == sorted(variable.findall(english[step][part])), (step, part)
            assert text != english[step][part], (language, step, part)


def test_new_stores_get_every_default_step_on_blocks(flows, store):
    steps = FlowStep.objects.filter(flow__store=store).select_related("flow")
    assert steps.count() == len(DEFAULT_STEPS)
    for step in steps:
        assert step.editor == StepEditor.BLOCKS
        assert step.design == default_designs(step.flow.kind, step.key)
        assert set(step.design) == set(LANGUAGES)
        assert step.body["en"] == copy_for("en").STEPS[(step.flow.kind, step.key)][2]  # for the HTML mode


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_email_renders_with_one_call_to_action(flows, store, language):
    for step in FlowStep.objects.filter(flow__store=store).select_related("flow", "store"):
        where = (language, step.flow.kind, step.key)
        email = render_default(step, language)
        page = email.html
        assert "{{" not in page and "{%" not in page, where
        assert f'lang="{language}"' in page, where
        heading = copy_for(language).DESIGNS[(step.flow.kind, step.key)]["heading"]
        assert re.sub(r"\{\{.*?\}\}", "", heading).strip(" !?")[:12] in page.replace("&#x27;", "'"), where
        if step.flow.kind == "nps_survey":
            assert primary_links(page) == [], where  # the 0–10 scale is the call to action
            assert page.count("/nps/sample/") == 11, where
        else:
            assert len(primary_links(page)) == 1, where
        assert store.social_links["instagram"] in page, where
        assert "Via Example 1" in page, where  # the footer


@pytest.mark.parametrize("language", LANGUAGES)
def test_win_back_emails_lead_to_the_store(flows, store, language):
    for step in FlowStep.objects.filter(flow__store=store, flow__kind="win_back").select_related("flow", "store"):
        assert primary_links(render_default(step, language).html) == [store.website_url], step.key


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_primary_button_leads_where_its_email_is_about(flows, store, language):
    expected = {
        "order_confirmation": "/t/sample/",
        "shipment_confirmation": "/t/sample/",
        "shipment_update": "/t/sample/",
        "delivery_apology": "/t/sample/",
        "delivered_followup": store.review_url,
        "abandoned_cart": "/cart/recover/abc",
        "replenishment": "/products/yirgacheffe",
        "win_back": store.website_url,
    }
    for step in FlowStep.objects.filter(flow__store=store).exclude(flow__kind="nps_survey").select_related("flow"):
        [link] = primary_links(render_default(step, language).html)
        assert link.endswith(expected[step.flow.kind]) or link == expected[step.flow.kind], (step.key, link)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_order_confirmation_shows_shipping_and_discount_when_the_order_has_them(flows, store, language):
    step = FlowStep.objects.select_related("flow", "store").get(flow__store=store, flow__kind="order_confirmation")
    labels = copy_for(language).LABELS
    with_both = render_default(step, language).text
    assert labels["shipping"] in with_both and labels["discount"] in with_both and labels["subtotal"] in with_both
    assert labels["total"] in with_both
    without = render_default(step, language, shipping=0, discount=0).text
    assert labels["discount"] not in without
    assert f"\n{labels['shipping']} " not in without


@pytest.mark.parametrize("language", ["ko", "en"])
def test_korean_marketing_subjects_carry_the_advertising_mark(flows, store, language):
    for step in FlowStep.objects.filter(flow__store=store).select_related("flow", "store"):
        subject = render_default(step, language).subject
        advertising = not step.flow.is_transactional or bool(step.incentive_kind)
        assert subject.startswith("(광고) ") == (language == "ko" and advertising), (step.flow.kind, step.key)


def test_the_migration_moves_untouched_default_steps_onto_blocks_and_leaves_edited_ones():
    # Given a store whose steps were all written as HTML before blocks existed, one of them edited in Italian
    store = StoreFactory(languages=["en", "it"])
    flows_install_defaults(store=store)
    FlowStep.objects.filter(store=store).update(editor=StepEditor.HTML, design={})
    edited = FlowStep.objects.get(store=store, flow__kind="order_confirmation")
    edited.body = {**edited.body, "it": edited.body["it"].replace("Grazie", "Grazie mille")}
    edited.save(update_fields=["body"])
    unknown_language = FlowStep.objects.get(store=store, flow__kind="nps_survey", key="survey")
    unknown_language.body = {**unknown_language.body, "de": "<p>Wie war es?</p>"}
    unknown_language.save(update_fields=["body"])

    # When migration 0008 runs
    MIGRATION.default_steps_on_blocks(django_apps, None)

    # Then the untouched steps are on blocks with the default design, the edited ones keep their HTML
    untouched = FlowStep.objects.get(store=store, flow__kind="shipment_confirmation")
    assert untouched.editor == StepEditor.BLOCKS
    assert untouched.design == default_designs("shipment_confirmation", "shipped")
    for step in (edited, unknown_language):
        step.refresh_from_db()
        assert step.editor == StepEditor.HTML and step.design == {}
    on_blocks = FlowStep.objects.filter(store=store, editor=StepEditor.BLOCKS).count()
    assert on_blocks == len(DEFAULT_STEPS) - 2
    # Running it again changes nothing
    MIGRATION.default_steps_on_blocks(django_apps, None)
    assert FlowStep.objects.filter(store=store, editor=StepEditor.BLOCKS).count() == on_blocks


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_email_passes_the_email_client_lint(flows, store, language):
    for step in FlowStep.objects.filter(flow__store=store).select_related("flow", "store"):
        assert lint(render_default(step, language).html) == [], (language, step.flow.kind, step.key)


def test_the_sent_order_confirmation_lists_shipping_and_discount_of_the_order(flows, store):
    # given an order with a discount and shipping, and one without
    buyer = CustomerFactory(store=store, locale="it", consenting=True)
    emails = {}
    for name, (discount, shipping) in {"with": ("5.00", "4.90"), "without": ("0", "0")}.items():
        order = OrderFactory(
            store=store, customer=buyer, email=buyer.email, subtotal=Decimal("49.00"), total=Decimal("48.90"),
            discount_total=Decimal(discount), shipping_total=Decimal(shipping), currency="EUR",
        )  # fmt: skip
        OrderLineFactory(order=order)
        message = schedule(
            flows,
            "order_confirmation",
            "confirmation",
            customer=buyer,
            at=timezone.now(),
            order=order,
            subject_key=name,
        )
        # when its confirmation is built as dispatch builds it
        emails[name] = build_email(message)[1]["text"].replace("\xa0", " ")
    # then the lines are there when the order has them, and only then
    assert "Sconto −5,00 €" in emails["with"] and "Spedizione 4,90 €" in emails["with"]
    assert "Subtotale 49,00 €" in emails["with"] and "Totale 48,90 €" in emails["with"]
    assert "Sconto" not in emails["without"] and "Spedizione 0" not in emails["without"]
