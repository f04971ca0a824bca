"""What integrations and the API hand to customer services."""

from dataclasses import dataclass


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
