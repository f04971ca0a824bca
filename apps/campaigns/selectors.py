from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from apps.stores.models import Store

from .models import Flow, Message, MessageStatus


def messages_for_store(*, store: Store, status: str = "", flow: str = "", search: str = "") -> QuerySet[Message]:
    messages = (
        Message.objects.filter(store=store)
        .select_related("step__flow", "order")
        .defer("body_html", "body_text", "trace")
    )
    if status in MessageStatus.values:
        messages = messages.filter(status=status)
    if flow:
        messages = messages.filter(step__flow__kind=flow)
    if search:
        term = search.strip()
        messages = messages.filter(email=term.lower()) if "@" in term else messages.filter(order__number__iexact=term)
    return messages.order_by("-scheduled_for", "-id")


def message_for_store(*, store: Store, pk: int) -> Message:
    queryset = Message.objects.filter(store=store).select_related("step__flow", "order", "customer", "variant")
    return get_object_or_404(queryset.prefetch_related("events"), pk=pk)


def flows_for_store(*, store: Store) -> QuerySet[Flow]:
    return Flow.objects.filter(store=store).order_by("priority", "kind")
