"""Every package in `sources/` that defines `ADAPTER` is an inbound source, reachable at /webhooks/<source>/;
one that defines `REMOTE` is a service Afterglow calls out to."""

import importlib
import pkgutil
from functools import cache

from . import sources
from .adapters import Adapter
from .remotes import Remote


@cache
def adapters() -> dict[str, Adapter]:
    found = {}
    for module_info in pkgutil.iter_modules(sources.__path__):
        module = importlib.import_module(f"{sources.__name__}.{module_info.name}")
        adapter = getattr(module, "ADAPTER", None)
        if adapter is not None:
            found[adapter.source] = adapter
    return found


def adapter_for(source: str) -> Adapter | None:
    return adapters().get(source)


@cache
def remotes() -> dict[str, Remote]:
    """Every source Afterglow calls out to: a `REMOTE` in its `sources/<name>/` package."""
    found = {}
    for module_info in pkgutil.iter_modules(sources.__path__):
        module = importlib.import_module(f"{sources.__name__}.{module_info.name}")
        remote = getattr(module, "REMOTE", None)
        if remote is not None:
            found[remote.source] = remote
    return found


def remote_for(source: str) -> Remote | None:
    return remotes().get(source)
