"""Data protection: raw inbound payloads and rendered email bodies are kept only as long as the
settings say; the rows (and the figures they feed) stay, their contents are blanked. The outbound call log
(no contents, only what was called) goes after the same time as inbound payloads.

Core runs the purge (a daily task, `core/schedules.py`) but knows no app's tables: each app that keeps such
contents registers its part in its AppConfig.ready() with `retention_register(Purge(...))`, as it declares its
schedules and checks. `purge_expired` runs every registered part with the cutoff its setting gives.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


@dataclass(frozen=True)
class Purge:
    """One kind of kept content: `run(before=, now=)` blanks (or deletes) what is older than `before` and says
    how many rows it changed; `keep_days_setting` names the setting that says how many days it is kept."""

    name: str
    keep_days_setting: str
    run: Callable[..., int]


PURGES: dict[str, Purge] = {}


def retention_register(*purges: Purge) -> None:
    """Declare what the daily purge blanks (idempotent: the same name twice keeps the first)."""
    for purge in purges:
        PURGES.setdefault(purge.name, purge)


def purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Run every registered purge; {name: rows changed}."""
    now = now or timezone.now()
    return {
        purge.name: purge.run(before=now - timedelta(days=getattr(settings, purge.keep_days_setting)), now=now)
        for purge in PURGES.values()
    }
