"""The critics queue: detractors' answers for a person to follow up, open to every role."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from apps.campaigns.rules import policy_for
from apps.campaigns.selectors import resurveys_for_store
from apps.feedback.models import CaseStatus, NpsTopic
from apps.feedback.selectors import (
    QUEUE_SORTS,
    critic_case_carriers,
    critic_case_counts,
    critic_case_for_store,
    critic_cases_for_store,
    critic_recovery,
    nps_responses_for_customer,
)
from apps.feedback.services.cases import CaseError, case_assign, case_resolve, case_resurvey, case_start
from apps.orders.selectors import orders_for_store
from apps.stores.permissions import can
from apps.stores.selectors import memberships_for_store

from .access import member_required
from .desk_views import desk_context
from .forms import CaseAssignForm, CaseResolveForm, ResurveyForm
from .listing import list_response, page_of

STATUS_FILTERS = (
    ("", pgettext_lazy("critics cases filter", "Open")),
    ("new", CaseStatus.NEW.label),
    ("in_progress", CaseStatus.IN_PROGRESS.label),
    ("resolved", CaseStatus.RESOLVED.label),
    ("all", pgettext_lazy("critics cases filter", "All")),
)


SORTS = (
    ("due", pgettext_lazy("critics queue order", "Time left to reply")),
    ("score", pgettext_lazy("critics queue order", "Lowest score first")),
    ("oldest", pgettext_lazy("critics queue order", "Oldest first")),
    ("newest", pgettext_lazy("critics queue order", "Newest first")),
)


def duration_text(delta: timedelta) -> str:
    """A person's duration: "45 min", "3 h", "2 d 4 h"."""
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    hours = minutes // 60
    if hours >= 48:
        return _("%(days)s d %(hours)s h") % {"days": hours // 24, "hours": hours % 24}
    return _("%(hours)s h") % {"hours": hours}


class CaseRow:
    """A case with its age against the store's response target (computed from loaded data)."""

    def __init__(self, case, *, target: timedelta, now, resurvey=None):
        self.case = case
        self.response = case.response
        self.order = case.response.order
        self.customer = case.response.customer
        self.resurvey = resurvey
        end = case.resolved_at or now
        self.age = end - case.opened_at
        self.due_at = case.opened_at + target
        self.answered = case.first_response_at is not None
        waiting = case.status != CaseStatus.RESOLVED and not self.answered
        self.overdue = waiting and now > self.due_at
        self.late = self.age > target
        self.left = self.due_at - now if waiting else None

    @property
    def target_text(self) -> str:
        """ "3 h left", "Overdue by 2 h", "answered after 5 h" or "" (resolved without a reply)."""
        if self.left is not None:
            if self.left.total_seconds() >= 0:
                return _("%(time)s left") % {"time": duration_text(self.left)}
            return _("Overdue by %(time)s") % {"time": duration_text(self.left)}
        if self.answered:
            return _("answered after %(time)s") % {
                "time": duration_text(self.case.first_response_at - self.case.opened_at)
            }
        return ""

    @property
    def age_text(self) -> str:
        hours = int(self.age.total_seconds() // 3600)
        if hours >= 24:
            return _("%(days)s d %(hours)s h") % {"days": hours // 24, "hours": hours % 24}
        return _("%(hours)s h") % {"hours": hours}

    @property
    def topics(self) -> list[str]:
        labels = dict(NpsTopic.choices)
        return [labels.get(topic, topic) for topic in self.response.topics or []]


def _target(store) -> timedelta:
    return timedelta(hours=policy_for(store).response_target_hours)


@member_required("work_critics")
def critic_list(request):
    filters = {
        "status": request.GET.get("status", ""),
        "search": request.GET.get("q", ""),
        "mine": request.GET.get("mine") == "1",
        "assignee": request.GET.get("assignee", ""),
        "score": request.GET.get("score", ""),
        "topic": request.GET.get("topic", ""),
        "carrier": request.GET.get("carrier", ""),
        "sort": request.GET.get("sort", "") if request.GET.get("sort", "") in QUEUE_SORTS else "",
    }
    cases = critic_cases_for_store(
        store=request.store,
        status=filters["status"],
        search=filters["search"],
        assignee=request.user if filters["mine"] else None,
        assignee_id=filters["assignee"],
        score=filters["score"],
        topic=filters["topic"],
        carrier=filters["carrier"],
        sort=filters["sort"],
    )
    page = page_of(cases, request.GET.get("page"))
    target, now = _target(request.store), timezone.now()
    resurveys = resurveys_for_store(store=request.store)
    rows = [CaseRow(case, target=target, now=now, resurvey=resurveys.get(case.pk)) for case in page.items]
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "status_filters": STATUS_FILTERS,
        "sorts": SORTS,
        "members": list(memberships_for_store(store=request.store)),
        "scores": range(0, 7),
        "topics": NpsTopic.choices,
        "carriers": critic_case_carriers(store=request.store),
        "filtered": any(filters[key] for key in ("status", "search", "mine", "assignee", "score", "topic", "carrier")),
        "can_set_helpdesk": can(request.membership, "manage_api_keys"),
        "counts": critic_case_counts(store=request.store),
        "target_hours": int(target.total_seconds() // 3600),
        "recovery": critic_recovery(
            store=request.store, resurveyed_at={pk: message.created_at for pk, message in resurveys.items()}
        ),
    }
    return list_response(request, "dashboard/critic_list.html", context)


@member_required("work_critics")
def critic_detail(request, pk: int):
    case = critic_case_for_store(store=request.store, pk=pk)
    order = case.response.order
    customer = case.response.customer
    history_orders, history_answers = [], []
    if customer is not None:
        history_orders = list(orders_for_store(store=request.store).filter(customer=customer).exclude(pk=order.pk)[:20])
        history_answers = [
            r for r in nps_responses_for_customer(store=request.store, customer=customer) if r.pk != case.response_id
        ]
    members = list(memberships_for_store(store=request.store))
    resurvey = resurveys_for_store(store=request.store, case_ids=[case.pk]).get(case.pk)
    context = {
        **desk_context(request, case),
        "row": CaseRow(case, target=_target(request.store), now=timezone.now(), resurvey=resurvey),
        "case": case,
        "order": order,
        "customer": customer,
        "history_orders": history_orders,
        "history_answers": history_answers,
        "assign_form": CaseAssignForm(members=members, initial={"assignee": case.assignee_id}),
        "resolve_form": CaseResolveForm(),
        "resurvey_form": ResurveyForm(),
        "resurvey": resurvey,
    }
    return render(request, "dashboard/critic_detail.html", context)


def _back(case):
    return redirect("dashboard:critic_detail", pk=case.pk)


@require_POST
@member_required("work_critics")
def critic_assign(request, pk: int):
    case = critic_case_for_store(store=request.store, pk=pk)
    members = list(memberships_for_store(store=request.store))
    form = CaseAssignForm(request.POST, members=members)
    if not form.is_valid():
        messages.error(request, _("Choose a teammate from the list."))
        return _back(case)
    assignee = next((m.user for m in members if m.user_id == form.cleaned_data["assignee"]), None)
    try:
        case_assign(case=case, assignee=assignee, by=request.user)
    except CaseError as exc:
        messages.error(request, str(exc))
    else:
        if assignee is None:
            messages.success(request, _("Assigned to nobody."))
        else:
            who = assignee.get_full_name() or assignee.email
            messages.success(request, _("Assigned to %(name)s.") % {"name": who})
    return _back(case)


@require_POST
@member_required("work_critics")
def critic_start(request, pk: int):
    case = critic_case_for_store(store=request.store, pk=pk)
    try:
        case_start(case=case, user=request.user)
    except CaseError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The case is yours and in progress."))
    return _back(case)


@require_POST
@member_required("work_critics")
def critic_resolve(request, pk: int):
    case = critic_case_for_store(store=request.store, pk=pk)
    form = CaseResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("To resolve the case, choose an outcome and write what was done."))
        return _back(case)
    try:
        case_resolve(case=case, note=form.cleaned_data["note"], outcome=form.cleaned_data["outcome"], user=request.user)
    except CaseError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Resolved. You can ask the buyer again below, to see whether it was made right."))
    return _back(case)


@require_POST
@member_required("work_critics")
def critic_resurvey(request, pk: int):
    case = critic_case_for_store(store=request.store, pk=pk)
    form = ResurveyForm(request.POST)
    delay = form.cleaned_data["delay_days"] if form.is_valid() else ResurveyForm.base_fields["delay_days"].initial
    try:
        result = case_resurvey(case=case, delay_days=delay, user=request.user)
    except CaseError as exc:
        messages.error(request, str(exc))
    else:
        if result.created:
            messages.success(request, _("The re-survey is planned; it follows the usual consent rules."))
        else:
            messages.info(request, _("This buyer was already asked again."))
    return _back(case)
