"""The flow a scan plans for, its enabled steps, and planning a batch of candidates into the ledger."""

from django.db.models import QuerySet

from apps.stores.models import Store

from ..models import Flow, FlowStep
from ..services import Planned, messages_schedule


def live_flow(store: Store, kind: str) -> Flow | None:
    """The store's flow of this kind when it is on (and so has a moment since which it is live)."""
    return Flow.objects.filter(store=store, kind=kind, enabled=True, live_since__isnull=False).first()


def live_steps(store: Store, kind: str) -> QuerySet[FlowStep]:
    return (
        FlowStep.objects.filter(store=store, flow__kind=kind, flow__enabled=True, enabled=True)
        .select_related("flow", "store")
        .order_by("position")
    )


def schedule(planned: list[Planned]) -> int:
    return len(messages_schedule(planned))
