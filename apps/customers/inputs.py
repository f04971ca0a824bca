"""What integrations and the API hand to customer services."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CustomerIn:
    email: str
    external_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    locale: str = ""
    time_zone: str = ""
    accepts_marketing: bool | None = None  # None: the source said nothing
    # When the buyer said it (a checkout's moment, a shop's consent_updated_at); None: now. A statement
    # older than the consent we hold never overrides it (a stale order update never undoes an unsubscribe).
    consent_at: datetime | None = None
