import pytest

from apps.campaigns.copy import LANGUAGES
from apps.campaigns.models import FlowKind, Message, StepEditor
from apps.campaigns.preview import preview_step, send_test
from apps.campaigns.rendering import TemplateError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_step_previews_in_every_language(flows, language):
    for flow in flows.values():
        for step in flow.steps.all():
            preview = preview_step(step=step, language=language)
            assert preview.email.subject, (flow.kind, step.key, language)
            assert "{{" not in preview.email.html and "{%" not in preview.email.html


def test_a_preview_of_unsaved_edits_shows_the_edit(flows):
    step = flows[FlowKind.ABANDONED_CART].steps.get(key="coupon-72h")
    preview = preview_step(step=step, language="it", subject="Ciao {{ customer.first_name }}, torna!")
    assert preview.email.subject == "Ciao Alex, torna!"
    assert "SAMPLE-7QX4" in preview.email.html


def test_a_broken_edit_is_a_clear_error(flows):
    step = flows[FlowKind.WIN_BACK].steps.get(key="offer")
    step.editor = StepEditor.HTML  # a body is the HTML mode's
    with pytest.raises(TemplateError):
        preview_step(step=step, language="en", body="{% if %}")


def test_a_test_send_goes_to_the_teammate_and_not_into_the_ledger(flows, mailoutbox):
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    send_test(step=step, language="ru", to="merchant@example.com")
    assert mailoutbox[0].to == ["merchant@example.com"]
    assert mailoutbox[0].subject.startswith("[TEST] ")
    assert not Message.objects.exists()
