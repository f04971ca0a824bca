"""The blocks an email is built from, each with typed settings, and the validation of a stored design.

A design is, per language, an ordered list of blocks: `{"type": "heading", "id": "b3", "text": "…"}`. It is
stored as JSON on the step (FlowStep.design) and validated here whenever it is saved, so the compiler
(design.compiler) only ever sees settings of the right type and within their bounds. Text settings may
carry variables from design.variables (`{{ order.number }}`), never template code: anything else in
braces is shown as typed.
"""

import re
from typing import Annotated, Literal

from django.utils.translation import gettext_lazy as _
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from apps.core.safe_values import is_web_url

from .variables import check_tokens

MAX_BLOCKS = 40
MAX_TEXT = 300
MAX_RICH_TEXT = 6_000

Align = Literal["left", "center", "right"]
# Where a button leads: each is a link Afterglow knows for the recipient (hidden when it has none).
LinkTarget = Literal["tracking", "cart", "store", "review", "product", "custom"]
ProductSource = Literal["recommendations", "cart", "order", "product"]

# Characters no email can carry (XML's forbidden ones): mrml refuses the whole email when a text holds one.
UNSENDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _single_line_with_variables(value: str) -> str:
    if any(ch in value for ch in "\r\n\x00"):
        raise ValueError("Write it on one line.")
    if UNSENDABLE.search(value):
        raise ValueError("The text holds a character that cannot be sent.")
    check_tokens(value)
    return value.strip()


# Every one-line setting: at most MAX_TEXT characters, on one line, sendable, variables only from the list.
SingleLine = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_single_line_with_variables)]


