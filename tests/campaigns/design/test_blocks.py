"""Each of the fifteen blocks, with its defaults and with settings of the merchant's own, compiles into MJML
that mrml lays out and into well-formed HTML (every element closed, in a browser's view and in Outlook's)
that says what the block says; a block about something the recipient lacks leaves nothing behind."""

import re

import mrml
import pytest

from apps.campaigns.design.blocks import validate_design
from apps.campaigns.design.compiler import Brand, Parts, mjml_source

from .helpers import (
    KINDS,
    assert_well_formed,
    bare_context,
    block,
    conditional_comments_pair,
    design_of,
    full_context,
    outlook_view,
    problems_of,
    render,
    store,
    visible_text,
)

# Per block type: settings of the merchant's own, and words the email then shows.
CUSTOM = {
    "header": ({"show_logo": False, "align": "left"}, ["Northwind Coffee"]),
    "heading": ({"text": "Thanks, {{ customer.first_name }}!", "level": 2, "align": "center"}, ["Thanks, Ana!"]),
    "text": (
        {
            "html": "<p>Your <strong>beans</strong> are roasting.</p><ul><li>Guji</li><li>Huila</li></ul>",
            "align": "right",
        },
        ["Your beans are roasting.", "- Guji", "- Huila"],
    ),
    "button": (
        {"label": "Read our story", "link": "custom", "url": "https://northwind.example/story", "align": "left"},
        ["Read our story (https://northwind.example/story)"],
    ),
    "image": (
        {
            "src": "https://cdn.northwind.example/roastery.jpg",
            "alt": "The roastery",
            "width": 300,
            "href": "https://northwind.example/roastery",
        },
        [],
    ),
    "products": (
        {
            "source": "cart",
            "title": "Still in your cart",
            "columns": 3,
            "limit": 3,
            "show_price": False,
            "button_label": "Buy",
        },
        ["Still in your cart", "2 × Ethiopia Guji 250 g"],
    ),
    "coupon": ({"title": "A thank-you from us"}, ["A thank-you from us", "THANKS-7Q2X", "Valid until 30 June 2026"]),
    "order_summary": (
        {"title": "Order {{ order.number }}", "show_images": False},
        ["Order #1001", "2 × Ethiopia Guji 250 g 39,00 €", "Total 44,00 €"],
    ),
    "shipment": (
        {"show_progress": False, "button_label": "Where is it?"},
        ["On its way", "DHL · JJD0001", "Where is it? (https://northwind.example/t/abc/)"],
    ),
    "nps": (
        {"question": "Would you recommend {{ store.name }}?", "low_label": "never", "high_label": "surely"},
        ["Would you recommend Northwind Coffee?", "0 = never", "10 = surely"],
    ),
    "cart_reason": (
        {"question": "What held you back, {{ customer.first_name }}?"},
        ["What held you back, Ana?", "The shipping cost (https://afterglow.example/cart/abc/shipping_cost/)"],
    ),
    "review": (
        {"text": "Tell others about the Guji", "button_label": "Review it"},
        ["Tell others about the Guji", "Review it (https://northwind.example/reviews/)"],
    ),
    "reviews": (
        {"title": "Loved by {{ store.name }} buyers", "limit": 1},
        ["Loved by Northwind Coffee buyers", "Best beans", "Smooth <and> bright", "Ana K. · Ethiopia Guji 250 g"],
    ),
    "social": ({"title": "Follow us"}, ["Follow us", "Instagram (https://instagram.com/northwind)"]),
    "divider": ({"id": "rule-1"}, []),
    "spacer": ({"height": 80}, []),
    "footer": ({"show_address": False}, ["Northwind Coffee", "Unsubscribe (https://afterglow.example/u/abc/)"]),
}

# What the block shows with its defaults, given a recipient with everything.
DEFAULT_WORDS = {
    "header": ["Northwind Coffee"],
    "products": ["Colombia Huila", "14,00 €", "Moka pot"],
    "coupon": ["10% off your next order", "THANKS-7Q2X"],
    "order_summary": ["Your order #1001", "Subtotal 39,00 €", "Shipping 5,00 €", "Total 44,00 €"],
    "shipment": ["On its way", "It left the depot.", "Expected delivery: Friday, 5 June", "Track your order"],
    "nps": ["How likely are you to recommend us to a friend?", "0 = not at all likely", "10 = extremely likely"],
    "cart_reason": ["What stopped you from ordering?", "I was just looking", "Something else"],
    "review": ["Write a review (https://northwind.example/reviews/)"],
    "reviews": ["What our customers say", "★★★★★", "Best beans", "Good value"],
    "social": ["Instagram (https://instagram.com/northwind)"],
    "footer": ["1 Harbour Street", "Questions? Just reply or write to help@northwind.example", "Email preferences"],
}


