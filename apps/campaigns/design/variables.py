"""The variables a merchant can put in an email's words, offered from a list in the editor.

In a block's text a variable is written `{{ order.number }}`, optionally with what to show when the
recipient has no value: `{{ customer.first_name|default:"there" }}`. Nothing else in double braces is
accepted (no tags, no filters, no other names), and single braces are just braces: the compiler turns
every other brace into text, so a merchant's `{%`, CSS rule or emoji never becomes template code.
"""

import html
import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..models import FlowKind

MAX_FALLBACK = 60


@dataclass(frozen=True)
class Variable:
    name: str
    label: str | Promise
    group: str


VARIABLES = (
    Variable("customer.first_name", _("First name"), "customer"),
    Variable("customer.last_name", _("Last name"), "customer"),
    Variable("store.name", _("Store name"), "store"),
    Variable("order.number", _("Order number"), "order"),
    Variable("order.total", _("Order total"), "order"),
    Variable("order.placed_at", _("Order date"), "order"),
    Variable("shipment.carrier", _("Carrier"), "shipment"),
    Variable("shipment.tracking_number", _("Tracking number"), "shipment"),
    Variable("shipment.estimated_delivery", _("Expected delivery"), "shipment"),
    Variable("shipment.status_label", _("Shipment status"), "shipment"),
    Variable("cart.subtotal", _("Cart total"), "cart"),
    Variable("product.name", _("Product name"), "product"),
    Variable("product.price", _("Product price"), "product"),
    Variable("coupon.code", _("Coupon code"), "coupon"),
    Variable("coupon.description", _("Coupon offer"), "coupon"),
    Variable("coupon.expires", _("Coupon valid until"), "coupon"),
)
BY_NAME = {variable.name: variable for variable in VARIABLES}

_SHIPPING = ("customer", "store", "order", "shipment", "coupon")
# What each flow's emails are about, so the editor offers only variables that will have a value.
GROUPS_BY_KIND = {
    FlowKind.ORDER_CONFIRMATION: ("customer", "store", "order", "coupon"),
    FlowKind.SHIPMENT_CONFIRMATION: _SHIPPING,
    FlowKind.SHIPMENT_UPDATE: _SHIPPING,
    FlowKind.DELIVERY_APOLOGY: _SHIPPING,
    FlowKind.DELIVERED_FOLLOWUP: ("customer", "store", "order", "coupon"),
    FlowKind.NPS_SURVEY: ("customer", "store", "order", "coupon"),
    FlowKind.ABANDONED_CART: ("customer", "store", "cart", "coupon"),
    FlowKind.REPLENISHMENT: ("customer", "store", "product", "coupon"),
    FlowKind.WIN_BACK: ("customer", "store", "coupon"),
}


def variables_for(kind: str) -> list[Variable]:
    groups = GROUPS_BY_KIND.get(kind, ("customer", "store"))
    return [variable for variable in VARIABLES if variable.group in groups]


# A variable as written: name, then an optional fallback in double quotes without braces or quotes.
TOKEN = re.compile(r'\{\{\s*([a-z_]+\.[a-z_]+)\s*(?:\|\s*default\s*:\s*"([^"{}%\\\r\n]*)"\s*)?\}\}')
# Anything a merchant may have meant as a variable: double braces around something.
TOKEN_LIKE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


@dataclass(frozen=True)
class Token:
    name: str
    fallback: str = ""


def check_tokens(text: str) -> None:
    """Raises ValueError naming the first `{{ … }}` that is not a known variable."""
    for match in TOKEN_LIKE.finditer(text):
        token = TOKEN.fullmatch(match.group(0))
        if token is None or token.group(1) not in BY_NAME:
            raise ValueError(f"{match.group(0)[:60]} is not a variable: pick one from the list of variables.")
        if len(token.group(2) or "") > MAX_FALLBACK:
            raise ValueError(f"What to show instead of a variable is at most {MAX_FALLBACK} characters.")


def split_tokens(text: str) -> list[str | Token]:
    """The text as pieces: plain strings and the variables in it (only known ones; check_tokens first)."""
    pieces: list[str | Token] = []
    position = 0
    for match in TOKEN.finditer(text):
        if match.group(1) not in BY_NAME:
            continue
        pieces.append(text[position : match.start()])
        pieces.append(Token(match.group(1), match.group(2) or ""))
        position = match.end()
    pieces.append(text[position:])
    return [piece for piece in pieces if piece != ""]


def template_for(token: Token) -> str:
    """The Django variable the compiled email fills per recipient. The fallback is a string literal, which
    Django outputs as it is, so it is escaped here (and can hold no quote or brace: TOKEN)."""
    if token.fallback:
        return f'{{{{ {token.name}|default:"{html.escape(token.fallback, quote=False)}" }}}}'
    return f"{{{{ {token.name} }}}}"


def sample_values(context: dict, text: str) -> str:
    """The text with each variable replaced by its value in `context` (for titles and previews)."""
    out = []
    for piece in split_tokens(text):
        if isinstance(piece, Token):
            group, field = piece.name.split(".", 1)
            value = (context.get(group) or {}).get(field) if isinstance(context.get(group), dict) else None
            out.append(str(value) if value else piece.fallback)
        else:
            out.append(piece)
    return "".join(out)
