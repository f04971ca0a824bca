"""Sending rules: the store's consent rule, frequency cap, quiet hours, attribution windows, A/B test
thresholds, critics response target and what counts as the present, each with its default said; and,
per flow, its holdout share and each step's send window, with links to where they are edited."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.campaigns.selectors import flow_steps_for_store, flows_for_store, messaging_policy_for
from apps.campaigns.services.messaging_policy import policy_update

from .access import member_required
from .forms import SendingRulesForm, default_send_window


def _flows_overview(store) -> list[dict]:
    """Each flow with its holdout share and its steps' send windows (two queries)."""
    steps_by_flow: dict[int, list] = {}
    for step in flow_steps_for_store(store=store):
        step.default_window = default_send_window(step)
        steps_by_flow.setdefault(step.flow_id, []).append(step)
    return [{"flow": flow, "steps": steps_by_flow.get(flow.pk, [])} for flow in flows_for_store(store=store)]


@member_required("edit_flows")
def sending_rules(request):
    store = request.store
    form = SendingRulesForm(
        request.POST or None, initial=SendingRulesForm.initial_from(messaging_policy_for(store=store))
    )
    if request.method == "POST" and form.is_valid():
        try:
            policy_update(store=store, **form.policy_fields())
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("Sending rules saved. They apply to every email from now on."))
            return redirect("dashboard:sending_rules")
    context = {"form": form, "flows": _flows_overview(store)}
    return render(request, "dashboard/sending_rules.html", context, status=400 if form.errors else 200)
