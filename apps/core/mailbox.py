"""The From header of a store's emails, written so that any name a merchant types stays one address."""

import re
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import parseaddr
from functools import lru_cache

from django.conf import settings

# Line breaks and other control characters would start a new header or break the address.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")


class InvalidMailbox(ValueError):
    """The address is not one any mail system accepts."""


@lru_cache(maxsize=1024)
def mailbox(display_name: str, address: str) -> str:
    """`"Smith, Jones & Co" <hello@shop.example>`: the name quoted wherever RFC 5322 needs it (a comma, a
    quote, an @), so "Smith, Jones & Co" is one sender, not two addresses. Remembered per name and address
    (every email of a store has the same sender); an invalid one raises each time."""
    name = " ".join(CONTROL_CHARACTERS.sub(" ", display_name or "").split())
    try:
        return str(Address(display_name=name, addr_spec=address.strip()))
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise InvalidMailbox(f"{address!r} is not a valid email address") from exc


def store_sender(store) -> str:
    """The store's From: its sender address, or the platform's default address under the store's name."""
    address = store.sender_email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return mailbox(store.sender_name or store.name, address)
