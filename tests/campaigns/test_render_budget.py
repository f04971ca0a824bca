"""Merchant templates render within a budget: loops, output, filters that multiply text, nesting, steps
and time. An over-budget template is a clear TemplateError wherever it is rendered: when the step is
saved, previewed, sent as a test, and when a message is dispatched."""

import copy

import pytest
import time_machine
from django.template import Context
from django.test import override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.campaigns import template_budget
from apps.campaigns.copy import LANGUAGES
from apps.campaigns.dispatch import message_send
from apps.campaigns.models import FlowKind, FlowStep, Message, MessageStatus, StepEditor
from apps.campaigns.preview import preview_step, sample_context
from apps.campaigns.rendering import ENGINE, TemplateError, render_merchant
from apps.campaigns.services.steps import StepInvalid, step_update
from apps.campaigns.template_budget import RenderBudgetExceeded, RenderLimits
from tests.campaigns.test_dispatch import NOON_ROME, schedule
from tests.customers.factories import CustomerFactory
from tests.dashboard.editor import step_form_data
from tests.stores.factories import MembershipFactory

X30 = "x" * 30
# 30**4 = 810,000 loop iterations from 200 characters.
NESTED_LOOPS = (
    f'{{% for a in "{X30}" %}}{{% for b in "{X30}" %}}{{% for c in "{X30}" %}}{{% for d in "{X30}" %}}.'
    "{% endfor %}{% endfor %}{% endfor %}{% endfor %}"
)
# Each {% with %} doubles the text: 10 characters become 2,621,440.
DOUBLING = (
    "{% with a0='xxxxxxxxxx' %}"
    + "".join(f"{{% with a{i + 1}=a{i}|add:a{i} %}}" for i in range(18))
    + "{{ a18 }}"
    + "{% endwith %}" * 19
)
# join multiplies: 300 characters joined by themselves are 90,000; once more, 8.1 billion.
SQUARING = f"{{% with a='{'y' * 300}' %}}{{% with b=a|join:a %}}{{{{ b|join:b|length }}}}{{% endwith %}}{{% endwith %}}"
DEEP_BLOCKS = "{%if 1%}" * 2000 + "deep" + "{%endif%}" * 2000
DEEP_CONDITION = "{% if " + "not " * 3000 + "x %}deep{% endif %}"
HUGE_PRECISION = "{{ 1.5|floatformat:900000 }}"


@pytest.fixture
def limits(settings):
    """Small budgets for a test: limits(output_chars=100)."""

    def set_limits(**values):
        settings.MERCHANT_TEMPLATE_LIMITS = values

    return set_limits


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (NESTED_LOOPS, "loops repeat more than 10000 times"),
        (DOUBLING, "The filter add would make a text longer than 100000 characters"),
        (SQUARING, "The filter join would make a text longer than 100000 characters"),
        (DEEP_BLOCKS, "nests blocks more than 20 deep"),
        (DEEP_CONDITION, "nested too deeply"),
        (HUGE_PRECISION, "floatformat shows at most 20 decimal places"),
        ("{% now '" + "r" * 500 + "' %}", "The format of {% now %} is longer than 100 characters"),
        ("{{ 1|date:'" + "r" * 500 + "' }}", "A date or time format is longer than 100 characters"),
    ],
    ids=[
        "nested-loops",
        "doubling-add",
        "squaring-join",
        "deep-blocks",
        "deep-condition",
        "floatformat",
        "now",
        "date",
    ],
)
def test_a_pathological_template_is_refused_with_a_clear_error(source, problem):
    # given a short template that asks for millions of iterations, a huge string or a deep stack
    assert len(source) < 40_000
    # when it is rendered, then it is refused and the message says why
    with pytest.raises(TemplateError, match=problem):
        render_merchant(source, {})


def test_the_output_stops_as_soon_as_it_passes_the_cap(limits, monkeypatch):
    # given an output cap of 1,000 characters and a loop that would write 100 × 10,000
    limits(output_chars=1_000)
    budgets = []

    class Recorded(template_budget.RenderBudget):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            budgets.append(self)

    monkeypatch.setattr(template_budget, "RenderBudget", Recorded)
    source = "{% for a in text %}" + "z" * 100 + "{% endfor %}"
    # when it renders
    with pytest.raises(RenderBudgetExceeded, match="The email is longer than 1000 characters when rendered"):
        render_merchant(source, {"text": "x" * 10_000})
    # then it stopped at the iteration that crossed the cap, not after building the whole string
    (budget,) = budgets
    assert budget.iterations == 11 and budget.output == 1_100


