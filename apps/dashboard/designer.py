"""What the email designer (static/js/email-designer.js) is given: each block's settings as form fields with
translated labels (generated from the block's pydantic model), the variables of the flow, the design to start
from, and the words the script shows. Reads only; saving is campaigns.services.steps.step_update's."""

import importlib
import inspect
import logging
import re
import typing
from typing import Literal

from annotated_types import Ge, Le, MaxLen
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from apps.campaigns.copy import copy_for
from apps.campaigns.design.blocks import BLOCK_LABELS, DESIGN_MODELS, block_defaults, validate_design
from apps.campaigns.design.variables import check_tokens, variables_for
from apps.campaigns.models import FlowKind

logger = logging.getLogger(__name__)

# Each setting's name as a merchant reads it (the same name means the same in every block).
FIELD_LABELS = {
    "show_logo": gettext_lazy("Show the logo"),
    "align": gettext_lazy("Alignment"),
    "text": gettext_lazy("Text"),
    "level": gettext_lazy("Size"),
    "html": gettext_lazy("Text"),
    "label": gettext_lazy("Button text"),
    "link": gettext_lazy("Button leads to"),
    "url": gettext_lazy("Web address"),
    "src": gettext_lazy("Image address"),
    "alt": gettext_lazy("Description of the image (for screen readers)"),
    "href": gettext_lazy("Link of the image (optional)"),
    "width": gettext_lazy("Width (pixels)"),
    "source": gettext_lazy("Products to show"),
    "title": gettext_lazy("Title"),
    "columns": gettext_lazy("Columns"),
    "limit": gettext_lazy("How many products"),
    "show_price": gettext_lazy("Show prices"),
    "button_label": gettext_lazy("Button text"),
    "show_images": gettext_lazy("Show product pictures"),
    "show_progress": gettext_lazy("Show the delivery progress"),
    "question": gettext_lazy("Question"),
    "low_label": gettext_lazy("Words under 0"),
    "high_label": gettext_lazy("Words under 10"),
    "height": gettext_lazy("Height (pixels)"),
    "show_address": gettext_lazy("Show the store's postal address"),
}
CHOICE_LABELS = {
    "align": {
        "left": pgettext_lazy("alignment", "Left"),
        "center": pgettext_lazy("alignment", "Centre"),
        "right": pgettext_lazy("alignment", "Right"),
    },
    "level": {1: gettext_lazy("Large"), 2: gettext_lazy("Medium")},
    "link": {
        "tracking": gettext_lazy("The order's tracking page"),
        "cart": gettext_lazy("The buyer's cart"),
        "store": gettext_lazy("Your store's website"),
        "review": gettext_lazy("Your review page"),
        "product": gettext_lazy("The product's page"),
        "custom": gettext_lazy("Another web address"),
    },
    "source": {
        "recommendations": gettext_lazy("Recommended for the buyer"),
        "cart": gettext_lazy("The products in the cart"),
        "order": gettext_lazy("The products of the order"),
        "product": gettext_lazy("The product to buy again"),
    },
}
URL_FIELDS = {"url", "src", "href"}
# Settings that may hold variables (offered from the list beside the field).
VARIABLE_FIELDS = {"text", "html", "label", "title", "button_label", "question", "low_label", "high_label", "alt"}


def _field(name: str, info) -> dict:
    annotation = info.annotation
    field = {"name": name, "label": str(FIELD_LABELS.get(name, name.replace("_", " ").capitalize()))}
    metadata = list(info.metadata)
    if typing.get_origin(annotation) is typing.Annotated:  # a type alias such as SingleLine
        annotation, *extra = typing.get_args(annotation)
        metadata += [m for item in extra for m in getattr(item, "metadata", [item])]
    if annotation is bool:
        field["kind"] = "checkbox"
    elif typing.get_origin(annotation) is Literal:
        labels = CHOICE_LABELS.get(name, {})
        field["kind"] = "select"
        field["choices"] = [[value, str(labels.get(value, value))] for value in typing.get_args(annotation)]
    elif annotation is int:
        field["kind"] = "number"
        for item in metadata:
            if isinstance(item, Ge):
                field["min"] = item.ge
            elif isinstance(item, Le):
                field["max"] = item.le
    else:
        field["kind"] = "rich" if name == "html" else "url" if name in URL_FIELDS else "text"
        for item in metadata:
            if isinstance(item, MaxLen):
                field["maxlength"] = item.max_length
        field["variables"] = name in VARIABLE_FIELDS
    return field


def block_types() -> list[dict]:
    """Each kind of block in the palette's order: its type, label, a new one's settings and its fields."""
    models = {model.model_fields["type"].annotation.__args__[0]: model for model in DESIGN_MODELS}
    kinds = []
    for kind, label in BLOCK_LABELS.items():
        model = models[kind]
        fields = [_field(name, info) for name, info in model.model_fields.items() if name not in ("id", "type")]
        kinds.append({"type": kind, "label": str(label), "defaults": block_defaults(kind), "fields": fields})
    return kinds


# A button's natural target per flow, for the simple starter design.
STARTER_LINKS = {
    FlowKind.ABANDONED_CART: ("cart", "back_to_cart"),
    FlowKind.SHIPMENT_CONFIRMATION: ("tracking", "track"),
    FlowKind.SHIPMENT_UPDATE: ("tracking", "track"),
    FlowKind.DELIVERY_APOLOGY: ("tracking", "track"),
    FlowKind.ORDER_CONFIRMATION: ("tracking", "track"),
    FlowKind.REPLENISHMENT: ("product", ""),
}


