"""Absolute links that go into emails. The buyer pages own their URLs; we only make them absolute."""

from django.conf import settings


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path


def tracking_link(order) -> str:
    return absolute(order.get_tracking_url())


def preferences_link(customer) -> str:
    from apps.feedback.links import preferences_url

    return absolute(preferences_url(customer))


def unsubscribe_link(customer) -> str:
    from apps.feedback.links import unsubscribe_url

    return absolute(unsubscribe_url(customer))


def nps_links(order) -> list[dict]:
    from apps.feedback.links import nps_link

    return [{"score": score, "url": absolute(nps_link(order, score))} for score in range(11)]


def cart_reason_links(cart) -> dict[str, str]:
    from apps.feedback.links import cart_reason_links as links_for

    return links_for(cart)


def review_link(order) -> str:
    """Our review page for the order (apps.reviews): a signed link, one review per product."""
    from apps.reviews.links import review_url

    return review_url(order)
