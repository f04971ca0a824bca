"""Every default email as blocks: one layout per default step, the same in every language, whose words come
from the language's copy module (copy/<language>.py: `DESIGNS[(kind, key)]` for the heading, text and button,
`LABELS` for the layout's words).

In a layout, a setting written "@name" is the step's own word (`DESIGNS[(kind, key)][name]`) and "#name" a
word of the layout (`LABELS[name]`). Each email has one call to action: a primary button, the shipment
block's tracking button, the NPS scale or the review button; product grids carry only outlined buttons.
Social links and the footer close every email.
"""

from ..copy import LANGUAGES, copy_for
from .blocks import validate_design

HEADER = {"type": "header"}
HEADING = {"type": "heading", "text": "@heading"}
TEXT = {"type": "text", "html": "@text"}
SHIPMENT = {"type": "shipment"}
ORDER_SUMMARY = {"type": "order_summary"}
COUPON = {"type": "coupon"}
NPS = {"type": "nps"}
CART_REASON = {"type": "cart_reason"}
CLOSING = ({"type": "social"}, {"type": "footer"})

TRACK = {"type": "button", "link": "tracking", "label": "#track"}
TO_CART = {"type": "button", "link": "cart", "label": "#back_to_cart"}
CART = {"type": "products", "source": "cart", "columns": 2, "limit": 4}
TO_STORE = {"type": "button", "link": "store", "label": "#shop"}
TO_STORE_OWN_WORDS = {"type": "button", "link": "store", "label": "@button"}
RECOMMENDED = {
    "type": "products",
    "source": "recommendations",
    "title": "#recommended",
    "columns": 2,
    "limit": 4,
    "button_label": "#view",
}

SHIPMENT_UPDATE = (HEADER, HEADING, TEXT, SHIPMENT, *CLOSING)
WIN_BACK_OFFER = (HEADER, HEADING, TEXT, COUPON, TO_STORE, *CLOSING)
WIN_BACK_NEWS = (HEADER, HEADING, TEXT, TO_STORE_OWN_WORDS, *CLOSING)

LAYOUTS: dict[tuple[str, str], tuple[dict, ...]] = {
    ("order_confirmation", "confirmation"): (
        HEADER,
        HEADING,
        TEXT,
        {**ORDER_SUMMARY, "show_images": True},
        TRACK,
        RECOMMENDED,
        *CLOSING,
    ),
    ("shipment_confirmation", "shipped"): (
        HEADER,
        HEADING,
        TEXT,
        SHIPMENT,  # its own tracking button is the call to action
        {**ORDER_SUMMARY, "show_images": False},
        *CLOSING,
    ),
    ("shipment_update", "out-for-delivery"): SHIPMENT_UPDATE,
    ("shipment_update", "delivered"): SHIPMENT_UPDATE,
    ("shipment_update", "attempt-failed"): SHIPMENT_UPDATE,
    ("shipment_update", "available-for-pickup"): SHIPMENT_UPDATE,
    ("shipment_update", "exception"): SHIPMENT_UPDATE,
    ("delivered_followup", "how-is-it"): (
        HEADER,
        HEADING,
        TEXT,
        {"type": "review", "button_label": "#review"},
        RECOMMENDED,
        *CLOSING,
    ),
    ("nps_survey", "survey"): (HEADER, HEADING, TEXT, NPS, *CLOSING),
    ("nps_survey", "reminder"): (HEADER, HEADING, TEXT, NPS, *CLOSING),
    # The first two ask why the buyer left (one tap); the 72 h offer follows the answer (flows/abandoned_cart.py).
    ("abandoned_cart", "reminder-1h"): (HEADER, HEADING, TEXT, CART, TO_CART, CART_REASON, *CLOSING),
    ("abandoned_cart", "help-24h"): (HEADER, HEADING, TEXT, CART, TO_CART, CART_REASON, *CLOSING),
    ("abandoned_cart", "coupon-72h"): (HEADER, HEADING, TEXT, COUPON, CART, TO_CART, *CLOSING),
    ("replenishment", "running-low"): (
        HEADER,
        HEADING,
        TEXT,
        {"type": "products", "source": "product", "columns": 1, "limit": 1},
        {"type": "button", "link": "product", "label": "@button"},
        *CLOSING,
    ),
    ("win_back", "offer"): WIN_BACK_OFFER,
    ("win_back", "offer-vip"): WIN_BACK_OFFER,
    ("win_back", "offer-one-time"): WIN_BACK_OFFER,
    ("win_back", "values"): WIN_BACK_NEWS,
    ("win_back", "farewell"): WIN_BACK_NEWS,
    ("delivery_apology", "apology"): (HEADER, HEADING, TEXT, SHIPMENT, COUPON, *CLOSING),
}


def _words(value, words: dict, labels: dict):
    if isinstance(value, str) and value[:1] == "@":
        return words[value[1:]]
    if isinstance(value, str) and value[:1] == "#":
        return labels[value[1:]]
    return value


def default_design(kind: str, key: str, language: str) -> list[dict]:
    """The default step's blocks in the language, validated (design.blocks), each with a stable id."""
    copy = copy_for(language)
    words = copy.DESIGNS[(kind, key)]
    blocks = [
        {"id": f"b{position}", **{name: _words(value, words, copy.LABELS) for name, value in block.items()}}
        for position, block in enumerate(LAYOUTS[(kind, key)], start=1)
    ]
    return validate_design(blocks)


def default_designs(kind: str, key: str) -> dict[str, list[dict]]:
    """The default step's design in every language, as FlowStep.design stores it."""
    return {language: default_design(kind, key, language) for language in LANGUAGES}