def test_many_copies_of_a_long_value_are_refused_without_a_loop(limits):
    limits(output_chars=5_000)
    with pytest.raises(RenderBudgetExceeded, match="longer than 5000 characters"):
        render_merchant("{{ a }}" * 200, {"a": "q" * 1_000})


def test_steps_and_the_clock_are_budgeted(limits):
    limits(steps=50)
    with pytest.raises(RenderBudgetExceeded, match="more than 50 steps"):
        render_merchant("{% for a in text %}{{ a|upper }}{% endfor %}", {"text": "x" * 100})
    limits(seconds=0)
    with pytest.raises(RenderBudgetExceeded, match="longer than 0 seconds"):
        render_merchant("{{ a }}", {"a": "b"})


def test_filter_work_is_budgeted_even_when_nothing_is_output(limits):
    # given a chain of filters over a long text whose result is thrown away by `length`
    limits(work_chars=50_000)
    source = "{{ a" + "|upper|lower" * 50 + "|length }}"
    with pytest.raises(RenderBudgetExceeded, match="more than 50000 characters of text"):
        render_merchant(source, {"a": "q" * 10_000})


def test_an_exceeded_budget_cannot_be_swallowed_by_a_condition():
    # {% if %} turns an exception in its condition into "false"; the budget error is raised anyway
    source = "{% with a='" + "y" * 400 + "' %}{% if a|join:a|join:a == 1 %}yes{% endif %}no{% endwith %}"
    with pytest.raises(RenderBudgetExceeded, match="join"):
        render_merchant(source, {})


def test_a_template_that_breaks_while_rendering_is_a_template_error():
    with pytest.raises(TemplateError, match="Need 2 values to unpack"):
        render_merchant("{% for a, b in lines %}{{ a }}{% endfor %}", {"lines": [1, 2]})


def test_a_template_cannot_change_the_context_the_layout_and_dispatch_read():
    context = {"links": {"unsubscribe": "https://x.example/u/"}, "order": {"lines": [1, 2]}}
    render_merchant("{{ links.clear }}{{ order.lines.pop }}", context)
    assert context == {"links": {"unsubscribe": "https://x.example/u/"}, "order": {"lines": [1, 2]}}


@given(
    st.recursive(
        st.sampled_from(
            ["x", "{{ s }}", "{{ s|add:s }}", "{{ s|join:s }}", "{% now 'r' %}", "{{ 2.5|floatformat:3 }}"]
        ),
        lambda inner: st.one_of(
            st.tuples(inner, inner).map("".join),
            inner.map(lambda body: "{% for c in s %}" + body + "{% endfor %}"),
            inner.map(lambda body: "{% with s=s|add:s %}" + body + "{% endwith %}"),
            inner.map(lambda body: "{% with s=s|join:s %}" + body + "{% endwith %}"),
            inner.map(lambda body: "{% filter upper|linebreaksbr %}" + body + "{% endfilter %}"),
            inner.map(lambda body: "{% if s|length > 3 %}" + body + "{% else %}-{% endif %}"),
        ),
        max_leaves=12,
    )
)
@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_whatever_the_template_it_renders_within_the_cap_or_is_refused(source):
    limits = {"output_chars": 2_000, "loop_iterations": 300, "steps": 3_000, "work_chars": 50_000}
    with override_settings(MERCHANT_TEMPLATE_LIMITS=limits):
        try:
            output = render_merchant(source, {"s": "abcde"})
        except TemplateError:
            return
    assert len(output) <= limits["output_chars"]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_template_renders_exactly_as_without_a_budget(flows, language):
    for flow in flows.values():
        for step in flow.steps.all():
            context = sample_context(step, language)
            for part in (step.subject, step.preheader, step.body):
                source = part.get(language) or part.get("en") or ""
                unmetered = ENGINE.from_string(source).render(Context(copy.deepcopy(context), autoescape=True))
                assert render_merchant(source, context) == unmetered, (flow.kind, step.key, language)


