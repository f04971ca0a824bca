"""Two workers claiming batches at the same moment take disjoint sets of messages, without waiting on each
other (PostgreSQL: FOR UPDATE SKIP LOCKED inside the claiming UPDATE)."""

import threading

import pytest
from django.db import connection, connections, transaction

from apps.campaigns.models import Message, MessageStatus
from apps.campaigns.sending.claim import claim_due
from tests.campaigns.test_batch_sending import at_noon, win_backs  # noqa: F401  (the same world as the batch tests)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_claiming_at_once_take_disjoint_batches_and_every_row_once(store, flows):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (CI has it)")
    messages = win_backs(store, flows, 10)
    both_holding = threading.Barrier(2, timeout=20)
    claims: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with transaction.atomic():  # the claim's row locks are held until both have claimed
                claims[name] = claim_due(transactional=False, limit=6)
                both_holding.wait()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not errors
    first, second = claims["a"], claims["b"]
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(message.pk for message in messages)
    assert sorted(len(claim) for claim in (first, second)) == [4, 6]
    assert set(Message.objects.values_list("status", "attempts")) == {(MessageStatus.SENDING, 1)}
    # and a third claim finds nothing left
    assert claim_due(transactional=False, limit=6) == []
