"""Merchant edits of a flow's steps: timing, send window, conditions, offer and copy (or the block design), drafts,
the order of steps, and the NPS flow's re-survey step. Every template is checked by the restricted engine before
anything is written; a bad one raises StepInvalid and leaves the step as it was."""

import copy
from dataclasses import dataclass, field
from decimal import Decimal

import nh3
from django.db import transaction
from django.utils.translation import gettext as _

from ..copy import LANGUAGES
from ..design.blocks import DesignInvalid, validate_designs
from ..design.compiler import RICH_TAGS
from ..flows.abandoned_cart import ON_REASON, ReasonAction
from ..models import CouponPool, Flow, FlowKind, FlowStep, IncentiveKind, StepEditor
from ..rendering import TemplateError, validate_merchant_template

MAX_DELAY_MINUTES = 365 * 24 * 60


MAX_SEND_WINDOW_MINUTES = 365 * 24 * 60


KEEP = object()  # step_update: leave the send window (or the coupon pool) as it is


@dataclass
class StepInvalid(ValueError):
    """What is wrong, by field name (`subject:it`, `body:en`, `incentive_value`…)."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {problem}" for name, problem in self.errors.items())


def check_templates(errors: dict, part: str, content: dict[str, str]) -> None:
    for language, source in content.items():
        try:
            validate_merchant_template(source)
        except TemplateError as exc:
            errors[f"{part}:{language}"] = str(exc)


def _merged(current: dict, edits: dict[str, str] | None) -> dict:
    """The step's content with the edited languages replaced; an emptied language is removed (falls back)."""
    merged = dict(current or {})
    for language, source in (edits or {}).items():
        if source and source.strip():
            merged[language] = source
        else:
            merged.pop(language, None)
    return merged


def design_error_key(language: str, index: int | None, field: str) -> str:
    """StepInvalid's key for a problem in a block: `design:it:3:url` (`design:it` for the whole design)."""
    if index is None:
        return f"design:{language}"
    return f"design:{language}:{index}:{field}" if field else f"design:{language}:{index}"


def _clean_rich_text(blocks: list[dict]) -> list[dict]:
    """Text blocks' HTML as the compiler keeps it (nh3): what is stored is what is sent."""
    for block in blocks:
        if block.get("type") == "text" and block.get("html"):
            block["html"] = nh3.clean(
                block["html"],
                tags=RICH_TAGS,
                attributes={"a": {"href"}},
                url_schemes={"http", "https", "mailto"},
                link_rel=None,
            )
    return blocks


def check_design(design, languages) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """The design validated (design.blocks.validate_designs), per language, and the problems by key
    (design_error_key). Every language is checked, so the merchant sees all that is wrong at once."""
    errors: dict[str, str] = {}
    if not isinstance(design, dict):
        return {}, {"design": _("The design could not be read: reload the page and try again.")}
    clean: dict[str, list[dict]] = {}
    for language, blocks in design.items():
        try:
            checked = validate_designs({language: blocks}, languages)
        except DesignInvalid as exc:
            for index, field_name, message in exc.problems:
                key = design_error_key(language, index, field_name)
                message = message.removeprefix(f"{language}: ")
                errors[key] = f"{errors[key]} {message}" if key in errors else message
            continue
        if language in checked:
            clean[language] = _clean_rich_text(checked[language])
    if not errors:
        try:  # the sanitised text must still hold only variables (nh3 may have moved braces around)
            validate_designs(clean, languages)
        except DesignInvalid as exc:
            errors["design"] = str(exc)
    return clean, errors


def _checked_on_reason(step: FlowStep, on_reason, errors: dict) -> dict:
    """The answers that change this step, with what they do; "as planned" is left out."""
    from apps.orders.models import CartLeaveReason

    if not on_reason:
        return {}
    if step.flow.kind != FlowKind.ABANDONED_CART:
        errors["on_reason"] = _("Only abandoned-cart emails can follow why the buyer left.")
        return {}
    if not isinstance(on_reason, dict) or any(
        reason not in CartLeaveReason.values or action not in ReasonAction.VALUES
        for reason, action in on_reason.items()
    ):
        errors["on_reason"] = _("Choose what the email does for each answer.")
        return {}
    return {reason: action for reason, action in on_reason.items() if action != ReasonAction.AS_PLANNED}


