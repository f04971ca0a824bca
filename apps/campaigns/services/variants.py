"""A step's A/B subject variants: adding and retiring one, and picking the winner once it is ahead
(the statistics: campaigns/abtest.py)."""

import string

from django.db import transaction
from django.utils.translation import gettext as _

from ..abtest import results_for
from ..models import FlowStep, Variant
from ..rules import policy_for
from .steps import StepInvalid, check_templates

MAX_VARIANTS = 4


def _next_label(taken: set[str]) -> str:
    return next(letter for letter in string.ascii_uppercase if letter not in taken)


@transaction.atomic
def variant_add(*, step: FlowStep, subject: dict[str, str]) -> Variant:
    """Add an A/B subject. The first one added also makes the step's current subject variant A (the
    control), so there is something to compare with. Adding to a finished test starts a new one."""
    subject = {language: text for language, text in subject.items() if text and text.strip()}
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = _("Write the variant's subject.")
    check_templates(errors, "subject", subject)
    step = FlowStep.objects.select_for_update().get(pk=step.pk)
    variants = list(step.variants.all())
    live = [v for v in variants if not v.retired]
    if len(live) >= MAX_VARIANTS:
        errors["subject"] = _("A step tests at most %(count)s subjects at once.") % {"count": MAX_VARIANTS}
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


@transaction.atomic
def ab_pick_winner(*, step: FlowStep) -> Variant | None:
    """Declare a winner when one is ahead with enough confidence and every variant had enough sends."""
    if step.variants.filter(is_winner=True).exists():
        return None
    results = [r for r in results_for(step) if not r.variant.retired]
    if len(results) < 2:
        return None
    policy = policy_for(step.store)
    if any(r.sends < policy.ab_min_sends for r in results):
        return None
    best = max(results, key=lambda r: r.chance_best)
    if best.chance_best < float(policy.ab_confidence):
        return None
    Variant.objects.filter(pk=best.variant.pk).update(is_winner=True)
    Variant.objects.filter(step=step).exclude(pk=best.variant.pk).update(retired=True)
    return best.variant


def ab_evaluate_all() -> int:
    steps = FlowStep.objects.filter(variants__retired=False).distinct().select_related("store")
    return sum(1 for step in steps if ab_pick_winner(step=step))
