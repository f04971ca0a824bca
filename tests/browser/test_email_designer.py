"""A merchant designs an email from blocks: adds a heading and a button, moves blocks by dragging and by the
keyboard, types and sees the desktop and phone previews follow, undoes, copies the English blocks into
Korean, saves and sends a test. Screenshots go to test-artifacts/designer/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.campaigns.models import Flow, FlowKind, Message, StepEditor
from tests.browser.accessibility import axe_violations
from tests.browser.test_dashboard_journey import sign_in
from tests.stores.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "designer"


@pytest.fixture
def merchant():
    return MembershipFactory(
        role="owner",
        user__username="owner@shop.example",
        user__email="owner@shop.example",
        store__name="Northwind Coffee",
        store__languages=["en", "ko"],
    )


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def block_kinds(page) -> list[str]:
    return page.locator("#block-list .block-kind").all_inner_texts()


def previews_show(page, text: str) -> None:
    for frame in ("iframe.preview-frame.desktop", "iframe.preview-frame.phone"):
        expect(page.frame_locator(frame).locator("body")).to_contain_text(text, timeout=10_000)


def test_a_merchant_designs_an_email_from_blocks_and_sends_a_test(page, live_server, merchant, mailoutbox):
    flow = Flow.objects.get(store=merchant.store, kind=FlowKind.ABANDONED_CART)
    step = flow.steps.get(key="reminder-1h")
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, live_server)
    # given the flow page, whose step titles read as a buyer would read them
    page.goto(f"{live_server.url}/dashboard/flows/{flow.pk}/")
    expect(page.locator(".step-name").first).not_to_contain_text("{{")
    page.locator(f'a.step-name[href$="/steps/{step.pk}/"]').click()
    page.get_by_role("heading", name="Live preview").wait_for()
    expect(page.locator("#block-list .block").first).to_be_visible()
    before = len(block_kinds(page))
    shot(page, "01-opened-1440")

    # when they add a heading and write in it, choosing a variable from the list
    page.get_by_role("button", name="+ Heading").click()
    heading = page.locator("#block-list .block.is-open").last
    heading.get_by_label("Text", exact=True).fill("A little something for you, ")
    heading.get_by_label("Insert a variable").select_option(label="First name")
    expect(heading.locator(".readable .chip")).to_have_text("First name")
    # then both previews show it with the sample buyer's name
    previews_show(page, "A little something for you, Alex")

    # and a button to their own address
    page.get_by_role("button", name="+ Button").click()
    button = page.locator("#block-list .block.is-open").last
    button.get_by_label("Button text").fill("See what is new")
    button.get_by_label("Button leads to").select_option(label="Another web address")
    button.get_by_label("Web address").fill("https://northwind.example/new")
    previews_show(page, "See what is new")
    kinds = block_kinds(page)
    assert len(kinds) == before + 2
    assert kinds[-3:] == ["Heading", "Button", "Footer"]  # added before the footer

    # and move the button above the heading with the keyboard, then drag it back below
    count = len(kinds)
    page.get_by_role("button", name=f"Move Button (block {count - 1}) up").click()
    assert block_kinds(page)[-3:] == ["Button", "Heading", "Footer"]
    expect(page.get_by_role("button", name=f"Move Button (block {count - 2}) up")).to_be_focused()
    handles = page.locator("#block-list .block-handle")
    handles.nth(count - 3).drag_to(page.locator("#block-list .block-toggle").nth(count - 2))
    expect(page.locator("#block-list .block-kind").nth(count - 3)).to_have_text("Heading")
    assert block_kinds(page)[-3:] == ["Heading", "Button", "Footer"]

    # and a bad address is named beside its block, not a broken page
    button = page.locator("#block-list .block").nth(count - 2)
    button.get_by_label("Web address").fill("javascript:alert(1)")
    expect(button.locator(".errorlist")).to_contain_text("https://")
    shot(page, "02-problem-beside-the-block")
    button.get_by_label("Web address").fill("https://northwind.example/new")
    expect(button.locator(".errorlist")).to_have_count(0)

    # and undo the last move: Ctrl+Z outside a text field
    page.get_by_role("button", name=f"Move Heading (block {count - 2}) down").click()
    assert block_kinds(page)[-3:] == ["Button", "Heading", "Footer"]
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+z")
    expect(page.locator("#block-list .block-kind").nth(count - 3)).to_have_text("Heading")
    # and with the Undo button
    page.get_by_role("button", name=f"Move Heading (block {count - 2}) down").click()
    expect(page.locator("#block-list .block-kind").nth(count - 3)).to_have_text("Button")
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#block-list .block-kind").nth(count - 3)).to_have_text("Heading")
    previews_show(page, "See what is new")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "03-designed-1440")

    # and switch to Korean and copy the English blocks
    page.get_by_label("Email language").select_option("ko")
    page.get_by_role("button", name="Copy from English").click()
    expect(page.locator("#block-list .block-summary").filter(has_text="A little something for you")).to_have_count(1)
    page.get_by_label("Subject (한국어)").fill("{{ customer.first_name }}님, 새로운 소식이에요")
    expect(page.locator("[data-preview-subject]")).to_contain_text("Alex님, 새로운 소식이에요")
    previews_show(page, "A little something for you, Alex")
    shot(page, "04-korean-copied-1440")

    # and save
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status").filter(has_text="Saved reminder-1h")).to_be_visible()
    step.refresh_from_db()
    assert step.editor == StepEditor.BLOCKS
    for language in ("en", "ko"):
        texts = [b.get("text") for b in step.design[language] if b["type"] == "heading"]
        assert "A little something for you, {{ customer.first_name }}" in [t.strip() for t in texts]
    buttons = [b for b in step.design["en"] if b["type"] == "button" and b["link"] == "custom"]
    assert buttons and buttons[0]["url"] == "https://northwind.example/new"

    # and send a test of what they see, in Korean, changed and unsaved
    page.get_by_label("Email language").select_option("ko")
    heading = page.locator("#block-list .block").filter(has_text="A little something").first
    heading.locator(".block-toggle").click()
    heading.get_by_label("Text", exact=True).fill("작은 선물을 준비했어요")
    previews_show(page, "작은 선물을 준비했어요")
    page.get_by_role("button", name="Send a test to owner@shop.example").click()
    expect(page.locator("#test-send-result")).to_contain_text("Test sent to owner@shop.example")
    sent = mailoutbox[-1]
    assert sent.to == ["owner@shop.example"]
    assert sent.subject.startswith("[TEST]") and "Alex님, 새로운 소식이에요" in sent.subject
    assert "작은 선물을 준비했어요" in sent.alternatives[0][0]
    assert not Message.objects.exists()

    # and on a phone the editor and the previews fit, one under the other
    page.set_viewport_size({"width": 390, "height": 900})
    page.reload()
    previews_show(page, "Return to your cart")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "05-phone-390")
    previews = page.locator(".editor-side")
    previews.scroll_into_view_if_needed()  # a frame out of sight is not painted: look at them in view
    previews.screenshot(path=str(SHOTS / "05-phone-390-previews.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_timeout(300)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "06-laptop-1280")


def test_the_html_mode_keeps_the_blocks(page, live_server, merchant):
    step = Flow.objects.get(store=merchant.store, kind=FlowKind.ABANDONED_CART).steps.get(key="reminder-1h")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/flows/steps/{step.pk}/")
    kinds = block_kinds(page)
    page.get_by_label("Edit as HTML (advanced)").check()
    page.get_by_label("Body (English)").fill("<p>Just a <strong>plain</strong> note</p>")
    previews_show(page, "Just a plain note")
    shot(page, "07-html-mode")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status").filter(has_text="Saved reminder-1h")).to_be_visible()
    step.refresh_from_db()
    assert step.editor == StepEditor.HTML and "plain" in step.body["en"]
    # switching back finds the blocks as they were
    page.get_by_label("Edit as HTML (advanced)").uncheck()
    assert block_kinds(page) == kinds
    assert re.search("Footer", " ".join(kinds))


def test_the_text_block_formats_words_and_offers_variables(page, live_server, merchant):
    step = Flow.objects.get(store=merchant.store, kind=FlowKind.ABANDONED_CART).steps.get(key="reminder-1h")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/flows/steps/{step.pk}/")
    page.get_by_role("button", name="+ Text").click()
    text = page.locator("#block-list .block.is-open").last
    editor = text.get_by_role("textbox", name="Text")
    editor.click()
    page.keyboard.type("Hello there")
    page.keyboard.press("Control+a")
    text.get_by_role("button", name="Bold").click()
    page.keyboard.press("End")
    page.keyboard.type(", ")
    text.get_by_label("Insert a variable").select_option(label="First name")
    expect(editor.locator(".chip")).to_have_text("First name")  # readable, not template code
    frame = page.frame_locator("iframe.preview-frame.desktop")
    expect(frame.locator("strong", has_text="Hello there")).to_have_count(1)
    expect(frame.locator("body")).to_contain_text("Hello there, Alex")
    design = page.locator('input[name="design"]').input_value()
    assert "<strong>Hello there" in design and "{{ customer.first_name }}" in design
    shot(page, "08-rich-text")


def test_the_designer_has_no_serious_accessibility_problem(axe_page, live_server, merchant):
    step = Flow.objects.get(store=merchant.store, kind=FlowKind.ABANDONED_CART).steps.get(key="reminder-1h")
    sign_in(axe_page, live_server)
    for width in (390, 1280):
        axe_page.set_viewport_size({"width": width, "height": 900})
        axe_page.goto(f"{live_server.url}/dashboard/flows/steps/{step.pk}/")
        axe_page.locator("#block-list .block-toggle").first.click()  # a block's settings open
        axe_page.get_by_role("button", name="+ Text").click()  # and the rich-text editor
        assert axe_violations(axe_page) == [], f"the designer at {width}px"


@pytest.mark.parametrize("language", ["ko", "ru"])
def test_the_designer_reads_in_the_merchants_language(page, live_server, merchant, language):
    from apps.stores.models import UserPreference

    UserPreference.objects.create(user=merchant.user, language=language)
    step = Flow.objects.get(store=merchant.store, kind=FlowKind.ABANDONED_CART).steps.get(key="reminder-1h")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/flows/steps/{step.pk}/")
    words = {"ko": ("블록 추가", "실행 취소", "로고"), "ru": ("Добавить блок", "Отменить", "Логотип")}[language]
    for word in words:
        expect(page.locator("#designer").get_by_text(word, exact=True).first).to_be_visible()
    page.locator("#block-list .block-toggle").nth(1).click()  # a heading's settings, labelled in the language
    previews_show(page, "Northwind Coffee")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(200)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    page.set_viewport_size({"width": 1280, "height": 900})
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, f"09-designer-{language}")