def test_every_block_type_is_covered():
    assert sorted(CUSTOM) == sorted(KINDS) and len(KINDS) == 17


def _mrml_accepts(design: list[dict], language: str = "en") -> None:
    source = mjml_source(design, Parts(brand=Brand.of(store()), labels={}, language=language))
    output = mrml.to_html(source, parser_options=mrml.ParserOptions(include_loader=mrml.noop_loader()))
    assert output.content.startswith("<!doctype html>") and list(output.warnings) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_block_with_its_defaults_compiles_into_well_formed_html(kind):
    design = design_of(block(kind))
    _mrml_accepts(design)
    page = render(design, full_context())
    assert_well_formed(page)
    text = visible_text(page)
    for expected in DEFAULT_WORDS.get(kind, []):
        assert expected in text, (expected, text)


@pytest.mark.parametrize("kind", KINDS)
def test_a_block_with_settings_of_its_own_compiles_into_well_formed_html_showing_them(kind):
    settings, words = CUSTOM[kind]
    design = design_of(block(kind, **settings))
    assert {key: design[0][key] for key in settings} == settings  # validation kept them as typed
    _mrml_accepts(design)
    page = render(design, full_context())
    assert_well_formed(page)
    text = visible_text(page)
    for expected in words:
        assert expected in text, (expected, text)


def test_settings_change_the_layout_as_they_say():
    context = full_context(store=store(logo_url="https://cdn.northwind.example/logo.png"))
    with_logo = render(design_of(block("header")), context)
    assert 'src="https://cdn.northwind.example/logo.png"' in with_logo
    assert 'alt="Northwind Coffee"' in with_logo
    assert "logo.png" not in render(design_of(block("header", show_logo=False)), context)

    assert re.search(
        r"<h2 [^>]*>Thanks, Ana!</h2>", render(design_of(block("heading", **CUSTOM["heading"][0])), context)
    )

    picture = render(design_of(block("image", **CUSTOM["image"][0])), context)
    assert re.search(
        r'<a href="https://northwind.example/roastery"[^>]*><img alt="The roastery"[^>]*'
        r'src="https://cdn.northwind.example/roastery.jpg" width="300"',
        picture,
    )

    spacer = render(design_of(block("spacer", height=80)), context)
    assert "height:80px" in spacer

    no_pictures = render(design_of(block("order_summary", show_images=False)), context)
    assert "guji.jpg" not in no_pictures
    assert "guji.jpg" in render(design_of(block("order_summary")), context)

    no_progress = visible_text(render(design_of(block("shipment", show_progress=False)), context))
    assert "Shipped On its way Delivered" in visible_text(render(design_of(block("shipment")), context))
    assert "Shipped" not in no_progress

    no_address = visible_text(render(design_of(block("footer", show_address=False)), context))
    assert "Harbour" not in no_address


def test_products_show_their_source_up_to_the_limit_with_buttons_where_items_have_links():
    context = full_context()
    one = visible_text(render(design_of(block("products", limit=1, button_label="See it")), context))
    assert "Colombia Huila" in one and "Moka pot" not in one
    assert "See it (https://northwind.example/p/huila)" in one
    no_price = visible_text(render(design_of(block("products", show_price=False)), context))
    assert "Colombia Huila" in no_price and "14,00 €" not in no_price
    order = visible_text(render(design_of(block("products", source="order")), context))
    assert "2 × Ethiopia Guji 250 g" in order
    product = visible_text(render(design_of(block("products", source="product", button_label="Buy")), context))
    assert "Kenya AA" in product and "Buy (https://northwind.example/p/kenya)" in product


@pytest.mark.parametrize(
    "link, url",
    [
        ("tracking", "https://northwind.example/t/abc/"),
        ("cart", "https://northwind.example/cart/r/1"),
        ("store", "https://northwind.example/"),
        ("review", "https://northwind.example/reviews/"),
        ("product", "https://northwind.example/p/kenya"),
    ],
)
def test_a_button_leads_to_the_recipients_own_link(link, url):
    page = render(design_of(block("button", label="Go", link=link)), full_context())
    assert_well_formed(page)
    assert f"Go ({url})" in visible_text(page)


def test_a_design_of_every_block_in_korean_carries_the_legal_refusal_line():
    design = design_of(*[block(kind, **CUSTOM[kind][0]) for kind in KINDS])
    page = render(design, full_context("ko"))
    assert_well_formed(page)
    assert 'lang="ko"' in page and "수신 거부" in page


