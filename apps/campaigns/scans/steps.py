"""The enabled steps of a store's enabled flow, and planning a batch of candidates into the ledger."""

from django.db.models import QuerySet

from apps.stores.models import Store

from ..models import FlowStep
from ..services import Planned, messages_schedule


def live_steps(store: Store, kind: str) -> QuerySet[FlowStep]:
    return (
        FlowStep.objects.filter(store=store, flow__kind=kind, flow__enabled=True, enabled=True)
        .select_related("flow", "store")
        .order_by("position")
    )


def schedule(planned: list[Planned]) -> int:
    return len(messages_schedule(planned))
