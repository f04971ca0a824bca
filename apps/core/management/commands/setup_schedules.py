import json

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from apps.core.schedules import SCHEDULES


class Command(BaseCommand):
    help = "Create or update beat's periodic tasks from apps/core/schedules.py (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        for schedule in SCHEDULES:
            timing = {}
            if schedule.every_minutes:
                interval, _ = IntervalSchedule.objects.get_or_create(
                    every=schedule.every_minutes, period=IntervalSchedule.MINUTES
                )
                timing = {"interval": interval, "crontab": None}
            else:
                minute, hour, day_of_month, month_of_year, day_of_week = schedule.crontab.split()
                crontab, _ = CrontabSchedule.objects.get_or_create(
                    minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year,
                    day_of_week=day_of_week, timezone="UTC",
                )  # fmt: skip
                timing = {"crontab": crontab, "interval": None}
            args = json.dumps(list(schedule.args))
            task, created = PeriodicTask.objects.get_or_create(
                name=schedule.name, defaults={"task": schedule.task, "queue": schedule.queue, "args": args, **timing}
            )
            if not created and (task.task, task.args) != (schedule.task, args):
                # Timing stays as people set it in the admin; what runs follows the code.
                task.task, task.args = schedule.task, args
                task.save(update_fields=["task", "args"])
            self.stdout.write(f"{'created' if created else 'kept'}: {schedule.name}")
