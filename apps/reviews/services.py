"""Every write of product reviews: a buyer's review (new or edited), its photos, the coupon it earns,
and staff moderation."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.campaigns.models import Coupon, CouponShopState, IncentiveKind

from .models import EDIT_WINDOW, MAX_PHOTOS, Review, ReviewIncentive, ReviewPhoto, ReviewReward, ReviewStatus
from .photos import PreparedPhoto, delete_photo, store_photo


class ReviewLocked(Exception):
    """The review's edit window has closed: it stays as it was."""


@dataclass(frozen=True)
class ReviewInput:
    """What a buyer wrote for one order line."""

    rating: int
    title: str
    text: str
    photos: list[PreparedPhoto] = field(default_factory=list)
    remove_photo_ids: list[int] = field(default_factory=list)


def author_name_for(order) -> str:
    """What the public reads as the author: "Giulia R." (never the full name or the email)."""
    customer = order.customer
    first = (customer.first_name if customer else "") or (order.shipping_name or "").split(" ")[0]
    last = (customer.last_name if customer else "") or " ".join((order.shipping_name or "").split(" ")[1:])
    first = first.strip()[:40]
    initial = f" {last.strip()[0]}." if last.strip() else ""
    return f"{first}{initial}" if first else ""


@dataclass(frozen=True)
class Submitted:
    reviews: list[Review]
    reward: "ReviewReward | None"


def reviews_submit(
    *, order, entries: list[tuple[object, ReviewInput]], language: str, now: datetime | None = None
) -> Submitted:
    """Write the buyer's reviews of the order's lines, all or none, and issue the coupon they earn.

    Per line: the first time a review is created; within the edit window it is updated in place (and goes
    back to moderation if the words changed); after the window ReviewLocked is raised and nothing of the
    whole submission is written. A replayed or doubled POST finds the same row (one review per line, a
    unique constraint) and, with the same words, changes nothing: never a second review.

    Photos are saved to storage before the transaction and removed again if it fails, so a failed write
    leaves no files behind; photos the buyer removed are deleted from storage only after the commit."""
    if any(line.order_id != order.pk for line, _entry in entries):
        raise ValueError("a line belongs to another order")
    now = now or timezone.now()
    saved: list[list[str]] = []
    try:
        for _line, entry in entries:
            saved.append([store_photo(photo, store_id=order.store_id) for photo in entry.photos])
        with transaction.atomic():
            reviews = [
                _write(order=order, line=line, entry=entry, language=language, now=now, photo_names=names)
                for (line, entry), names in zip(entries, saved, strict=True)
            ]
            reward = review_reward_issue(order=order, now=now) if reviews else None
    except BaseException:
        for name in (name for names in saved for name in names):
            delete_photo(name)
        raise
    return Submitted(reviews=reviews, reward=reward)


def _write(*, order, line, entry: ReviewInput, language: str, now, photo_names: list[str]) -> Review:
    review = Review.objects.select_for_update().filter(line=line).first()
    if review is None:
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    store_id=order.store_id,
                    order=order,
                    line=line,
                    product_id=line.product_id,
                    customer_id=order.customer_id,
                    rating=entry.rating,
                    title=entry.title,
                    text=entry.text,
                    author_name=author_name_for(order),
                    language=language,
                    submitted_at=now,
                    editable_until=now + EDIT_WINDOW,
                )
        except IntegrityError:  # another request created it a moment ago: edit that one
            review = Review.objects.select_for_update().get(line=line)
            _update(review, entry=entry, language=language, now=now)
    else:
        _update(review, entry=entry, language=language, now=now)
    _photos(review, entry=entry, photo_names=photo_names)
    return review


def _update(review: Review, *, entry: ReviewInput, language: str, now) -> None:
    if now > review.editable_until:
        raise ReviewLocked
    unchanged = (review.rating, review.title, review.text) == (entry.rating, entry.title, entry.text)
    if unchanged and not entry.photos and not entry.remove_photo_ids:
        return  # the same form sent again (a reload, a double click): nothing to record
    review.rating, review.title, review.text = entry.rating, entry.title, entry.text
    review.language = language or review.language
    review.edited_at = now
    # Words staff approved are not the words now shown: they look again.
    review.status = ReviewStatus.PENDING
    review.moderated_at = None
    review.moderated_by = None
    review.save()


