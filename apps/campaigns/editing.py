"""Merchant edits of flows: switching a flow on or off, a step's timing, conditions, offer and copy,
the order of steps, and A/B subject variants. Every template is checked by the restricted engine
before anything is written; a bad one raises StepInvalid and leaves the step as it was."""

import copy
import string
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from .models import Flow, FlowKind, FlowStep, IncentiveKind, Variant
from .rendering import TemplateError, validate_merchant_template

MAX_DELAY_MINUTES = 365 * 24 * 60
MAX_VARIANTS = 4


@dataclass
class StepInvalid(ValueError):
    """What is wrong, by field name (`subject:it`, `body:en`, `incentive_value`…)."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {problem}" for name, problem in self.errors.items())


@transaction.atomic
def flow_toggle(*, flow: Flow, enabled: bool) -> Flow:
    """Switch a flow on or off. Scheduled messages of a switched-off flow are skipped when due."""
    Flow.objects.filter(pk=flow.pk).update(enabled=enabled)
    flow.enabled = enabled
    return flow


def _check_templates(errors: dict, part: str, content: dict[str, str]) -> None:
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


@transaction.atomic
def step_update(
    *,
    step: FlowStep,
    delay_minutes: int,
    enabled: bool,
    exit_on_order: bool,
    skip_while_shipment_troubled: bool,
    incentive_kind: str = "",
    incentive_value: Decimal | int = 0,
    incentive_valid_days: int = 7,
    incentive_monthly_budget: int = 0,
    subject: dict[str, str] | None = None,
    preheader: dict[str, str] | None = None,
    body: dict[str, str] | None = None,
) -> FlowStep:
    """Change one step. Raises StepInvalid (nothing saved) for a bad template or value."""
    errors: dict[str, str] = {}
    if (step.conditions or {}).get("manual"):
        delay_minutes = step.delay_minutes  # sent by hand (the critics queue's re-survey): no delay to edit
    elif not 0 <= delay_minutes <= MAX_DELAY_MINUTES:
        errors["delay_minutes"] = "The delay must be between 0 and 365 days."
    if incentive_kind not in IncentiveKind.values:
        errors["incentive_kind"] = "Unknown kind of incentive."
    value = Decimal(incentive_value or 0)
    if value < 0 or (incentive_kind == IncentiveKind.PERCENT and value > 100):
        errors["incentive_value"] = "A percentage is between 0 and 100; an amount is not negative."
    if incentive_kind in (IncentiveKind.PERCENT, IncentiveKind.FIXED) and value == 0:
        errors["incentive_value"] = "Give the discount a value, or choose no incentive."
    if not 1 <= incentive_valid_days <= 365:
        errors["incentive_valid_days"] = "Coupons are valid for 1 to 365 days."
    if incentive_monthly_budget < 0:
        errors["incentive_monthly_budget"] = "The budget cannot be negative (0 is no limit)."
    _check_templates(errors, "subject", subject or {})
    _check_templates(errors, "preheader", preheader or {})
    _check_templates(errors, "body", body or {})

    new_subject, new_preheader, new_body = (
        _merged(step.subject, subject),
        _merged(step.preheader, preheader),
        _merged(step.body, body),
    )
    default = step.store.default_language
    for part, content in (("subject", new_subject), ("body", new_body)):
        if not (content.get(default) or content.get("en")) and f"{part}:{default}" not in errors:
            errors[f"{part}:{default}"] = "The store's default language needs this (other languages fall back to it)."
    if errors:
        raise StepInvalid(errors)

    step = FlowStep.objects.select_for_update().get(pk=step.pk)
    conditions = dict(step.conditions or {})
    conditions["exit_on_order"] = bool(exit_on_order)
    conditions["skip_while_shipment_troubled"] = bool(skip_while_shipment_troubled)
    step.delay_minutes = delay_minutes
    step.enabled = enabled
    step.conditions = conditions
    step.incentive_kind = incentive_kind
    step.incentive_value = value if incentive_kind in (IncentiveKind.PERCENT, IncentiveKind.FIXED) else 0
    step.incentive_valid_days = incentive_valid_days
    step.incentive_monthly_budget = incentive_monthly_budget
    step.subject, step.preheader, step.body = new_subject, new_preheader, new_body
    step.save()
    return step


def step_draft(*, step: FlowStep, subject=None, preheader=None, body=None) -> FlowStep:
    """An unsaved copy of the step carrying edits, for previews and test sends. Writes nothing."""
    draft = copy.copy(step)
    draft.subject = _merged(step.subject, subject)
    draft.preheader = _merged(step.preheader, preheader)
    draft.body = _merged(step.body, body)
    return draft


@transaction.atomic
def steps_reorder(*, flow: Flow, step_ids: list[int]) -> list[FlowStep]:
    """Put the flow's steps in the given order. The list must name each step of the flow exactly once."""
    steps = {step.pk: step for step in FlowStep.objects.select_for_update().filter(flow=flow)}
    if sorted(step_ids) != sorted(steps) or len(set(step_ids)) != len(step_ids):
        raise StepInvalid({"order": "The new order must list each step of this flow once."})
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


def _next_label(taken: set[str]) -> str:
    return next(letter for letter in string.ascii_uppercase if letter not in taken)


@transaction.atomic
def variant_add(*, step: FlowStep, subject: dict[str, str]) -> Variant:
    """Add an A/B subject. The first one added also makes the step's current subject variant A (the
    control), so there is something to compare with. Adding to a finished test starts a new one."""
    subject = {language: text for language, text in subject.items() if text and text.strip()}
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = "Write the variant's subject."
    _check_templates(errors, "subject", subject)
    step = FlowStep.objects.select_for_update().get(pk=step.pk)
    variants = list(step.variants.all())
    live = [v for v in variants if not v.retired]
    if len(live) >= MAX_VARIANTS:
        errors["subject"] = f"A step tests at most {MAX_VARIANTS} subjects at once."
    if errors:
        raise StepInvalid(errors)
    taken = {v.label for v in variants}
    if not live:
        control = Variant.objects.create(step=step, label=_next_label(taken), subject=dict(step.subject))
        taken.add(control.label)
    Variant.objects.filter(step=step, is_winner=True).update(is_winner=False)
    return Variant.objects.create(step=step, label=_next_label(taken), subject=subject)


@transaction.atomic
def variant_remove(*, variant: Variant) -> None:
    """Take a variant out of the test. One that was already sent is retired (its results stay); an
    unsent one is deleted. When one variant is left, it becomes the winner: every email uses it."""
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    if variant.messages.exists():
        Variant.objects.filter(pk=variant.pk).update(retired=True, is_winner=False)
    else:
        variant.delete()
    live = list(Variant.objects.filter(step_id=variant.step_id, retired=False))
    if len(live) == 1:
        Variant.objects.filter(pk=live[0].pk).update(is_winner=True)


RESURVEY_DELAY_MINUTES = 100 * 365 * 24 * 60  # never due for a scan: re-surveys are only sent by hand


@transaction.atomic
def resurvey_step_get_or_create(*, store) -> FlowStep:
    """The NPS flow's "re-survey" step, which the critics queue uses to ask a detractor again after a case
    is resolved. Created on first use with a copy of the survey's words (editable like any step).

    It is marked `manual` and its delay lies a century ahead, so the overdue-reviews scan, which plans
    every live step of the NPS flow, never finds an order due for it; re-surveys are scheduled one by one.
    """
    from .selectors import RESURVEY_STEP_KEY

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
