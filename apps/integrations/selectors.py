from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.stores.models import Store

from .models import Connection, ImportJob, InboundEvent, Outcome


def connection_for(*, store: Store, source: str) -> Connection | None:
    return Connection.objects.filter(store=store, source=source, enabled=True).first()


def secrets_of(connection: Connection) -> list[str]:
    """The current secret, plus the previous one while a rotation is under way. Never an empty one: an
    HMAC keyed with "" is one anybody can compute."""
    secrets = [connection.secret] if connection.secret else []
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


def connections_for_store(*, store: Store) -> dict[str, Connection]:
    return {connection.source: connection for connection in Connection.objects.filter(store=store)}


def connection_for_store(*, store: Store, source: str) -> Connection | None:
    return Connection.objects.filter(store=store, source=source).first()


def deliveries_by_source(*, store: Store, since, sources=()) -> dict[str, dict]:
    """Per source: deliveries received since `since` and the newest delivery's moment. One range query over
    the window, plus one index probe for each of `sources` quiet in the window (inbound_store_source_recent),
    so the page costs the same with a million events as with ten."""
    from django.db.models import Count, Max

    rows = (
        InboundEvent.objects.filter(store=store, received_at__gte=since)
        .values("source")
        .annotate(recent=Count("id"), last=Max("received_at"))
    )
    found = {row["source"]: {"recent": row["recent"], "last": row["last"]} for row in rows}
    for source in sources:
        if source not in found:
            last = (
                InboundEvent.objects.filter(store=store, source=source)
                .order_by("-received_at")
                .values_list("received_at", flat=True)
                .first()
            )
            found[source] = {"recent": 0, "last": last}
    return found


def latest_history_sync(*, connection: Connection):
    from .models import HistorySync

    return HistorySync.objects.filter(connection=connection).order_by("-created_at").first()


def registration_counts(*, store: Store) -> dict[str, int]:
    from django.db.models import Count

    from .models import TrackingRegistration

    rows = TrackingRegistration.objects.filter(store=store).values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


def recent_outbound_calls(*, connection: Connection, limit: int = 8):
    from .models import OutboundCall

    return OutboundCall.objects.filter(store_id=connection.store_id, connection=connection).order_by(
        "-created_at", "-id"
    )[:limit]


def outbound_calls_for_store(*, store: Store, source: str = "", problems: bool = False) -> QuerySet:
    """The store's calls out, newest first: all of them, one source's, or only those that went wrong."""
    from .models import OutboundCall

    calls = OutboundCall.objects.filter(store=store)
    if source:
        calls = calls.filter(source=source)
    if problems:
        calls = calls.filter(ok=False)
    return calls.order_by("-created_at", "-id")


def connection_able_to(*, store_id: int, capability: str) -> Connection | None:
    """The store's live connection whose source has `capability` (a `Remote` field such as "coupon_create"
    or "tracking_register"): the first connected, if several."""
    from .models import ConnectionState
    from .registry import remotes

    sources = [source for source, remote in remotes().items() if getattr(remote, capability, None) is not None]
    return (
        Connection.objects.filter(store_id=store_id, source__in=sources, enabled=True)
        .exclude(state=ConnectionState.DISCONNECTED)
        .order_by("created_at")
        .first()
    )