# --- Every place a template is rendered turns an over-budget one into a clear error --------------
@pytest.mark.django_db
def test_saving_an_over_budget_template_is_refused(store):
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="reminder-1h")
    before = dict(step.body)
    with pytest.raises(StepInvalid) as refused:
        step_update(
            step=step,
            delay_minutes=step.delay_minutes,
            enabled=True,
            exit_on_order=True,
            body={"en": NESTED_LOOPS},
        )
    assert "loops repeat more than" in refused.value.errors["body:en"]
    step.refresh_from_db()
    assert step.body == before


@pytest.fixture
def editor(client):
    membership = MembershipFactory(role="manager", user__email="mia@shop.example", user__username="mia@shop.example")
    client.force_login(membership.user)
    return membership


@pytest.mark.django_db
def test_the_step_editor_shows_the_budget_error_on_save_preview_and_test_send(client, editor, mailoutbox):
    step = FlowStep.objects.get(store=editor.store, flow__kind=FlowKind.ABANDONED_CART, key="reminder-1h")
    FlowStep.objects.filter(pk=step.pk).update(editor=StepEditor.HTML)  # the budget is the HTML mode's
    step.refresh_from_db()
    data = step_form_data(step, body_en=DOUBLING, editor=StepEditor.HTML)
    # save: a form error on the field, nothing saved
    response = client.post(reverse("dashboard:step_edit", args=[step.pk]), data)
    assert response.status_code == 400
    assert "The filter add would make a text longer" in " ".join(response.context["form"].errors["body_en"])
    # preview: the error instead of the email
    response = client.post(reverse("dashboard:step_preview", args=[step.pk]), data, headers={"HX-Request": "true"})
    assert "The filter add would make a text longer" in response.content.decode()
    # test send: not sent, and why
    response = client.post(reverse("dashboard:step_test_send", args=[step.pk]), data, headers={"HX-Request": "true"})
    assert "The filter add would make a text longer" in response.content.decode()
    assert not mailoutbox
    step.refresh_from_db()
    assert DOUBLING not in step.body.values()


@pytest.mark.django_db
def test_previewing_an_over_budget_step_raises_a_template_error(flows):
    step = flows[FlowKind.WIN_BACK].steps.get(key="offer")
    step.editor = StepEditor.HTML  # the budget is the HTML mode's
    with pytest.raises(RenderBudgetExceeded, match="loops repeat"):
        preview_step(step=step, language="en", body=NESTED_LOOPS)


@pytest.mark.django_db
@time_machine.travel(NOON_ROME, tick=False)
def test_dispatching_an_over_budget_template_fails_the_message_with_the_reason(flows, store, mailoutbox):
    # given a step whose stored body (saved before the budget existed) asks for 810,000 iterations
    step = flows[FlowKind.WIN_BACK].steps.get(key="values")
    FlowStep.objects.filter(pk=step.pk).update(body={"en": NESTED_LOOPS}, editor=StepEditor.HTML)
    buyer = CustomerFactory(store=store, email="ana@example.com", consenting=True, time_zone="Europe/Rome")
    message = schedule(flows, FlowKind.WIN_BACK, "values", customer=buyer, at=NOON_ROME)
    # when it is due, then it fails with a readable reason and nothing is sent
    assert message_send(message_id=message.pk).status == MessageStatus.FAILED
    message = Message.objects.get(pk=message.pk)
    assert message.reason.startswith("template error: The template's loops repeat more than 10000 times")
    assert not mailoutbox


@pytest.mark.django_db
@time_machine.travel(NOON_ROME, tick=False)
def test_a_subject_cannot_empty_the_links_the_footer_and_unsubscribe_header_need(flows, store, mailoutbox):
    step = flows[FlowKind.WIN_BACK].steps.get(key="values")
    FlowStep.objects.filter(pk=step.pk).update(subject={"en": "{{ links.clear }}We miss you"})
    buyer = CustomerFactory(store=store, email="ana@example.com", consenting=True, time_zone="Europe/Rome")
    message = schedule(flows, FlowKind.WIN_BACK, "values", customer=buyer, at=NOON_ROME)
    assert message_send(message_id=message.pk).status == MessageStatus.SENT
    assert "/unsubscribe/" in mailoutbox[0].extra_headers["List-Unsubscribe"]
    assert "/unsubscribe/" in mailoutbox[0].alternatives[0][0]


def test_limits_come_from_settings(settings):
    settings.MERCHANT_TEMPLATE_LIMITS = {"loop_iterations": 7}
    assert RenderLimits.from_settings() == RenderLimits(loop_iterations=7)
