"""An owner starts a periodic scan from the dashboard: the request only queues it (a Celery task, on
commit), the run then shows in the list, and a scan queued or running for the store is not queued twice."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import ScanRun
from apps.campaigns.scans import SCANS
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db

START = reverse("dashboard:scan_run_start")
LIST = reverse("dashboard:scan_run_list")


@pytest.fixture
def owner(client):
    membership = MembershipFactory(role="owner")
    client.force_login(membership.user)
    return membership


def flashes(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_list_offers_every_scan_to_an_owner(client, owner):
    page = client.get(LIST).content.decode()
    for name in SCANS:
        assert f'name="name" value="{name}"' in page
    assert "Run now" in page


def test_run_now_queues_the_scan_and_the_run_then_appears_in_the_list(
    client, owner, django_capture_on_commit_callbacks
):
    # given an owner on the scan runs page
    # when they press "Run now" for abandoned carts
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(START, {"name": "abandoned_carts"}, follow=True)
    # then the request only queued it: nothing ran in it, and the page says so
    assert len(queued) == 1
    assert not ScanRun.objects.exists()
    assert flashes(response) == [
        "Abandoned carts: queued. It runs in the background and appears in the list when it starts."
    ]
    # when the worker runs the task
    queued[0]()
    # then the run is recorded for this store and shows in the list, done
    run = ScanRun.objects.get()
    assert (run.name, run.store, run.local_day, run.error) == ("abandoned_carts", owner.store, None, "")
    assert run.finished_at is not None
    page = client.get(LIST).content.decode()
    assert 'data-scan="abandoned_carts"' in page
    assert "Done" in page


def test_pressing_twice_while_it_is_queued_queues_it_once(client, owner, django_capture_on_commit_callbacks):
    # given a scan queued by a first press, its task not started yet
    with django_capture_on_commit_callbacks(execute=False) as first:
        client.post(START, {"name": "rfm"}, follow=True)
    # when the owner presses again
    with django_capture_on_commit_callbacks(execute=False) as second:
        response = client.post(START, {"name": "rfm"}, follow=True)
    # then nothing more is queued, and the page says why
    assert (len(first), len(second)) == (1, 0)
    assert flashes(response) == [
        "Customer segments (RFM) is already queued or running for this store: it was not queued again."
    ]
    # when the queued run finishes, then the scan can be started again
    first[0]()
    with django_capture_on_commit_callbacks(execute=True) as third:
        client.post(START, {"name": "rfm"})
    assert len(third) == 1
    assert ScanRun.objects.filter(store=owner.store, name="rfm").count() == 2


def test_a_scan_running_for_the_store_is_not_queued_again(client, owner, django_capture_on_commit_callbacks):
    # given an unfinished run of the delivery watch that started a minute ago (a worker has it)
    ScanRun.objects.create(
        name="delivery_watch", store=owner.store, as_of=timezone.now(), started_at=timezone.now() - timedelta(minutes=1)
    )
    # when the owner presses "Run now" twice
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(START, {"name": "delivery_watch"}, follow=True)
        # then nothing is queued and no second run is recorded
        assert callbacks == []
        assert "already queued or running" in flashes(response)[0]
    assert ScanRun.objects.filter(name="delivery_watch").count() == 1


def test_a_run_older_than_any_task_may_live_does_not_block_a_new_one(client, owner, django_capture_on_commit_callbacks):
    # given an unfinished run that started longer ago than the task time limit (its worker died)
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    ScanRun.objects.create(name="delivery_watch", store=owner.store, as_of=long_ago, started_at=long_ago)
    # when the owner presses "Run now", then the scan runs again
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(START, {"name": "delivery_watch"})
    assert len(callbacks) == 1
    assert ScanRun.objects.filter(name="delivery_watch", finished_at__isnull=False).count() == 1


def test_another_stores_run_does_not_block_this_one(client, owner, django_capture_on_commit_callbacks):
    other = MembershipFactory(role="owner").store
    ScanRun.objects.create(name="rfm", store=other, as_of=timezone.now(), started_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(START, {"name": "rfm"})
    assert len(callbacks) == 1
    assert ScanRun.objects.filter(store=owner.store, name="rfm").exists()


def test_only_an_owner_may_start_a_scan_and_only_by_post(client, django_capture_on_commit_callbacks):
    # given a manager (who may read the scan runs)
    manager = MembershipFactory(role="manager")
    client.force_login(manager.user)
    # then they see no "Run now", and pressing it anyway is refused and queues nothing
    assert "Run now" not in client.get(LIST).content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post(START, {"name": "rfm"}).status_code == 403
    assert callbacks == []
    # and for the owner, a GET changes nothing
    owner = MembershipFactory(role="owner", store=manager.store)
    client.force_login(owner.user)
    assert client.get(START, {"name": "rfm"}).status_code == 405
    assert not ScanRun.objects.exists()


def test_an_unknown_scan_is_refused_in_words(client, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(START, {"name": "drop_tables"}, follow=True)
    assert callbacks == []
    assert flashes(response) == ["Choose one of the scans listed below."]
    assert not ScanRun.objects.exists()
