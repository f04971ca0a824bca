"""Reads from the optional replica (DATABASE_REPLICA_URL), only where a slightly old answer is fine.

A request may read from the replica when it is a GET/HEAD of a view listed in REPLICA_READ_VIEWS (dashboard
reports; not the tracking page, whose cache is filled from the primary). Everything else reads the primary:
- every other request, every Celery task and command (unless wrapped in `replica_reads()`);
- anything inside a transaction on the primary (a read that decides a write must see the latest row);
- the rest of a request once it has written anything (it must see its own write);
- the same browser for REPLICA_STICKY_SECONDS after a request of its that wrote (a cookie), so a merchant who
  saves and is redirected sees what was saved even while the replica lags;
- sessions, users, logins and beat's schedule (PRIMARY_ONLY_APPS): who is signed in is never read stale.

Without a "replica" alias (the default) the router answers None everywhere and Django uses "default".
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PRIMARY = "default"
STICKY_COOKIE = "ag_primary_until"
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "axes", "contenttypes", "admin", "django_celery_beat"})

# Whether reads in this context may go to the replica, and whether this context has written (then it may not).
_replica_allowed: ContextVar[bool] = ContextVar("replica_allowed", default=False)
_wrote: ContextVar[bool] = ContextVar("wrote", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def replica_reads() -> Iterator[None]:
    """Let the reads inside go to the replica (a report a task builds, say); a write inside pins the rest back
    to the primary."""
    allowed, wrote = _replica_allowed.set(True), _wrote.set(False)
    try:
        yield
    finally:
        _replica_allowed.reset(allowed)
        _wrote.reset(wrote)


def wrote_in_this_context() -> bool:
    return _wrote.get()


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not _replica_allowed.get() or _wrote.get() or not replica_configured():
            return None
        if model._meta.app_label in PRIMARY_ONLY_APPS or connections[PRIMARY].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model, **hints):
        _wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same rows: a row read from the replica may point at one from the primary.
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == PRIMARY


def _view_allowed(match) -> bool:
    if match is None:
        return False
    allowed = set(getattr(settings, "REPLICA_READ_VIEWS", ()))
    return match.view_name in allowed or any(f"{namespace}:*" in allowed for namespace in match.namespaces[:1])


class ReplicaRoutingMiddleware:
    """Decides, per request, whether its reads may go to the replica (see the module docstring), and sets the
    sticky cookie on a response to a request that wrote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        allowed, wrote = _replica_allowed.set(False), _wrote.set(False)
        try:
            response = self.get_response(request)
            if _wrote.get() and replica_configured():
                seconds = settings.REPLICA_STICKY_SECONDS
                response.set_cookie(
                    STICKY_COOKIE,
                    str(int(time.time()) + seconds),
                    max_age=seconds,
                    httponly=True,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
            return response
        finally:
            _replica_allowed.reset(allowed)
            _wrote.reset(wrote)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in ("GET", "HEAD") and not self._sticky(request) and _view_allowed(request.resolver_match):
            _replica_allowed.set(True)

    @staticmethod
    def _sticky(request) -> bool:
        try:
            return int(request.COOKIES.get(STICKY_COOKIE, "0")) > time.time()
        except ValueError:
            return False