def _from_defaults(step, language: str) -> list[dict] | None:
    """The default design of `apps.campaigns.design.defaults`, when that module offers one for the step."""
    try:
        module = importlib.import_module("apps.campaigns.design.defaults")
    except ImportError:
        return None
    for name in ("default_design", "design_for", "default_design_for", "step_design"):
        function = getattr(module, name, None)
        if not callable(function):
            continue
        parameters = inspect.signature(function).parameters
        attempts = []
        if "step" in parameters:
            attempts.append({"step": step, "language": language})
        if "kind" in parameters or "flow_kind" in parameters:
            kind_name = "kind" if "kind" in parameters else "flow_kind"
            attempts.append({kind_name: step.flow.kind, "key": step.key, "language": language})
        attempts.append(None)
        for kwargs in attempts:
            try:
                design = function(**kwargs) if kwargs else function(step.flow.kind, step.key, language)
                if isinstance(design, dict):
                    design = design.get(language) or design.get("en")
                return validate_design(design) if design else None
            except Exception:  # another signature, or no design for this step: the starter
                continue
    return None


def starter_design(step, language: str) -> list[dict]:
    """What "start from the default design" gives: the default design when there is one, else a simple
    layout (logo, heading, text, button, footer) using the step's subject."""
    design = _from_defaults(step, language)
    if design:
        return design

    subject = (step.subject or {}).get(language) or ""
    try:
        check_tokens(subject)
        if "{%" in subject or "\n" in subject:
            raise ValueError
    except ValueError:
        subject = ""
    link, label_key = STARTER_LINKS.get(step.flow.kind, ("store", ""))
    label = copy_for(language).LABELS.get(label_key, "") if label_key else ""
    blocks = [
        {**block_defaults("header")},
        {**block_defaults("heading"), "text": subject[:300]},
        {**block_defaults("text"), "html": "<p></p>"},
        {**block_defaults("button"), "link": link, "label": label or "{{ store.name }}"},
        {**block_defaults("footer")},
    ]
    return validate_design([{**block, "id": f"s{index}"} for index, block in enumerate(blocks)])


def variables(flow_kind: str) -> list[dict]:
    return [{"name": v.name, "label": str(v.label)} for v in variables_for(flow_kind)]


def strings() -> dict[str, str]:
    """The words the script shows, translated here (nothing English is written in the script)."""
    return {
        "edit": _("Edit"),
        "close": _("Close"),
        "delete": _("Delete"),
        "move_up": _("Move %(block)s up"),
        "move_down": _("Move %(block)s down"),
        "edit_block": _("Edit %(block)s"),
        "delete_block": _("Delete %(block)s"),
        "drag": _("Drag to reorder"),
        "block_n": _("%(block)s (block %(number)s)"),
        "added": _("%(block)s added."),
        "deleted": _("%(block)s deleted."),
        "moved": _("%(block)s moved to position %(number)s."),
        "undone": _("Last change undone."),
        "nothing_to_undo": _("Nothing to undo."),
        "copied": _("Blocks copied from %(language)s."),
        "started": _("Design started."),
        "insert_variable": _("Insert a variable"),
        "variable": _("Variable"),
        "bold": _("Bold"),
        "italic": _("Italic"),
        "link": _("Link"),
        "bullets": _("Bulleted list"),
        "link_prompt": _("Web address of the link (https://…)"),
        "text_toolbar": _("Text formatting"),
        "empty_text": _("empty"),
        "rendering": _("Updating the preview…"),
        "updated": _("Preview updated."),
        "preview_failed": _("The preview could not be rendered: %(problem)s"),
        "fix_blocks": _("Some blocks need a change before the preview can show them."),
        "whole_design": _("The design"),
    }


# The design's problems (design.blocks, pydantic) as the merchant reads them, in the dashboard's language.
PROBLEMS = [
    (
        r"Give a full web address starting with https:// \(or http://\)\.",
        lambda m: _("Give a full web address starting with https:// (or http://)."),
    ),
    (
        r"A button to an address of your own needs that address\.",
        lambda m: _("A button to another web address needs that address."),
    ),
    (r"Write it on one line\.", lambda m: _("Write it on one line.")),
    (
        r"(.*) is not a variable: pick one from the list of variables\.",
        lambda m: _("%(text)s is not a variable: pick one from the list of variables.") % {"text": m.group(1)},
    ),
    (
        r"What to show instead of a variable is at most (\d+) characters\.",
        lambda m: _("What to show instead of a variable is at most %(count)s characters.") % {"count": m.group(1)},
    ),
    (r"This kind of block does not exist\.", lambda m: _("This kind of block does not exist.")),
    (r"This setting does not exist for the block\.", lambda m: _("This setting does not exist for this block.")),
    (
        r"An email holds at most (\d+) blocks\.",
        lambda m: _("An email holds at most %(count)s blocks.") % {"count": m.group(1)},
    ),
    (
        r"The text holds a character that cannot be sent\.",
        lambda m: _("The text holds a character that cannot be sent."),
    ),
    (
        r"String should have at most (\d+) characters?",
        lambda m: _("At most %(count)s characters.") % {"count": m.group(1)},
    ),
    (r"Input should be greater than or equal to (\d+)", lambda m: _("At least %(value)s.") % {"value": m.group(1)}),
    (r"Input should be less than or equal to (\d+)", lambda m: _("At most %(value)s.") % {"value": m.group(1)}),
    (r"Input should be a valid (integer|number).*", lambda m: _("Give a whole number.")),
    (r"Input should be .*", lambda m: _("Choose one of the options.")),
    (r"Field required", lambda m: _("This setting is missing.")),
]


def problem_words(message: str) -> str:
    """A problem of a block, translated when it is one we know (else as the validator wrote it)."""
    for pattern, words in PROBLEMS:
        match = re.fullmatch(pattern, message.strip())
        if match:
            return words(match)
    return message
