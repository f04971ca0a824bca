"""What the design tests share: a context that fills every block, one that fills none, and a strict check
that compiled HTML is well formed, both as a browser reads it and as Outlook does (inside its conditional
comments)."""

import re
from html.parser import HTMLParser

from apps.campaigns.copy import copy_for
from apps.campaigns.design.blocks import DESIGN_MODELS, block_defaults, validate_design
from apps.campaigns.design.compiler import Brand, compile_design, fill

KINDS = [model.model_fields["type"].annotation.__args__[0] for model in DESIGN_MODELS]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
MSO_OPEN = "<!--[if mso | IE]>"
ENDIF = "<![endif]-->"


def store(**overrides) -> dict:
    return {
        "name": "Northwind Coffee",
        "website_url": "https://northwind.example/",
        "support_email": "help@northwind.example",
        "review_url": "https://northwind.example/reviews/",
        "logo_url": "",
        "primary_colour": "#112233",
        "accent_colour": "#2255ff",
        "background_colour": "#f5f5f5",
        "font_family": "Georgia, serif",
        "social_links": {"instagram": "https://instagram.com/northwind"},
        "social": [{"name": "Instagram", "url": "https://instagram.com/northwind"}],
        "postal_address": "1 Harbour Street\nPortsmouth",
        **overrides,
    }


def full_context(language: str = "en", **overrides) -> dict:
    """Every value a block can show, as campaigns.context builds it."""
    line = {
        "title": "Ethiopia Guji 250 g",
        "quantity": 2,
        "price": "19,50 €",
        "total": "39,00 €",
        "image_url": "https://cdn.northwind.example/guji.jpg",
    }
    context = {
        "language": language,
        "subject": "Your order",
        "preheader": "Hidden preview line",
        "store": store(),
        "labels": copy_for(language).LABELS,
        "customer": {"first_name": "Ana", "last_name": "Silva", "email": "ana@example.com"},
        "links": {
            "tracking": "https://northwind.example/t/abc/",
            "preferences": "https://afterglow.example/p/abc/",
            "unsubscribe": "https://afterglow.example/u/abc/",
        },
        "order": {
            "number": "#1001",
            "placed_at": "1 June 2026",
            "total": "44,00 €",
            "subtotal": "39,00 €",
            "discount": "",
            "shipping": "5,00 €",
            "tax": "",
            "currency": "EUR",
            "lines": [line],
        },
        "shipment": {
            "carrier": "DHL",
            "tracking_number": "JJD0001",
            "tracking_url": "https://dhl.example/JJD0001",
            "status": "in_transit",
            "status_label": "On its way",
            "status_note": "It left the depot.",
            "estimated_delivery": "Friday, 5 June",
            "progress": [
                {"label": "Shipped", "state": "done"},
                {"label": "On its way", "state": "current"},
                {"label": "Delivered", "state": "todo"},
            ],
        },
        "cart": {"lines": [line], "subtotal": "39,00 €", "recovery_url": "https://northwind.example/cart/r/1"},
        "product": {"name": "Kenya AA", "url": "https://northwind.example/p/kenya", "image_url": "", "price": "12 €"},
        "recommendations": [
            {
                "name": "Colombia Huila",
                "url": "https://northwind.example/p/huila",
                "image_url": "https://cdn.northwind.example/huila.jpg",
                "price": "14,00 €",
            },
            {"name": "Moka pot", "url": "https://northwind.example/p/moka", "image_url": "", "price": "35,00 €"},
        ],
        "coupon": {"code": "THANKS-7Q2X", "description": "10% off your next order", "expires": "30 June 2026"},
        "nps_links": [{"score": score, "url": f"https://afterglow.example/nps/{score}/"} for score in range(11)],
        "reviews": [
            {
                "rating": 5,
                "stars": "★★★★★",
                "title": "Best beans",
                "text": "Smooth <and> bright",
                "author": "Ana K.",
                "product": "Ethiopia Guji 250 g",
            },
            {"rating": 4, "stars": "★★★★☆", "title": "", "text": "Good value", "author": "Ben", "product": ""},
        ],
        "cart_reason_links": {
            reason: f"https://afterglow.example/cart/abc/{reason}/"
            for reason in ("price", "shipping_cost", "delivery_time", "payment", "just_looking", "other")
        },
    }
    context["product_list"] = [context["product"]]
    context.update(overrides)
    return context


def bare_context(language: str = "en") -> dict:
    """A recipient with nothing: no order, shipment, coupon, links or products; a store with no review page
    or social links."""
    return {
        "language": language,
        "subject": "Hello",
        "preheader": "",
        "store": store(review_url="", social_links={}, social=[], website_url=""),
        "labels": copy_for(language).LABELS,
        "customer": {},
        "links": {},
        "recommendations": [],
    }


def design_of(*blocks: dict) -> list[dict]:
    return validate_design(list(blocks))


def block(kind: str, **settings) -> dict:
    return {**block_defaults(kind), **settings}


def render(design: list[dict], context: dict, *, brand: Brand | None = None) -> str:
    brand = brand or Brand.of(context["store"])
    template = compile_design(design, language=context["language"], brand=brand, labels=context["labels"])
    return fill(template, context)


# --- Well-formedness ------------------------------------------------------------------------------
class _Balance(HTMLParser):
    """Every non-void element closed, in order (no reliance on HTML's optional end tags)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, tuple]] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        pass  # <meta ... /> and the like

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.problems.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()


def problems_of(page: str) -> list[str]:
    checker = _Balance()
    checker.feed(page)
    checker.close()
    return checker.problems + [f"<{tag}> at {pos} never closed" for tag, pos in checker.stack]


_MSO = re.compile(r"<!--\[if (?:mso \| IE|mso|lte mso 11)\]>(.*?)<!\[endif\]-->", re.DOTALL)
_NOT_MSO = re.compile(r"<!--\[if !mso(?: \| IE)?\]><!-->(.*?)<!--<!\[endif\]-->", re.DOTALL)


def outlook_view(page: str) -> str:
    """The page as Outlook reads it: what its conditional comments hold shown, what they hide from it gone."""
    return _MSO.sub(lambda m: m.group(1), _NOT_MSO.sub("", page))


def assert_well_formed(page: str) -> None:
    assert conditional_comments_pair(page)
    assert problems_of(page) == [], problems_of(page)[:5]
    assert problems_of(outlook_view(page)) == [], problems_of(outlook_view(page))[:5]
    assert "{{" not in page and "{%" not in page  # no template code left unfilled


def conditional_comments_pair(page: str) -> bool:
    """Each `<!--[if …]>` is closed by its `<![endif]-->` before the next one opens (none nested, none cut)."""
    marks = re.findall(r"<!--\[if [^\]]*\]>|<!\[endif\]-->", page)
    opened = [mark.startswith("<!--[if") for mark in marks]
    return opened == [True, False] * (len(marks) // 2) and page.count(MSO_OPEN) <= page.count(ENDIF)


def visible_text(page: str) -> str:
    """The words a reader sees (tags, styles and the hidden preheader stripped), spaces collapsed."""
    from apps.campaigns.plaintext import html_to_text

    return " ".join(html_to_text(page).split())