@transaction.atomic
def step_update(
    *,
    step: FlowStep,
    delay_minutes: int,
    enabled: bool,
    exit_on_order: bool,
    incentive_kind: str = "",
    incentive_value: Decimal | int = 0,
    incentive_valid_days: int = 7,
    incentive_monthly_budget: int = 0,
    subject: dict[str, str] | None = None,
    preheader: dict[str, str] | None = None,
    body: dict[str, str] | None = None,
    send_window_minutes=KEEP,
    incentive_pool_id=KEEP,
    editor: str | None = None,
    design: dict | None = None,
    on_reason=KEEP,
) -> FlowStep:
    """Change one step. Raises StepInvalid (nothing saved) for a bad template or value.

    `on_reason` (abandoned-cart steps): {the buyer's answer to "why did you leave?": what this step does
    then} (flows.abandoned_cart.ReasonAction); answers left out go as planned. Leaving it out keeps the step's.

    `editor`: "blocks" or "html" (None keeps the step's). `design`: the blocks per language, the whole of
    it (None keeps the step's); a language without blocks uses the store's default language's. Each block
    is validated (design.blocks); a problem is keyed `design:<language>:<block index>:<setting>`.

    `send_window_minutes`: how long after its moment the email is still worth sending; None is the flow
    kind's default, and leaving it out keeps the step's current window.

    `incentive_pool_id`: where the step's codes come from. None: Afterglow makes a code for each buyer
    (created in the connected shop); a pool's id: codes the merchant uploaded to that pool of the step's
    store, which then needs a kind of incentive (what the codes give). Leaving it out keeps the step's
    current source."""
    errors: dict[str, str] = {}
    if (step.conditions or {}).get("manual"):
        delay_minutes = step.delay_minutes  # sent by hand (the critics queue's re-survey): no delay to edit
    elif not 0 <= delay_minutes <= MAX_DELAY_MINUTES:
        errors["delay_minutes"] = _("The delay must be between 0 and 365 days.")
    if send_window_minutes not in (KEEP, None) and not 1 <= send_window_minutes <= MAX_SEND_WINDOW_MINUTES:
        errors["send_window_minutes"] = _("The send window must be between 1 minute and 365 days (empty: the default).")
    if incentive_kind not in IncentiveKind.values:
        errors["incentive_kind"] = _("Unknown kind of incentive.")
    value = Decimal(incentive_value or 0)
    if value < 0 or (incentive_kind == IncentiveKind.PERCENT and value > 100):
        errors["incentive_value"] = _("A percentage is between 0 and 100; an amount is not negative.")
    if incentive_kind in (IncentiveKind.PERCENT, IncentiveKind.FIXED) and value == 0:
        errors["incentive_value"] = _("Give the discount a value, or choose no incentive.")
    if not 1 <= incentive_valid_days <= 365:
        errors["incentive_valid_days"] = _("Coupons are valid for 1 to 365 days.")
    if on_reason is not KEEP:
        on_reason = _checked_on_reason(step, on_reason, errors)
    if incentive_monthly_budget < 0:
        errors["incentive_monthly_budget"] = _("The budget cannot be negative (0 is no limit).")
    if incentive_pool_id not in (KEEP, None):
        if (
            isinstance(incentive_pool_id, bool)
            or not isinstance(incentive_pool_id, int)
            or not CouponPool.objects.filter(pk=incentive_pool_id, store_id=step.store_id).exists()
        ):
            errors["incentive_pool"] = _("Choose one of your store's coupon pools, or codes Afterglow makes.")
        elif not incentive_kind:  # the pool's codes are handed out as the step's kind and value
            errors.setdefault("incentive_kind", _("Choose the kind of incentive the pool's codes give."))
    check_templates(errors, "subject", subject or {})
    check_templates(errors, "preheader", preheader or {})
    check_templates(errors, "body", body or {})
    if editor is not None and editor not in StepEditor.values:
        errors["editor"] = _("Choose blocks or HTML.")
    new_design = step.design or {}
    if design is not None:
        new_design, design_errors = check_design(design, tuple(LANGUAGES))
        errors.update(design_errors)
    new_editor = editor if editor in StepEditor.values else step.editor

    new_subject, new_preheader, new_body = (
        _merged(step.subject, subject),
        _merged(step.preheader, preheader),
        _merged(step.body, body),
    )
    default = step.store.default_language
    has_blocks = new_editor == StepEditor.BLOCKS and bool(new_design.get(default) or new_design.get("en"))
    for part, content in (("subject", new_subject), ("body", new_body)):
        if part == "body" and has_blocks:
            continue  # the blocks are the email; the HTML is only the advanced mode's
        if not (content.get(default) or content.get("en")) and f"{part}:{default}" not in errors:
            errors[f"{part}:{default}"] = _(
                "The store's default language needs this (other languages fall back to it)."
            )
    if errors:
        raise StepInvalid(errors)

    step = FlowStep.objects.select_for_update().get(pk=step.pk)
    conditions = dict(step.conditions or {})
    conditions["exit_on_order"] = bool(exit_on_order)
    # A parcel in trouble now holds every marketing email to its buyer (rules.decide): no per-step switch.
    conditions.pop("skip_while_shipment_troubled", None)
    if on_reason is not KEEP:
        conditions.pop(ON_REASON, None)
        if on_reason:
            conditions[ON_REASON] = on_reason
    step.delay_minutes = delay_minutes
    if send_window_minutes is not KEEP:
        step.send_window_minutes = send_window_minutes
    step.enabled = enabled
    step.conditions = conditions
    step.incentive_kind = incentive_kind
    step.incentive_value = value if incentive_kind in (IncentiveKind.PERCENT, IncentiveKind.FIXED) else 0
    step.incentive_valid_days = incentive_valid_days
    step.incentive_monthly_budget = incentive_monthly_budget
    if incentive_pool_id is not KEEP:
        step.incentive_pool_id = incentive_pool_id
    step.subject, step.preheader, step.body = new_subject, new_preheader, new_body
    step.editor, step.design = new_editor, new_design
    step.save()
    return step