# --- Blocks about what the recipient lacks -------------------------------------------------------
CONDITIONAL = [
    block("coupon", title="A thank-you"),
    block("shipment", button_label="Where is it?"),
    block("order_summary", title="Order {{ order.number }}"),
    block("products", title="You might also like", button_label="See it"),
    block("products", source="cart", title="Still in your cart"),
    block("products", source="order", title="What you bought"),
    block("products", source="product", title="Time for more"),
    block("nps", question="Would you recommend us?"),
    block("review", text="Tell others", button_label="Review it"),
    block("social", title="Follow us"),
    block("button", label="Track it", link="tracking"),
    block("button", label="Back to your cart", link="cart"),
    block("button", label="Visit the shop", link="store"),
    block("button", label="Review", link="review"),
    block("button", label="See the product", link="product"),
]
LABELS = (
    "A thank-you",
    "Where is it?",
    "Order",
    "You might also like",
    "Still in your cart",
    "What you bought",
    "Time for more",
    "Would you recommend us?",
    "Tell others",
    "Follow us",
    "Track it",
    "Back to your cart",
    "Visit the shop",
    "Review",
    "See the product",
)


def _body(page: str) -> str:
    return page.split("<body", 1)[1]


@pytest.mark.parametrize("conditional", CONDITIONAL, ids=lambda b: f"{b['type']}-{b.get('link') or b.get('source')}")
def test_a_block_about_what_the_recipient_lacks_disappears_cleanly(conditional):
    design = design_of(block("heading", text="Hello"), conditional, block("footer"))
    without = render(design, bare_context())
    baseline = render(design_of(block("heading", text="Hello"), block("footer")), bare_context())
    assert_well_formed(without)
    assert conditional_comments_pair(without) and conditional_comments_pair(outlook_view(without))
    text = visible_text(without)
    assert "Hello" in text and not any(label in text for label in LABELS if label != "Hello"), text
    # Nothing left behind: the body is that of the design without the block (no empty card, no stray Outlook
    # table); only the head's media queries may differ (a grid's column widths).
    assert _body(without) == _body(baseline)

    with_it = render(design, full_context())
    assert_well_formed(with_it)
    assert len(with_it) > len(without)


def test_every_conditional_block_at_once_leaves_a_clean_page_for_a_recipient_with_nothing():
    design = design_of(block("header"), *CONDITIONAL, block("footer"))
    page = render(design, bare_context())
    assert_well_formed(page)
    assert problems_of(outlook_view(page)) == []
    expected = (
        "Northwind Coffee Northwind Coffee · 1 Harbour Street Portsmouth Questions? "
        "Just reply or write to help@northwind.example (mailto:help@northwind.example)"
    )
    assert visible_text(page) == expected


def test_an_order_without_optional_amounts_shows_only_its_total_and_a_shipment_without_news_no_empty_lines():
    context = full_context()
    context["order"] = {**context["order"], "subtotal": "", "shipping": "", "discount": "", "tax": ""}
    context["shipment"] = {**context["shipment"], "status_note": "", "estimated_delivery": "", "tracking_number": ""}
    page = render(design_of(block("order_summary"), block("shipment")), context)
    assert_well_formed(page)
    text = visible_text(page)
    assert "Total 44,00 €" in text and "Subtotal" not in text and "Shipping" not in text
    assert "Expected delivery" not in text and "·" not in text.split("DHL")[1].split("Track")[0]


def test_the_compiler_adds_a_footer_and_the_place_for_an_issued_coupon_to_any_design():
    design = validate_design([block("heading", text="Hi")])
    text = visible_text(render(design, full_context()))
    assert "THANKS-7Q2X" in text and "Unsubscribe" in text
    assert "THANKS" not in visible_text(render(design, bare_context()))


def test_a_variable_in_a_pictures_alternative_text_is_filled_and_escaped():
    design = design_of(block("image", src="https://cdn.northwind.example/a.jpg", alt="For {{ customer.first_name }}"))
    page = render(design, full_context(customer={"first_name": 'Ana "the" <Roaster>'}))
    assert_well_formed(page)
    assert 'alt="For Ana &quot;the&quot; &lt;Roaster&gt;"' in page


def test_a_review_address_that_is_not_a_web_address_hides_the_whole_card():
    """Stored before validation existed, say: the card goes with its button, rather than words with no button."""
    design = design_of(block("heading", text="Hello"), block("review", text="Tell others"), block("footer"))
    context = full_context()
    context["store"] = {**context["store"], "review_url": "javascript:alert(1)"}
    baseline = render(design_of(block("heading", text="Hello"), block("footer")), context)
    page = render(design, context)
    assert "Tell others" not in visible_text(page) and "javascript:" not in page
    assert _body(page) == _body(baseline)
