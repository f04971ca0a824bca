import pytest
from django.core.management import call_command

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