class Block(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    id: Annotated[str, Field(default="", max_length=40, pattern=r"^[A-Za-z0-9_-]*$")]


class Header(Block):
    type: Literal["header"]
    show_logo: bool = True
    align: Align = "center"


class Heading(Block):
    type: Literal["heading"]
    text: SingleLine = ""
    level: Literal[1, 2] = 1
    align: Align = "left"


class Text(Block):
    """A paragraph or a few: the rich-text editor's HTML, sanitised when compiled (design.richtext)."""

    type: Literal["text"]
    html: Annotated[str, Field(max_length=MAX_RICH_TEXT)] = ""
    align: Align = "left"

    @field_validator("html")
    @classmethod
    def _variables(cls, value: str) -> str:
        if UNSENDABLE.search(value):
            raise ValueError("The text holds a character that cannot be sent.")
        check_tokens(value)
        return value


def _custom_url(value: str) -> str:
    value = value.strip()
    if value and not is_web_url(value):
        raise ValueError("Give a full web address starting with https:// (or http://).")
    return value


class Button(Block):
    type: Literal["button"]
    label: SingleLine = ""
    link: LinkTarget = "tracking"
    url: Annotated[str, Field(max_length=2000)] = ""
    align: Align = "center"
    _url = field_validator("url")(_custom_url)

    @model_validator(mode="after")
    def _custom_needs_url(self):
        if self.link == "custom" and not self.url:
            raise ValueError("A button to an address of your own needs that address.")
        return self


class Image(Block):
    type: Literal["image"]
    src: Annotated[str, Field(max_length=2000)] = ""
    alt: SingleLine = ""
    href: Annotated[str, Field(max_length=2000)] = ""
    width: Annotated[int, Field(ge=40, le=600)] = 600

    _src = field_validator("src", "href")(_custom_url)


class Products(Block):
    """A grid of products with their pictures and prices: recommendations, the cart's or the order's lines."""

    type: Literal["products"]
    source: ProductSource = "recommendations"
    title: SingleLine = ""
    columns: Annotated[int, Field(ge=1, le=3)] = 2
    limit: Annotated[int, Field(ge=1, le=6)] = 4
    show_price: bool = True
    button_label: SingleLine = ""


class Coupon(Block):
    type: Literal["coupon"]
    title: SingleLine = ""


class OrderSummary(Block):
    type: Literal["order_summary"]
    title: SingleLine = ""
    show_images: bool = True


class Shipment(Block):
    type: Literal["shipment"]
    show_progress: bool = True
    button_label: SingleLine = ""


class Nps(Block):
    type: Literal["nps"]
    question: SingleLine = ""
    low_label: SingleLine = ""
    high_label: SingleLine = ""


class CartReason(Block):
    """One question, six answers (price, shipping cost, delivery time, payment, just looking, something else):
    each a link to a page where the buyer confirms it. The flow's next email follows the answer."""

    type: Literal["cart_reason"]
    question: SingleLine = ""


class Review(Block):
    type: Literal["review"]
    text: SingleLine = ""
    button_label: SingleLine = ""


class Reviews(Block):
    """The store's best published product reviews (apps.reviews), highest rated and newest first."""

    type: Literal["reviews"]
    title: SingleLine = ""
    limit: Annotated[int, Field(ge=1, le=6)] = 3


class Social(Block):
    type: Literal["social"]
    title: SingleLine = ""


class Divider(Block):
    type: Literal["divider"]


class Spacer(Block):
    type: Literal["spacer"]
    height: Annotated[int, Field(ge=4, le=96)] = 24


class Footer(Block):
    """The store's name and address, the support address, preferences and unsubscribe. Marketing mail
    always ends with one (the compiler adds it when a merchant deleted it): the law asks for it."""

    type: Literal["footer"]
    show_address: bool = True


AnyBlock = Annotated[
    Header
    | Heading
    | Text
    | Button
    | Image
    | Products
    | Coupon
    | OrderSummary
    | Shipment
    | Nps
    | CartReason
    | Review
    | Reviews
    | Social
    | Divider
    | Spacer
    | Footer,
    Field(discriminator="type"),
]
DESIGN = TypeAdapter(list[AnyBlock])

# What the editor offers, in its order, with the names merchants read.
BLOCK_LABELS = {
    "header": _("Logo"),
    "heading": _("Heading"),
    "text": _("Text"),
    "button": _("Button"),
    "image": _("Image"),
    "products": _("Products"),
    "coupon": _("Coupon"),
    "order_summary": _("Order summary"),
    "shipment": _("Shipment status"),
    "nps": _("NPS question (0–10)"),
    "cart_reason": _("Why did you leave? (cart)"),
    "review": _("Review request"),
    "reviews": _("Best reviews"),
    "social": _("Social links"),
    "divider": _("Divider"),
    "spacer": _("Spacer"),
    "footer": _("Footer"),
}


class DesignInvalid(ValueError):
    """What is wrong with a design, per block: [(block index or None, field or "", message)]."""

    def __init__(self, problems: list[tuple[int | None, str, str]]):
        self.problems = problems
        super().__init__("; ".join(message for _, _, message in problems))


def _problem_from(error: dict) -> tuple[int | None, str, str]:
    location = list(error.get("loc", ()))
    # (index, the block's type as the union's tag, field …): drop the tag only, as "text" is both a block's type
    # and a field (of heading and review).
    if len(location) > 1 and isinstance(location[0], int) and location[1] in BLOCK_LABELS:
        del location[1]
    index = location[0] if location and isinstance(location[0], int) else None
    field = next((str(part) for part in location[1:] if isinstance(part, str)), "")
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if error.get("type") == "union_tag_invalid":
        message = "This kind of block does not exist."
    elif error.get("type") == "extra_forbidden":
        message = "This setting does not exist for the block."
    return index, field, message


def validate_design(raw) -> list[dict]:
    """The design as plain dicts with every setting checked and defaulted. Raises DesignInvalid."""
    if not isinstance(raw, list):
        raise DesignInvalid([(None, "", "A design is a list of blocks.")])
    if len(raw) > MAX_BLOCKS:
        raise DesignInvalid([(None, "", f"An email holds at most {MAX_BLOCKS} blocks.")])
    try:
        blocks = DESIGN.validate_python(raw)
    except ValidationError as exc:
        raise DesignInvalid([_problem_from(error) for error in exc.errors()]) from None
    return [block.model_dump(mode="json") for block in blocks]


def validate_designs(raw, languages) -> dict[str, list[dict]]:
    """A step's designs, one per language code in `languages`. Raises DesignInvalid naming the language."""
    if not isinstance(raw, dict):
        raise DesignInvalid([(None, "", "A step's design is a list of blocks per language.")])
    designs = {}
    for language, blocks in raw.items():
        if language not in languages:
            raise DesignInvalid([(None, "", f"{language!r} is not a language of this store.")])
        if blocks in (None, []):
            continue  # that language falls back to the store's default
        try:
            designs[language] = validate_design(blocks)
        except DesignInvalid as exc:
            raise DesignInvalid([(i, f, f"{language}: {m}") for i, f, m in exc.problems]) from None
    return designs


def block_defaults(kind: str) -> dict:
    """A new block of this kind as the editor adds it."""
    model = next(m for m in DESIGN_MODELS if m.model_fields["type"].annotation.__args__[0] == kind)
    return model(type=kind).model_dump(mode="json")


DESIGN_MODELS = (
    Header,
    Heading,
    Text,
    Button,
    Image,
    Products,
    Coupon,
    OrderSummary,
    Shipment,
    Nps,
    CartReason,
    Review,
    Reviews,
    Social,
    Divider,
    Spacer,
    Footer,
)


# What each block asks of the message's context (the names campaigns.context and dispatch know).
NEEDS = {
    "nps": "nps",
    "cart_reason": "cart_reason",
    "coupon": "coupon",
    "shipment": "shipment",
    "order_summary": "order_lines",
    "reviews": "reviews",
}
PRODUCT_NEEDS = {"recommendations": "recommendations", "cart": "cart_lines", "order": "order_lines"}


def needs_of(design: list[dict]) -> tuple[str, ...]:
    """The context a design needs filled: e.g. ("nps", "recommendations") for NPS links and products to suggest."""
    needs = []
    for block in design:
        need = PRODUCT_NEEDS.get(block.get("source")) if block["type"] == "products" else NEEDS.get(block["type"])
        if need and need not in needs:
            needs.append(need)
    return tuple(needs)
