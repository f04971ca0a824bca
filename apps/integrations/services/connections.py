"""Connecting a store to a shop or tracking service, and keeping the connection honest.

The dashboard saves what the merchant typed (`connection_save`) and returns at once; a task on the
`integrations` queue then calls the source (`connection_setup`): checks the credentials, reads the shop's
currency and time zone, registers our webhooks and, for a shop, starts importing its history. What happened is
on the connection (state, last error) and in the outbound log, for the connections page to show.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.stores.models import Store

from ..calls import CallError
from ..models import Connection, ConnectionState
from ..registry import remote_for

logger = logging.getLogger(__name__)

ROTATION_GRACE = timedelta(hours=24)
SECRET_TARGETS = ("api_key", "api_token", "secret")


class ConnectionRefused(ValueError):
    """The form named a source we cannot connect, or left out a value it needs."""


@transaction.atomic
def connection_save(*, store: Store, source: str, values: dict[str, str]) -> Connection:
    """Save the merchant's credentials for `source` and queue the setup.

    Secret values left empty keep the ones saved before (the form never shows them again), so changing the
    shop address does not mean retyping the token. A saved connection is `pending` until the setup task has
    reached the source."""
    remote = remote_for(source)
    if remote is None:
        raise ConnectionRefused(f"Afterglow cannot connect to {source!r}.")
    connection = Connection.objects.select_for_update().filter(store=store, source=source).first()
    if connection is None:
        connection = Connection(store=store, source=source)
    for field in remote.fields:
        value = (values.get(field.name) or "").strip()
        if value or not field.secret:
            setattr(connection, field.target, (value or None) if field.target in SECRET_TARGETS else value)
        if field.required and not getattr(connection, field.target):
            raise ConnectionRefused(f"{field.label} is required.")
    connection.enabled = True
    connection.state = ConnectionState.PENDING
    connection.last_error = ""
    connection.failures_in_row = 0
    connection.circuit_open_until = None
    connection.save()
    transaction.on_commit(lambda: _setup_task().delay(connection.pk))
    return connection


def _setup_task():
    from ..tasks import connection_setup_task

    return connection_setup_task


class SetupBusy(Exception):
    """Another worker is setting this connection up right now; the task tries again shortly."""


SETUP_LOCK_SECONDS = 300


def connection_setup(*, connection_id: int) -> Connection:
    """Call the source: check credentials, read the shop, register webhooks; for a shop, start the history
    import the first time. Runs in a task, outside any transaction (each call logs itself).

    One setup at a time per connection (a double-clicked Save queues two): two registering webhooks at once
    could each remove the other's, leaving none. Raises SetupBusy for the second."""
    lock = f"integrations:connection-setup:{connection_id}"
    if not cache.add(lock, 1, timeout=SETUP_LOCK_SECONDS):
        raise SetupBusy(connection_id)
    try:
        return _setup(connection_id)
    finally:
        cache.delete(lock)


def _setup(connection_id: int) -> Connection:
    connection = Connection.objects.select_related("store").get(pk=connection_id)
    remote = remote_for(connection.source)
    if remote is None or not connection.enabled:
        return connection
    try:
        result = remote.setup(connection)
    except CallError as exc:
        connection_record_error(connection=connection, message=str(exc))
        return connection
    with transaction.atomic():
        connection = Connection.objects.select_for_update().select_related("store").get(pk=connection_id)
        first_time = connection.connected_at is None
        connection.state = ConnectionState.CONNECTED
        connection.connected_at = connection.connected_at or timezone.now()
        connection.shop_name = result.shop_name[:255] or connection.shop_name
        connection.webhooks = result.webhooks
        connection.scopes = result.scopes[:500] or connection.scopes
        connection.last_error = ""
        if result.secret:
            _replace_secret(connection, result.secret)
        connection.save()
        _adopt_shop_settings(connection.store, currency=result.currency, time_zone=result.time_zone)
        if first_time and remote.history_page is not None:
            from .shop_history import history_start

            history_start(connection=connection, days=settings.HISTORY_IMPORT_DAYS)
    return connection


def _adopt_shop_settings(store: Store, *, currency: str, time_zone: str) -> None:
    """The shop knows its currency and time zone better than a form filled in before connecting it."""
    import zoneinfo

    changed = []
    if len(currency) == 3 and currency.isalpha() and store.currency != currency.upper():
        store.currency = currency.upper()
        changed.append("currency")
    if time_zone and time_zone in zoneinfo.available_timezones() and store.time_zone != time_zone:
        store.time_zone = time_zone
        changed.append("time_zone")
    if changed:
        store.save(update_fields=[*changed, "modified_at"])


def connection_record_error(*, connection: Connection, message: str) -> None:
    Connection.objects.filter(pk=connection.pk).update(
        state=ConnectionState.FAILING, last_error=message[:2000], last_error_at=timezone.now()
    )


def connection_record_ok(*, connection: Connection) -> None:
    """A call that worked after failures: the connection is connected again."""
    Connection.objects.filter(pk=connection.pk, state=ConnectionState.FAILING).update(
        state=ConnectionState.CONNECTED, last_error=""
    )


def _replace_secret(connection: Connection, new_secret: str) -> None:
    """The old secret stays valid for a day, so deliveries signed before the change are still accepted."""
    if connection.secret and connection.secret != new_secret:
        connection.previous_secret = connection.secret
        connection.previous_secret_expires_at = timezone.now() + ROTATION_GRACE
    connection.secret = new_secret


@transaction.atomic
def connection_rotate_secret(*, connection: Connection, new_secret: str) -> Connection:
    """The merchant changed the webhook secret at the source: both are accepted for ROTATION_GRACE."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    new_secret = new_secret.strip()
    if not new_secret:
        raise ConnectionRefused("The new secret is empty.")
    _replace_secret(connection, new_secret)
    connection.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "modified_at"])
    return connection


@transaction.atomic
def connection_disconnect(*, connection: Connection) -> Connection:
    """Stop using the connection: webhooks from it are refused, our webhooks at the source are removed (by a
    task, best effort) and the credentials are forgotten once that is done."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    connection.enabled = False
    connection.state = ConnectionState.DISCONNECTED
    connection.save(update_fields=["enabled", "state", "modified_at"])
    transaction.on_commit(lambda: _teardown_task().delay(connection.pk))
    return connection


def _teardown_task():
    from ..tasks import connection_teardown_task

    return connection_teardown_task


def connection_teardown(*, connection_id: int) -> None:
    connection = Connection.objects.filter(pk=connection_id, enabled=False).first()
    if connection is None:
        return
    remote = remote_for(connection.source)
    if remote is not None and remote.teardown is not None and connection.webhooks:
        try:
            remote.teardown(connection)
        except CallError as exc:  # the source may already have forgotten us; we forget it anyway
            logger.info("Removing %s webhooks for store %s failed: %s", connection.source, connection.store_id, exc)
    Connection.objects.filter(pk=connection_id, enabled=False).update(
        api_key=None, api_token=None, secret=None, previous_secret=None, webhooks=[], modified_at=timezone.now()
    )