def _photos(review: Review, *, entry: ReviewInput, photo_names: list[str]) -> None:
    if entry.remove_photo_ids:
        removed = list(review.photos.filter(pk__in=entry.remove_photo_ids).values_list("pk", "image"))
        ReviewPhoto.objects.filter(pk__in=[pk for pk, _name in removed]).delete()
        names = [name for _pk, name in removed]
        transaction.on_commit(lambda: [delete_photo(name) for name in names])
    room = MAX_PHOTOS - review.photos.count()
    if len(photo_names) > room:
        raise TooManyPhotos(room)
    ReviewPhoto.objects.bulk_create(
        [
            ReviewPhoto(store_id=review.store_id, review=review, image=name, width=photo.width, height=photo.height)
            for name, photo in zip(photo_names, entry.photos, strict=True)
        ]
    )


class TooManyPhotos(ValueError):
    def __init__(self, room: int):
        super().__init__(f"room for {room} more photos")
        self.room = room


# --- The coupon a review earns --------------------------------------------------------------
def review_incentive_for(store) -> ReviewIncentive | None:
    incentive = ReviewIncentive.objects.filter(store=store).first()
    return incentive if incentive and incentive.active and incentive.kind != IncentiveKind.NONE else None


@transaction.atomic
def review_incentive_set(*, store, active: bool, kind: str, value, valid_days: int) -> ReviewIncentive:
    incentive, _created = ReviewIncentive.objects.update_or_create(
        store=store, defaults={"active": active, "kind": kind, "value": value, "valid_days": valid_days}
    )
    return incentive


def review_reward_issue(*, order, now: datetime | None = None) -> ReviewReward | None:
    """The coupon the store promised for a review, issued once the order has one: never before, and only
    once per order (a unique row decides, whatever the number of reviews, replays or concurrent POSTs).
    A code the connected shop must create first is `pending` and pushed to the shop after the commit;
    the thank-you page shows it when the shop has it."""
    from apps.campaigns.services.coupons import coupon_new_code
    from apps.integrations.services.shop_coupons import coupon_shop

    existing = ReviewReward.objects.filter(order=order).select_related("coupon").first()
    if existing is not None:
        return existing
    incentive = review_incentive_for(order.store)
    if incentive is None or not Review.objects.filter(order=order).exists():
        return None
    now = now or timezone.now()
    shop_state = CouponShopState.PENDING if coupon_shop(order.store_id) else CouponShopState.LOCAL
    for _attempt in range(5):
        try:
            with transaction.atomic():
                coupon = Coupon.objects.create(
                    store_id=order.store_id,
                    code=coupon_new_code(store_slug=order.store.slug),
                    kind=incentive.kind,
                    value=incentive.value,
                    customer_id=order.customer_id,
                    issued_at=now,
                    expires_at=now + timedelta(days=incentive.valid_days),
                    shop_state=shop_state,
                )
                reward = ReviewReward.objects.create(store_id=order.store_id, order=order, coupon=coupon)
        except IntegrityError:
            existing = ReviewReward.objects.filter(order=order).select_related("coupon").first()
            if existing is not None:  # another request issued it: that one is the order's
                return existing
            continue  # the code was taken: draw another
        if shop_state == CouponShopState.PENDING:
            from apps.integrations.tasks import coupon_push_task

            transaction.on_commit(partial(coupon_push_task.delay, coupon.pk))
        return reward
    raise RuntimeError("Could not generate a unique coupon code")


# --- Moderation -----------------------------------------------------------------------------
@transaction.atomic
def review_moderate(*, review: Review, status: str, by, now: datetime | None = None) -> Review:
    """Approve (publish) or reject a review; either can be undone by the other."""
    if status not in (ReviewStatus.PUBLISHED, ReviewStatus.REJECTED):
        raise ValueError("a review is published or rejected")
    Review.objects.filter(pk=review.pk).update(
        status=status, moderated_at=now or timezone.now(), moderated_by=by, modified_at=timezone.now()
    )
    review.refresh_from_db()
    return review


@transaction.atomic
def review_reply(*, review: Review, text: str, by, now: datetime | None = None) -> Review:
    """The store's public answer under the review ("" removes it)."""
    text = text.strip()
    Review.objects.filter(pk=review.pk).update(
        reply=text, replied_at=(now or timezone.now()) if text else None, modified_at=timezone.now()
    )
    review.refresh_from_db()
    return review


def reviews_anonymise(*, store_id: int, customer_id: int, order_ids: list[int]) -> int:
    """An erased buyer's reviews go, published or not, with their photos (their words and pictures are
    theirs): the rows now, the files once the erasure commits. Returns how many reviews went."""
    reviews = Review.objects.filter(store_id=store_id).filter(
        models.Q(customer_id=customer_id) | models.Q(order_id__in=order_ids)
    )
    files = list(ReviewPhoto.objects.filter(review__in=reviews).values_list("image", flat=True))
    count = reviews.count()
    reviews.delete()
    for name in files:
        transaction.on_commit(partial(delete_photo, name))
    return count
