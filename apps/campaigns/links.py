"""Absolute links that go into emails. The buyer pages own their URLs; we only make them absolute.

The pages behind an email's links, but for the tracking page, belong to apps above the email engine:
apps.feedback (the preference centre, unsubscribing, NPS answers, why a cart was left) and apps.reviews (the
review page). Each says how to make its links in its AppConfig.ready() (`links_register(...)`), so campaigns
imports neither.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass
class Makers:
    preferences_url: Callable[[Any], str] | None = None  # customer -> their preference centre
    unsubscribe_url: Callable[[Any], str] | None = None  # customer -> the List-Unsubscribe address
    nps_scale: Callable[[Any], list[dict]] | None = None  # order -> [{score, path}] for 0..10, one token signed
    cart_reason_links: Callable[[Any], dict[str, str]] | None = None  # cart -> {answer: link}
    review_url: Callable[[Any], str] | None = None  # order -> its review page


MAKERS = Makers()


def links_register(**makers: Callable) -> None:
    """Say how to make links by name (`review_url=...`): an app's pages, from its AppConfig.ready()."""
    for name, maker in makers.items():
        if name not in Makers.__dataclass_fields__:
            raise TypeError(f"emails have no link named {name!r}")
        setattr(MAKERS, name, maker)


def _maker(name: str) -> Callable:
    maker = getattr(MAKERS, name)
    if maker is None:
        raise LookupError(f"no app registered how to make the email link {name!r} (links_register)")
    return maker


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path


def tracking_link(order) -> str:
    return absolute(order.get_tracking_url())


def preferences_link(customer) -> str:
    return absolute(_maker("preferences_url")(customer))


def unsubscribe_link(customer) -> str:
    return absolute(_maker("unsubscribe_url")(customer))


def nps_links(order) -> list[dict]:
    """The eleven score buttons, each to the landing with its score picked."""
    return [{"score": link["score"], "url": absolute(link["path"])} for link in _maker("nps_scale")(order)]


def cart_reason_links(cart) -> dict[str, str]:
    return _maker("cart_reason_links")(cart)


def review_link(order) -> str:
    """Our review page for the order (apps.reviews): a signed link, one review per product."""
    return _maker("review_url")(order)
