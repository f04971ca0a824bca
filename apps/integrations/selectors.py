from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.stores.models import Store

from .models import Connection, ImportJob, InboundEvent, Outcome


def connection_for(*, store: Store, source: str) -> Connection | None:
    return Connection.objects.filter(store=store, source=source, enabled=True).first()


def secrets_of(connection: Connection) -> list[str]:
    """The current secret, plus the previous one while a rotation is under way."""
    secrets = [connection.secret]
    expires = connection.previous_secret_expires_at
    if connection.previous_secret and (expires is None or expires > timezone.now()):
        secrets.append(connection.previous_secret)
    return secrets


def inbound_events_for_store(*, store: Store, source: str = "", outcome: str = "", search: str = "") -> QuerySet:
    events = InboundEvent.objects.filter(store=store).defer("body", "headers")
    if source:
        events = events.filter(source=source)
    if outcome == "problems":
        events = events.filter(outcome__in=[Outcome.FAILED, Outcome.REJECTED])
    elif outcome in Outcome.values:
        events = events.filter(outcome=outcome)
    if search:
        events = events.filter(object_id=search.strip()) | events.filter(delivery_id=search.strip())
    return events.order_by("-received_at", "-id")


def inbound_event_for_store(*, store: Store, pk: int) -> InboundEvent:
    return get_object_or_404(InboundEvent.objects.filter(store=store), pk=pk)


def import_jobs_for_store(*, store: Store) -> QuerySet:

    return ImportJob.objects.filter(store=store).defer("errors").order_by("-created_at")


def import_job_for_store(*, store: Store, pk: int):

    return get_object_or_404(ImportJob.objects.filter(store=store), pk=pk)


def feeds_for_store(*, store: Store) -> QuerySet:
    from .models import ProductFeed

    return ProductFeed.objects.filter(store=store).order_by("url")


def feed_for_store(*, store: Store, pk: int):
    from .models import ProductFeed

    return get_object_or_404(ProductFeed.objects.filter(store=store), pk=pk)
