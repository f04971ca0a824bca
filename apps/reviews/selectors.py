"""Reads of product reviews, each scoped to one store (or to one signed order)."""

from django.core.cache import cache
from django.db.models import Avg, Count, Prefetch, QuerySet

from apps.orders.models import Order, Product

from .links import review_order_id
from .models import Review, ReviewPhoto, ReviewReward, ReviewStatus

PUBLIC_PAGE_SIZE = 20
FEED_LIMIT = 50_000  # Google's feeds are full feeds; a store past this would split them


def order_for_review_token(*, token: str) -> Order | None:
    """The order a review link opens, or None for a forged, changed or expired link."""
    order_id = review_order_id(token)
    if order_id is None:
        return None
    return Order.objects.select_related("store", "customer").filter(pk=order_id).first()


def reviews_by_line(*, order) -> dict[int, Review]:
    reviews = Review.objects.filter(order=order).select_related("line").prefetch_related("photos")
    return {review.line_id: review for review in reviews}


def reward_for_order(*, order) -> ReviewReward | None:
    return ReviewReward.objects.filter(order=order).select_related("coupon").first()


def _published(store) -> QuerySet[Review]:
    return Review.objects.filter(store=store, status=ReviewStatus.PUBLISHED)


def product_for_store(*, store, external_id: str) -> Product | None:
    """A product of this store by the shop's own id: another store's product is None (a 404)."""
    return Product.objects.filter(store=store, external_id=external_id).first()


def published_reviews_for_product(*, store, product, limit: int = PUBLIC_PAGE_SIZE) -> list[Review]:
    photos = Prefetch("photos", queryset=ReviewPhoto.objects.order_by("pk"))
    return list(_published(store).filter(product=product).prefetch_related(photos)[:limit])


def product_rating_summary(*, store, product) -> dict:
    """{"count": n, "average": 4.3 or None} over the product's published reviews."""
    figures = _published(store).filter(product=product).aggregate(count=Count("pk"), average=Avg("rating"))
    average = figures["average"]
    return {"count": figures["count"], "average": round(float(average), 1) if average is not None else None}


def published_reviews_for_feed(*, store) -> QuerySet[Review]:
    """Every published review with a product (Google asks for the full set each time), oldest first."""
    photos = Prefetch("photos", queryset=ReviewPhoto.objects.order_by("pk"))
    return (
        _published(store)
        .filter(product__isnull=False)
        .select_related("product")
        .prefetch_related(photos)
        .order_by("submitted_at", "pk")[:FEED_LIMIT]
    )


def best_reviews_for_email(*, store, limit: int = 3, min_rating: int = 4) -> list[Review]:
    """The store's best published reviews for the email block: highest rated, then the most recent, each with
    words worth reading (a title or a few words of text)."""
    return list(
        _published(store)
        .filter(rating__gte=min_rating)
        .select_related("product")
        .order_by("-rating", "-submitted_at", "-pk")[:limit]
    )


# --- Dashboard ------------------------------------------------------------------------------
def reviews_for_store(*, store, status: str = "", rating: int | None = None) -> QuerySet[Review]:
    reviews = Review.objects.filter(store=store).select_related("product", "order").prefetch_related("photos")
    if status in ReviewStatus.values:
        reviews = reviews.filter(status=status)
    if rating in range(1, 6):
        reviews = reviews.filter(rating=rating)
    return reviews


def review_counts(*, store) -> dict[str, int]:
    counts = dict(Review.objects.filter(store=store).values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in ReviewStatus.values}


def review_for_store(*, store, pk: int) -> Review | None:
    return (
        Review.objects.filter(store=store, pk=pk)
        .select_related("product", "order", "line", "moderated_by")
        .prefetch_related("photos")
        .first()
    )


EMAIL_REVIEWS = 6  # the most a "reviews" block shows (design.blocks.Reviews.limit)
EMAIL_TEXT_LENGTH = 280


EMAIL_REVIEWS_SECONDS = 300


def reviews_for_email(*, store) -> list[dict]:
    """The store's best published reviews as plain values for an email's "reviews" block (the email
    context holds no models): the text shortened, the author as published. Kept a few minutes per store: a
    campaign renders the block for every recipient, and a review approved meanwhile can wait for the next."""
    return cache.get_or_set(f"reviews:email:{store.pk}", lambda: _reviews_for_email(store), EMAIL_REVIEWS_SECONDS) or []


def _reviews_for_email(store) -> list[dict]:
    rows = []
    for review in best_reviews_for_email(store=store, limit=EMAIL_REVIEWS):
        text = review.text if len(review.text) <= EMAIL_TEXT_LENGTH else review.text[: EMAIL_TEXT_LENGTH - 1] + "…"
        rows.append(
            {
                "rating": review.rating,
                "stars": "★" * review.rating + "☆" * (5 - review.rating),
                "title": review.title,
                "text": text,
                "author": review.author_name,
                "product": review.product.name if review.product else "",
            }
        )
    return rows
