"""One module per kind of flow, each defining `DEFINITION` (see base.py); found here like the inbound
sources of `apps/integrations/registry.py`."""

import importlib
import pkgutil
from functools import cache

from .base import DAY, HOUR, FlowDefinition, StepSpec, Trigger, history_reason, present_q

__all__ = [
    "DAY",
    "HOUR",
    "FlowDefinition",
    "StepSpec",
    "Trigger",
    "definition_for",
    "definitions",
    "history_reason",
    "present_q",
]


@cache
def definitions() -> dict[str, FlowDefinition]:
    found = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        definition = getattr(module, "DEFINITION", None)
        if definition is not None:
            found[definition.kind] = definition
    return dict(sorted(found.items(), key=lambda item: (item[1].priority, item[0])))


def definition_for(kind: str) -> FlowDefinition:
    return definitions()[kind]
