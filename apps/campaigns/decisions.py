"""What a send-time judgement says about one email: send it, skip it, suppress it, or hold it until later."""

from dataclasses import dataclass
from datetime import datetime

SEND, SKIP, SUPPRESS, DEFER = "send", "skip", "suppress", "defer"


@dataclass(frozen=True)
class Decision:
    action: str
    rule: str
    reason: str = ""
    until: datetime | None = None
