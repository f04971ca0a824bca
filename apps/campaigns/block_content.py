"""What an email's blocks show that other apps own. The "reviews" block shows the store's best reviews: apps.reviews
registers `reviews=` in its AppConfig.ready() (`block_content_register`), so campaigns imports no review code.
Nothing registered: the block has nothing to show."""

from collections.abc import Callable

PROVIDERS: dict[str, Callable[..., list[dict]]] = {}


def block_content_register(**providers: Callable[..., list[dict]]) -> None:
    PROVIDERS.update(providers)


def reviews_for_email(*, store) -> list[dict]:
    """The store's best published reviews as plain values (the email context holds no models)."""
    provider = PROVIDERS.get("reviews")
    return provider(store=store) if provider else []
