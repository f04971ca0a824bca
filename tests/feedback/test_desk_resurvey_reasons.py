"""A resolved case says why a re-survey could never be sent, instead of planning one that the rules skip."""

import pytest

from apps.campaigns.models import Flow, FlowKind
from apps.campaigns.rules import policy_for
from apps.feedback.selectors import resurvey_blocker
from apps.feedback.services.cases import case_resolve
from tests.feedback.desk_helpers import detractor_case
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    store = MembershipFactory(role="support").store
    Flow.objects.filter(store=store, kind=FlowKind.NPS_SURVEY).update(enabled=True)
    return store


def resolved(case):
    return case_resolve(case=case, note="Sent a new box", outcome="replacement")


def test_a_consenting_reachable_buyer_can_be_asked_again(store):
    case = resolved(detractor_case(store, marketing_consent=True))
    assert resurvey_blocker(case=case) == ""


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("flow_off", "switched off"),
        ("bounced", "suppressed"),
        ("complained", "suppressed"),
        ("unsubscribed", "unsubscribed from review requests"),
        ("no_consent", "marketing consent"),
    ],
)
def test_each_reason_a_re_survey_is_impossible_is_said(store, given, reason):
    customer = {"marketing_consent": True}
    if given == "bounced":
        customer.update(suppressed=True, suppression_reason="bounce")
    if given == "complained":
        customer.update(suppressed=True, suppression_reason="complaint")
    if given == "unsubscribed":
        customer.update(wants_review_requests=False)
    if given == "no_consent":
        customer.update(marketing_consent=False)
        policy = policy_for(store)
        policy.marketing_requires_consent = True
        policy.save()
    if given == "flow_off":
        Flow.objects.filter(store=store, kind=FlowKind.NPS_SURVEY).update(enabled=False)
    case = resolved(detractor_case(store, **customer))
    assert reason in resurvey_blocker(case=case)


def test_without_a_consent_rule_a_buyer_without_consent_can_be_asked(store):
    policy = policy_for(store)
    policy.marketing_requires_consent = False
    policy.save()
    case = resolved(detractor_case(store, marketing_consent=False))
    assert resurvey_blocker(case=case) == ""
