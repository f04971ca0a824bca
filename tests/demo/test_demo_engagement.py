import pytest
from django.core.management import call_command
from django.db import connection

from apps.campaigns.models import Flow, Message, MessageStatus
from apps.feedback.models import CriticCase, NpsResponse

pytestmark = pytest.mark.django_db


def test_the_demo_store_comes_with_email_history_and_nps_answers(settings):
    # given a fresh demo seed
    settings.DEBUG = True
    call_command("seed_demo", "--scale", "60", verbosity=0)
    counts = (Message.objects.count(), NpsResponse.objects.count(), CriticCase.objects.count())
    # then its flows are on, emails went out with opens and clicks, buyers answered NPS
    assert not Flow.objects.filter(store__slug="demo", enabled=False).exists()
    assert Message.objects.filter(status=MessageStatus.SENT, opened_at__isnull=False).exists()
    assert counts[1] > 0
    assert CriticCase.objects.count() == NpsResponse.objects.filter(score__lte=6).count()
    # and a second run changes nothing
    call_command("seed_demo", "--scale", "60", verbosity=0)
    assert (Message.objects.count(), NpsResponse.objects.count(), CriticCase.objects.count()) == counts


@pytest.mark.postgres
def test_the_seed_leaves_statistics_for_the_history_it_wrote(settings):
    # given a fresh demo seed, whose email history the scans' "already sent?" checks read
    settings.DEBUG = True
    call_command("seed_demo", "--scale", "60", verbosity=0)
    # then every ledger partition holding it has been analyzed: the planner knows its rows are there
    # (a partition it believes empty got the abandoned-cart scan a nested loop over every sent reminder)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT m.tableoid::regclass::text, count(*), min(c.reltuples)
            FROM campaigns_message m JOIN pg_class c ON c.oid = m.tableoid
            GROUP BY 1
            """
        )
        partitions = cursor.fetchall()
    assert partitions
    assert all(believed > 0 for _, _, believed in partitions), partitions
