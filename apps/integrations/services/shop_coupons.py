"""Every code Afterglow hands out exists in the shop before its email goes out.

`coupon_issue` (campaigns) marks a generated code `pending` when the store's shop can create codes; dispatch
holds the email while its coupon is pending or refused (the message's trace says why). `coupon_push` creates
the code in the shop: created → the email is queued again at once; a duplicate → a new code is drawn and
pushed; refused → the code stays refused with the shop's reason; a shop that does not answer → retried with
backoff up to `MAX_ATTEMPTS`, then refused.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.campaigns.models import Coupon, CouponShopState, Message, MessageStatus
from apps.campaigns.services.coupons import coupon_new_code
from apps.campaigns.tasks import enqueue_now

from ..calls import CallError, CircuitOpen, RateLimited, Unauthorized
from ..models import Connection
from ..registry import remotes
from ..remotes import CouponRefused
from ..selectors import connection_able_to
from .connections import connection_record_error, connection_record_ok

MAX_ATTEMPTS = 6
MAX_REDRAWS = 3


def coupon_shop(store_id: int) -> Connection | None:
    """The store's shop that creates our codes, if it has one connected."""
    return connection_able_to(store_id=store_id, capability="coupon_create")


class PushLater(Exception):
    """The shop could not be reached now; the task retries after `countdown` seconds."""

    def __init__(self, message: str, countdown: float) -> None:
        super().__init__(message)
        self.countdown = countdown


PUSH_LOCK_SECONDS = 120


def coupon_push(*, coupon_id: int) -> Coupon | None:
    """Create a pending coupon's code in the shop. Raises PushLater when the task should try again.

    One push at a time per coupon: a held email asks again at every retry, and two pushes at once would
    each create the code, the second hear "duplicate" and draw another."""
    lock = f"integrations:coupon-push:{coupon_id}"
    if not cache.add(lock, 1, timeout=PUSH_LOCK_SECONDS):
        return None  # another worker is asking the shop; it sends the email when the code exists
    try:
        return _push(coupon_id)
    finally:
        cache.delete(lock)


def _push(coupon_id: int) -> Coupon | None:
    coupon = Coupon.objects.filter(pk=coupon_id, shop_state=CouponShopState.PENDING).first()
    if coupon is None:
        return None
    connection = coupon_shop(coupon.store_id)
    if connection is None:  # the shop was disconnected: the code stays ours alone, and says so
        return _refuse(coupon, "No shop is connected to create this code in.")
    create = remotes()[connection.source].coupon_create
    for _ in range(MAX_REDRAWS + 1):
        Coupon.objects.filter(pk=coupon.pk).update(shop_attempts=F("shop_attempts") + 1)
        try:
            shop_ref = create(connection, coupon)
        except CouponRefused as exc:
            if exc.duplicate and _redraw(coupon):
                continue
            return _refuse(coupon, f"The shop refused the code: {exc}")
        except (RateLimited, CircuitOpen) as exc:
            raise PushLater(str(exc), exc.retry_after or 60.0) from exc
        except Unauthorized as exc:
            connection_record_error(connection=connection, message=str(exc))
            return _refuse(coupon, str(exc))
        except CallError as exc:
            coupon.refresh_from_db(fields=["shop_attempts"])
            if coupon.shop_attempts >= MAX_ATTEMPTS:
                return _refuse(coupon, f"The shop did not create the code after {MAX_ATTEMPTS} tries: {exc}")
            Coupon.objects.filter(pk=coupon.pk).update(shop_error=str(exc)[:500])
            raise PushLater(str(exc), 30.0 * 2**coupon.shop_attempts) from exc
        connection_record_ok(connection=connection)
        Coupon.objects.filter(pk=coupon.pk).update(
            shop_state=CouponShopState.CREATED, shop_ref=str(shop_ref)[:120], shop_error="", modified_at=timezone.now()
        )
        coupon.refresh_from_db()
        _send_its_email(coupon)
        return coupon
    return _refuse(coupon, "The shop already had every code we drew.")


def _redraw(coupon: Coupon) -> bool:
    """The shop has this code already (someone else made it): draw a fresh one for our buyer."""
    for _ in range(5):
        try:
            with transaction.atomic():
                Coupon.objects.filter(pk=coupon.pk).update(code=coupon_new_code(store_slug=coupon.store.slug))
        except IntegrityError:
            continue
        coupon.refresh_from_db()
        return True
    return False


def _refuse(coupon: Coupon, reason: str) -> Coupon:
    Coupon.objects.filter(pk=coupon.pk).update(
        shop_state=CouponShopState.REFUSED, shop_error=reason[:500], modified_at=timezone.now()
    )
    coupon.refresh_from_db()
    return coupon


def _send_its_email(coupon: Coupon) -> None:
    """The email held for this code goes now, not at the next sweep."""
    if coupon.message_id is None:
        return

    held = Message.objects.filter(pk=coupon.message_id, status=MessageStatus.SCHEDULED)
    held.update(scheduled_for=timezone.now())
    transaction.on_commit(lambda: enqueue_now(list(held)))
