"""Every module in `sources/` that defines `ADAPTER` is an inbound source, reachable at /webhooks/<source>/."""

import importlib
import pkgutil
from functools import cache

from . import sources
from .adapters import Adapter


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
