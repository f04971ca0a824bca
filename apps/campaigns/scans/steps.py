"""The flow a scan plans for, its enabled steps, and planning a batch of candidates into the ledger."""

from django.db.models import Prefetch, QuerySet

from apps.stores.models import Store

from ..models import Flow, FlowStep, Variant
from ..services.messages import Planned, messages_schedule


def live_flow(store: Store, kind: str) -> Flow | None:
    """The store's flow of this kind when it is on (and so has a moment since which it is live)."""
    return Flow.objects.filter(store=store, kind=kind, enabled=True, live_since__isnull=False).first()


def live_steps(store: Store, kind: str) -> QuerySet[FlowStep]:
    return (
        FlowStep.objects.filter(store=store, flow__kind=kind, flow__enabled=True, enabled=True)
        .select_related("flow", "store")
        # the variants a new ledger row may get (abtest.variant_for), in one query for every step
        .prefetch_related(
            Prefetch(
                "variants", queryset=Variant.objects.filter(retired=False).order_by("label"), to_attr="live_variants"
            )
        )
        .order_by("position")
    )


def schedule(planned: list[Planned]) -> int:
    return len(messages_schedule(planned))