def step_draft(*, step: FlowStep, subject=None, preheader=None, body=None, editor=None, design=None) -> FlowStep:
    """An unsaved copy of the step carrying edits, for previews and test sends. Writes nothing.
    `design` must be validated already (check_design); None keeps the step's, as does `editor`."""
    draft = copy.copy(step)
    draft.subject = _merged(step.subject, subject)
    draft.preheader = _merged(step.preheader, preheader)
    draft.body = _merged(step.body, body)
    if editor in StepEditor.values:
        draft.editor = editor
    if design is not None:
        draft.design = design
    return draft


@transaction.atomic
def steps_reorder(*, flow: Flow, step_ids: list[int]) -> list[FlowStep]:
    """Put the flow's steps in the given order. The list must name each step of the flow exactly once."""
    steps = {step.pk: step for step in FlowStep.objects.select_for_update().filter(flow=flow)}
    if sorted(step_ids) != sorted(steps) or len(set(step_ids)) != len(step_ids):
        raise StepInvalid({"order": _("The new order must list each step of this flow once.")})
    ordered = [steps[pk] for pk in step_ids]
    for position, step in enumerate(ordered):
        step.position = position
    FlowStep.objects.bulk_update(ordered, ["position"])
    return ordered


def step_move(*, step: FlowStep, offset: int) -> list[FlowStep]:
    """Move a step up (-1) or down (+1) among its flow's steps: the keyboard fallback for drag and drop."""
    ids = list(FlowStep.objects.filter(flow_id=step.flow_id).order_by("position", "id").values_list("pk", flat=True))
    index = ids.index(step.pk)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    return steps_reorder(flow=step.flow, step_ids=ids)


RESURVEY_DELAY_MINUTES = 100 * 365 * 24 * 60  # never due for a scan: re-surveys are only sent by hand


@transaction.atomic
def resurvey_step_get_or_create(*, store) -> FlowStep:
    """The NPS flow's "re-survey" step, which the critics queue uses to ask a detractor again after a case
    is resolved. Created on first use with a copy of the survey's words (editable like any step).

    It is marked `manual` and its delay lies a century ahead, so the overdue-reviews scan, which plans
    every live step of the NPS flow, never finds an order due for it; re-surveys are scheduled one by one.
    """
    from ..selectors import RESURVEY_STEP_KEY

    flow = Flow.objects.select_for_update().get(store=store, kind=FlowKind.NPS_SURVEY)
    step = FlowStep.objects.filter(flow=flow, key=RESURVEY_STEP_KEY).first()
    if step is not None:
        return step
    survey = FlowStep.objects.filter(flow=flow).exclude(key=RESURVEY_STEP_KEY).order_by("position", "id").first()
    last = FlowStep.objects.filter(flow=flow).order_by("-position").values_list("position", flat=True).first()
    return FlowStep.objects.create(
        store=store,
        flow=flow,
        key=RESURVEY_STEP_KEY,
        position=(last or 0) + 1,
        delay_minutes=RESURVEY_DELAY_MINUTES,
        conditions={"manual": True},
        subject=dict(survey.subject) if survey else {"en": "Did we make it right?"},
        preheader=dict(survey.preheader) if survey else {},
        body=dict(survey.body) if survey else {"en": "<p>How likely are you to recommend us now?</p>"},
    )
