"""Flows: a new store's default flows and steps, switching a flow on or off, its holdout share."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.stores.models import Store

from ..defaults import default_content
from ..design.defaults import default_designs
from ..flows import definitions
from ..models import Flow, FlowStep, StepEditor


@transaction.atomic
def flows_install_defaults(*, store: Store) -> list[Flow]:
    """Give a store every default flow and step it does not have yet; never touches edited ones."""
    flows = []
    for definition in definitions().values():
        flow, _ = Flow.objects.get_or_create(
            store=store, kind=definition.kind, defaults={"name": definition.name, "priority": definition.priority}
        )
        for position, step in enumerate(definition.steps):
            if FlowStep.objects.filter(flow=flow, key=step.key).exists():
                continue
            subject, preheader, body = default_content(definition.kind, step.key)
            FlowStep.objects.create(
                store=store,
                flow=flow,
                key=step.key,
                position=position,
                delay_minutes=step.delay_minutes,
                trigger_status=step.trigger_status,
                conditions=step.conditions,
                subject=subject,
                preheader=preheader,
                body=body,  # the same copy for a merchant who switches the step to HTML
                editor=StepEditor.BLOCKS,
                design=default_designs(definition.kind, step.key),
                incentive_kind=step.incentive_kind,
                incentive_value=step.incentive_value,
                incentive_valid_days=step.incentive_valid_days,
                incentive_monthly_budget=step.incentive_monthly_budget,
            )
        flows.append(flow)
    return flows


MAX_BACKFILL_DAYS = 30


@transaction.atomic
def flow_toggle(*, flow: Flow, enabled: bool, backfill_days: int = 0, now=None) -> Flow:
    """Switch a flow on or off. Switched on, it acts on what happens from now on, or, when the merchant
    asks, on the last `backfill_days` days too (each email still only within its send window); what
    happened before is history. A flow already on keeps its moment. Switched off, its scheduled emails
    are skipped when due, and what happens while it is off stays history when it is switched on again."""
    if not 0 <= backfill_days <= MAX_BACKFILL_DAYS:
        raise ValueError(f"backfill_days must be between 0 and {MAX_BACKFILL_DAYS}")
    current = Flow.objects.select_for_update().get(pk=flow.pk)
    if enabled and not current.enabled:
        current.live_since = (now or timezone.now()) - timedelta(days=backfill_days)
    current.enabled = enabled
    current.save(update_fields=["enabled", "live_since", "modified_at"])
    flow.enabled, flow.live_since = current.enabled, current.live_since
    return flow


MAX_HOLDOUT_PERCENT = 50


@transaction.atomic
def flow_set_holdout(*, flow: Flow, percent: int) -> Flow:
    """Set the share of buyers (0 to 50 %) who get none of the flow's emails, so what the flow adds can be
    measured against them. Transactional flows have no holdout: a buyer always gets those emails.
    Raises ValidationError (nothing saved) for a share out of range."""
    flow = Flow.objects.select_for_update().get(pk=flow.pk)
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= MAX_HOLDOUT_PERCENT:
        raise ValidationError({"holdout_percent": _("The holdout is a whole number from 0 to 50 %.")})
    if flow.is_transactional and percent:
        raise ValidationError({"holdout_percent": _("Transactional emails always go out: they have no holdout.")})
    flow.holdout_percent = percent
    flow.full_clean()
    flow.save(update_fields=["holdout_percent", "modified_at"])
    return flow
