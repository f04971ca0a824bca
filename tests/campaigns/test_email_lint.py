"""The email-client lint finds what it is meant to find (a lint that cannot fail checks nothing), and the
email of each block design passes it. The default emails are linted in every language where they are
rendered (test_rendered_defaults)."""

import pytest

from apps.campaigns.design.blocks import BLOCK_LABELS, block_defaults
from apps.campaigns.design.compiler import Brand, compile_design, fill

from .email_lint import lint

CLEAN = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
    "<title>Hi</title></head><body>{}</body></html>"
)


@pytest.mark.parametrize(
    ("fragment", "problem"),
    [
        ("<script>alert(1)</script>", "<script> is stripped"),
        ("<form action='https://x.example/'></form>", "<form> is stripped"),
        ('<img src="https://x.example/a.png" width="10">', "an image without alt text"),
        ('<img src="https://x.example/a.png" alt="">', "without a width attribute"),
        ('<a href="/relative">x</a>', "not absolute"),
        ('<a href="javascript:alert(1)">x</a>', "not absolute"),
        ('<div style="position:absolute">x</div>', "position"),
        ('<div style="color:var(--brand)">x</div>', "CSS variables"),
        ("<style>@import url(https://x.example/a.css);</style>", "@import"),
        ('<link rel="stylesheet" href="https://x.example/a.css">', "stylesheet <link>"),
        ('<div onclick="x()">x</div>', "event handler"),
        ("<style>" + "a{color:red}" * 2000 + "</style>", "Gmail drops style"),
        ("<p>" + "x" * 110_000 + "</p>", "Gmail clips"),
    ],
)
def test_the_lint_finds_what_mail_clients_break(fragment, problem):
    problems = lint(CLEAN.format(fragment))
    assert any(problem in found for found in problems), problems


def test_a_plain_correct_email_passes():
    assert lint(CLEAN.format('<p><a href="https://x.example/">Shop</a></p>')) == []
    assert "<html> has no lang" in lint("<html><body></body></html>")


CONTEXT = {
    "language": "en",
    "labels": {},
    "store": {
        "name": "Northwind",
        "logo_url": "https://cdn.example/logo.png",
        "review_url": "https://r.example/",
        "website_url": "https://shop.example/",
        "social": [{"name": "Instagram", "url": "https://instagram.com/northwind"}],
    },
    "customer": {"first_name": "Ana"},
    "order": {
        "number": "#1",
        "total": "€5",
        "lines": [{"title": "Cup", "quantity": 1, "total": "€5", "image_url": "https://cdn.example/cup.png"}],
    },
    "cart": {
        "lines": [{"title": "Cup", "quantity": 1, "total": "€5", "image_url": ""}],
        "recovery_url": "https://shop.example/cart",
    },
    "shipment": {
        "carrier": "UPS",
        "status_label": "In transit",
        "tracking_number": "1Z",
        "progress": [{"label": "Shipped", "state": "current"}],
    },
    "recommendations": [
        {"name": "Mug", "url": "https://shop.example/mug", "image_url": "https://cdn.example/m.png", "price": "€3"}
    ],
    "coupon": {"code": "SAVE-1", "description": "10 % off", "expires": "1 Jan"},
    "nps_links": [{"score": n, "url": f"https://x.example/n/{n}"} for n in range(11)],
    "links": {
        "tracking": "https://x.example/t/1",
        "preferences": "https://x.example/p",
        "unsubscribe": "https://x.example/u",
    },
    "subject": "Hello",
    "preheader": "",
}


def test_an_email_with_every_block_passes_the_lint():
    blocks = [block_defaults(kind) for kind in BLOCK_LABELS]
    for block in blocks:
        if block["type"] == "image":
            block["src"] = "https://cdn.example/banner.png"
    page = fill(compile_design(blocks, language="en", brand=Brand.of(CONTEXT["store"]), labels={}), CONTEXT)
    assert lint(page) == []
