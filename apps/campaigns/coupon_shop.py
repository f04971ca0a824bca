"""The store's shop as the email engine needs it for coupons: whether it creates our codes, and asking it to.
apps.integrations fills this in its AppConfig.ready() (`coupon_shop_register`), so campaigns imports no
integration.

A code we make must exist in the shop before its email goes out when the store has a shop that can create
codes: `coupon_issue` marks such a code `pending` (`shop_creates_codes`); dispatch holds its email and queues
`coupon_push_task` (apps/integrations/services/shop_coupons.py creates it and sends the email on). Without a
registered shop, codes are ours alone (`local`) and nothing is pushed.
"""

from collections.abc import Callable
from typing import Protocol


class PushTask(Protocol):
    def delay(self, coupon_id: int) -> object: ...


class _ShopPush:
    """Queued like the Celery task it stands for: `coupon_push_task.delay(coupon_id)`."""

    task: PushTask | None = None

    def delay(self, coupon_id: int) -> object:
        return self.task.delay(coupon_id) if self.task is not None else None


coupon_push_task = _ShopPush()
_creates_codes: list[Callable[[int], bool]] = []


def coupon_shop_register(*, creates_codes: Callable[[int], bool], push_task: PushTask) -> None:
    """`creates_codes(store_id)`: the store has a connected shop that creates codes; `push_task`: the task that
    creates a pending code there."""
    _creates_codes[:] = [creates_codes]
    coupon_push_task.task = push_task


def shop_creates_codes(store_id: int) -> bool:
    return any(creates(store_id) for creates in _creates_codes)
