"""Beat's schedules come from where each task is defined: a scan's cadence is declared once, on the scan."""

import json

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from apps.campaigns.scans import SCANS
from apps.core.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_every_scan_runs_on_the_cadence_it_declares_and_setup_is_idempotent():
    call_command("setup_schedules")
    call_command("setup_schedules")
    assert PeriodicTask.objects.count() == len(SCHEDULES) == len({s.name for s in SCHEDULES})
    for scan in SCANS.values():
        (task,) = [
            t
            for t in PeriodicTask.objects.filter(task="apps.campaigns.tasks.scan_task")
            if json.loads(t.args) == [scan.name]
        ]
        assert task.interval.every == scan.every_minutes
    assert PeriodicTask.objects.get(name="Scan: abandoned carts").interval.every == 5
    for name in (
        "Send due emails",
        "Refresh product feeds",
        "Refresh best sellers",
        "Purge expired payloads and email bodies",
    ):
        assert PeriodicTask.objects.filter(name=name).exists()
