"""Flows: the list with on/off switches, figures and holdout lift, the holdout share, the step editor
with live previews and test sends, drag-and-drop ordering, A/B subjects, and the simulator."""

import json
import secrets
from datetime import timedelta

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from apps.campaigns.abtest import results_for
from apps.campaigns.copy import LANGUAGES
from apps.campaigns.flows import definition_for
from apps.campaigns.models import FlowKind, StepEditor
from apps.campaigns.preview import preview_step, sample_subject, send_test
from apps.campaigns.rendering import TemplateError
from apps.campaigns.selectors import (
    RESURVEY_STEP_KEY,
    flow_for_store,
    flow_step_counts,
    messaging_policy_for,
    step_figures,
    step_for_store,
    variant_for_store,
)
from apps.campaigns.services.flows import MAX_BACKFILL_DAYS
from apps.campaigns.services.flows import flow_set_holdout as set_flow_holdout
from apps.campaigns.services.flows import flow_toggle as toggle_flow
from apps.campaigns.services.steps import StepInvalid, check_design, step_draft, step_move, step_update, steps_reorder
from apps.campaigns.services.variants import variant_add as add_variant
from apps.campaigns.services.variants import variant_remove as remove_variant
from apps.campaigns.simulator import backfill_count, simulate
from apps.orders.selectors import cart_leave_reasons
from apps.shipments.models import ShipmentStatus
from apps.stores.models import Language
from apps.stores.services import store_record_test_send

from . import designer
from .access import member_required
from .forms import (
    HoldoutForm,
    content_field_name,
    default_send_window,
    step_form_for,
    step_initial,
    variant_form_for,
)
from .message_views import EMAIL_PREVIEW_CSP
from .reports import LIFT_DAYS, flow_lifts, flow_rows

FIGURES_DAYS = 30
PREVIEW_SECONDS = 15 * 60
LANGUAGE_NAMES = dict(Language.choices)


def _languages(store) -> tuple[str, ...]:
    """Every language we have copy for, the store's offered ones first."""
    offered = [code for code in store.offered_languages if code in LANGUAGES]
    return tuple(offered + [code for code in LANGUAGES if code not in offered])


@member_required("edit_flows")
def flow_list(request):
    since = timezone.now() - timedelta(days=FIGURES_DAYS)
    rows = flow_rows(store=request.store, since=since)
    counts = flow_step_counts(store=request.store)
    window_days = messaging_policy_for(store=request.store).click_window_days
    context = {
        "rows": rows,
        "counts": counts,
        "days": FIGURES_DAYS,
        "lifts": flow_lifts(store=request.store, window_days=window_days),
        "lift_days": LIFT_DAYS,
        "window_days": window_days,
    }
    return render(request, "dashboard/flow_list.html", context)


@require_POST
@member_required("edit_flows")
def flow_toggle(request, pk: int):
    flow = flow_for_store(store=request.store, pk=pk)
    backfill = request.POST.get("backfill_days", "0")
    days = int(backfill) if backfill.isdigit() and int(backfill) <= MAX_BACKFILL_DAYS else 0
    flow = toggle_flow(flow=flow, enabled=request.POST.get("enabled") in ("on", "true", "1"), backfill_days=days)
    if request.htmx:
        return render(request, "dashboard/_flow_switch.html", {"flow": flow, "announce": True})
    if flow.enabled:
        messages.success(request, _("%(name)s is on.") % {"name": flow.title})
    else:
        messages.success(request, _("%(name)s is off.") % {"name": flow.title})
    if request.POST.get("next") == "detail":
        return redirect("dashboard:flow_detail", pk=flow.pk)
    return redirect("dashboard:flow_list")


EMPTY_FIGURES = {"sent": 0, "opened": 0, "clicked": 0, "conversions": 0, "revenue": 0}


def _detail_context(request, flow, holdout_form=None) -> dict:
    steps = list(flow.steps.all())
    status_labels = dict(ShipmentStatus.choices)
    figures = step_figures(flow=flow, since=timezone.now() - timedelta(days=FIGURES_DAYS))
    for step in steps:
        step.store = request.store  # the flow's: its titles read the store's languages and currency
        step.default_window = default_send_window(step)
        step.trigger_label = status_labels.get(step.trigger_status, step.trigger_status)
        step.figures = figures.get(step.pk, EMPTY_FIGURES)
        step.title = sample_subject(step) or step.key
    totals = {name: sum(step.figures[name] for step in steps) for name in EMPTY_FIGURES}
    lift = flow_lifts(store=request.store).get(flow.pk) if flow.holdout_percent else None
    leave_reasons = (
        cart_leave_reasons(store=request.store, since=timezone.now() - timedelta(days=FIGURES_DAYS))
        if flow.kind == FlowKind.ABANDONED_CART
        else []
    )
    return {
        "leave_reasons": leave_reasons,
        "leave_reason_answers": sum(row["answers"] for row in leave_reasons),
        "flow": flow,
        "steps": steps,
        "switch_on": _switch_on_choice(request, flow),
        "manual_key": RESURVEY_STEP_KEY,
        "holdout_form": holdout_form or HoldoutForm(initial={"holdout_percent": flow.holdout_percent}),
        "lift": lift,
        "lift_groups": [(_("Emailed"), lift.emailed), (_("Held out"), lift.held_out)] if lift else [],
        "totals": totals,
        "figures_days": FIGURES_DAYS,
    }


def _switch_on_choice(request, flow) -> dict | None:
    """For a flow that is off: switch it on from now (what it should do), or also for the last days, with
    the number of emails that would go out at once counted first (on request: a replay of those days)."""
    if flow.enabled:
        return None
    definition = definition_for(flow.kind)
    wanted = request.GET.get("backfill_days", "")
    days = min(int(wanted), MAX_BACKFILL_DAYS) if wanted.isdigit() else 7
    counted = backfill_count(flow=flow, days=days) if wanted.isdigit() and definition.scan else None
    return {
        "catches_up": definition.scan is not None,
        "days": days,
        "count": counted,
        "max_days": MAX_BACKFILL_DAYS,
    }


@member_required("edit_flows")
def flow_detail(request, pk: int):
    """The flow's steps, in order, and its holdout share with the lift it measures. A POST sets the share;
    a bad value is shown on the page and nothing is saved."""
    flow = flow_for_store(store=request.store, pk=pk)
    form = HoldoutForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        try:
            flow = set_flow_holdout(flow=flow, percent=form.cleaned_data["holdout_percent"])
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            if flow.holdout_percent:
                messages.success(
                    request,
                    _("%(percent)s %% of buyers now get none of %(flow)s's emails: their orders show what it adds.")
                    % {"percent": flow.holdout_percent, "flow": flow.title},
                )
            else:
                messages.success(request, _("No holdout: every buyer gets %(flow)s's emails.") % {"flow": flow.title})
            return redirect(f"{reverse('dashboard:flow_detail', kwargs={'pk': flow.pk})}#holdout")
    status = 400 if form is not None and form.errors else 200
    return render(request, "dashboard/flow_detail.html", _detail_context(request, flow, form), status=status)


@require_POST
@member_required("edit_flows")
def flow_reorder(request, pk: int):
    """A new order of steps: the whole list from drag and drop (`order`), or one step up or down."""
    flow = flow_for_store(store=request.store, pk=pk)
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        if request.POST.get("order"):
            ids = [int(part) for part in request.POST["order"].split(",") if part.strip()]
            steps = steps_reorder(flow=flow, step_ids=ids)
        else:
            step = next((s for s in flow.steps.all() if str(s.pk) == request.POST.get("step")), None)
            if step is None or request.POST.get("move") not in ("up", "down"):
                raise StepInvalid({"order": _("Choose a step and a direction.")})
            steps = step_move(step=step, offset=-1 if request.POST["move"] == "up" else 1)
    except (StepInvalid, ValueError) as exc:
        if wants_json:
            return JsonResponse({"error": str(exc)}, status=400)
        messages.error(request, _("The steps could not be reordered: %(problem)s") % {"problem": exc})
        return redirect("dashboard:flow_detail", pk=flow.pk)
    if wants_json:
        return JsonResponse({"order": [step.pk for step in steps]})
    messages.success(request, _("Order saved."))
    return redirect("dashboard:flow_detail", pk=flow.pk)


@member_required("edit_flows")
def flow_simulate(request, pk: int):
    flow = flow_for_store(store=request.store, pk=pk)
    return render(request, "dashboard/flow_simulate.html", {"flow": flow, "simulation": simulate(flow=flow)})


# --- The step editor ------------------------------------------------------------------------
def _step_form(step, data=None):
    languages = _languages(step.store)
    form_class = step_form_for(step, languages, LANGUAGE_NAMES)
    return form_class(data, initial=step_initial(step, languages))


def _design_problems(errors: dict[str, str]) -> list[dict]:
    """check_design's keys (`design:it:3:url`) as the designer shows them: by language, block and setting."""
    problems = []
    for key, message in errors.items():
        parts = key.split(":")
        index = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
        problems.append(
            {
                "language": parts[1] if len(parts) > 1 else "",
                "index": index,
                "field": parts[3] if len(parts) > 3 else "",
                "message": designer.problem_words(message),
            }
        )
    return problems


def _designer_config(request, step, form) -> dict:
    """What the email designer script starts from (json_script): the posted design after a refused save."""
    languages = _languages(step.store)
    design = step.design or {}
    if form.is_bound:
        try:
            posted = json.loads(form.data.get("design") or "null")
        except ValueError:
            posted = None
        if isinstance(posted, dict):
            design = posted
    editor = form.data.get("editor") if form.is_bound else step.editor
    default = step.store.default_language
    problems = _design_problems(getattr(form, "design_errors", {}))
    first_problem = next((p["language"] for p in problems if p["language"] in languages), None)
    return {
        "languages": [
            {"code": code, "name": LANGUAGE_NAMES.get(code, code), "offered": code in step.store.offered_languages}
            for code in languages
        ],
        "default_language": default,
        "language": first_problem or default,
        "editor": editor if editor in StepEditor.values else StepEditor.BLOCKS,
        "design": {code: blocks for code, blocks in design.items() if isinstance(blocks, list)},
        "blocks": designer.block_types(),
        "variables": designer.variables(step.flow.kind),
        "starters": {code: designer.starter_design(step, code) for code in languages},
        "problems": problems,
        "preview_url": reverse("dashboard:step_preview", kwargs={"pk": step.pk}),
        "strings": designer.strings(),
    }


def _editor_context(request, step, form, variant_form=None):
    variant_languages = [(code, LANGUAGE_NAMES.get(code, code)) for code in step.store.offered_languages]
    variants = results_for(step)
    for result in variants:
        draft = step_draft(step=step)
        draft.subject = {step.store.default_language: (result.variant.subject or {}).get(step.store.default_language)}
        result.variant.title = sample_subject(draft) or "—"
    return {
        "step": step,
        "flow": step.flow,
        "form": form,
        "manual": bool((step.conditions or {}).get("manual")),
        "variants": variants,
        "variant_form": variant_form or variant_form_for(variant_languages)(),
        "test_address": request.user.email,
        "designer": _designer_config(request, step, form),
    }


@member_required("edit_flows")
def step_edit(request, pk: int):
    step = step_for_store(store=request.store, pk=pk)
    form = _step_form(step, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            step_update(
                step=step,
                delay_minutes=form.delay_minutes(),
                enabled=form.cleaned_data["enabled"],
                exit_on_order=form.cleaned_data["exit_on_order"],
                incentive_kind=form.cleaned_data["incentive_kind"] or "",
                incentive_value=form.cleaned_data["incentive_value"] or 0,
                incentive_valid_days=form.cleaned_data["incentive_valid_days"],
                incentive_monthly_budget=form.cleaned_data["incentive_monthly_budget"],
                incentive_pool_id=form.cleaned_data["incentive_pool"],  # None: codes Afterglow makes
                subject=form.content("subject"),
                preheader=form.content("preheader"),
                body=form.content("body"),
                send_window_minutes=form.send_window_minutes(),
                editor=form.cleaned_data.get("editor") or None,
                design=form.cleaned_data.get("design"),
                **({"on_reason": on_reason} if (on_reason := form.on_reason()) is not None else {}),
            )
        except StepInvalid as exc:
            form.add_service_errors(exc.errors)
        else:
            messages.success(request, _("Saved %(step)s.") % {"step": step.key})
            return redirect("dashboard:step_edit", pk=step.pk)
    status = 400 if form.errors else 200
    return render(request, "dashboard/step_edit.html", _editor_context(request, step, form), status=status)


def _draft_from(step, data):
    """The step as the form shows it, unsaved, and the language to show: for previews and test sends. The
    designer's blocks are checked as a save checks them; what is wrong is returned (check_design's keys)."""
    languages = _languages(step.store)
    language = data.get("preview_language") if data.get("preview_language") in languages else None
    language = language or step.store.default_language

    def part(name):
        return {
            code: data.get(content_field_name(name, code), "")
            for code in languages
            if content_field_name(name, code) in data
        }

    design, design_errors = None, {}
    if (data.get("design") or "").strip():
        try:
            posted = json.loads(data["design"])
        except ValueError:
            posted = None
        design, design_errors = check_design(posted, languages)
    editor = data.get("editor") if data.get("editor") in StepEditor.values else None
    draft = step_draft(
        step=step,
        subject=part("subject"),
        preheader=part("preheader"),
        body=part("body"),
        editor=editor,
        design=None if design_errors else design,
    )
    if "incentive_kind" in data:
        draft.incentive_kind = data.get("incentive_kind") or ""
    return draft, language, design_errors


def _blocks_problem(design_errors: dict[str, str]) -> str:
    return "; ".join(designer.problem_words(message) for message in design_errors.values())


@require_POST
@member_required("edit_flows")
def step_preview(request, pk: int):
    """Render the unsaved edits with sample data. The HTML is kept briefly for the sandboxed frame that
    shows it: the email's inline styles need that frame's own policy, not the dashboard's.

    Asked for JSON (the email designer), it answers with the subject, the frame's address, and the
    problems of the blocks by language, index and setting (then nothing is rendered)."""
    step = step_for_store(store=request.store, pk=pk)
    draft, language, design_errors = _draft_from(step, request.POST)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if wants_json and design_errors:
        return JsonResponse({"language": language, "problems": _design_problems(design_errors)})
    try:
        if design_errors:
            raise TemplateError(_blocks_problem(design_errors))
        preview = preview_step(step=draft, language=language)
    except TemplateError as exc:
        if wants_json:
            return JsonResponse({"language": language, "error": str(exc), "problems": []})
        return render(request, "dashboard/_step_preview.html", {"error": str(exc), "language": language})
    key = secrets.token_urlsafe(16)
    cache.set(_preview_cache_key(request, step, key), preview.email.html, PREVIEW_SECONDS)
    if wants_json:
        frame = f"{reverse('dashboard:step_preview_frame', kwargs={'pk': step.pk})}?k={key}"
        return JsonResponse(
            {
                "language": language,
                "subject": preview.email.subject,
                "preheader": preview.email.preheader,
                "frame": frame,
                "problems": [],
            }
        )
    context = {
        "preview": preview,
        "language": language,
        "step": step,
        "key": key,
        "language_name": LANGUAGE_NAMES.get(language, language),
    }
    return render(request, "dashboard/_step_preview.html", context)


def _preview_cache_key(request, step, key: str) -> str:
    return f"step-preview:{request.store.pk}:{request.user.pk}:{step.pk}:{key}"


@xframe_options_sameorigin
@csp_override(EMAIL_PREVIEW_CSP)
@member_required("edit_flows")
def step_preview_frame(request, pk: int):
    step = step_for_store(store=request.store, pk=pk)
    html = cache.get(_preview_cache_key(request, step, request.GET.get("k", "")[:64]))
    if html is None:
        html = format_html("<p>{}</p>", _("This preview has expired. Change anything in the form to render it again."))
    return HttpResponse(html)


@require_POST
@member_required("edit_flows")
def step_test_send(request, pk: int):
    """Send what the form shows (saved or not) to the signed-in person, outside the ledger."""
    step = step_for_store(store=request.store, pk=pk)
    draft, language, design_errors = _draft_from(step, request.POST)
    to = request.user.email
    error = ""
    if not to:
        error = _("Your account has no email address to send the test to.")
    elif design_errors:
        error = _("Not sent: some blocks need a change (%(problem)s).") % {"problem": _blocks_problem(design_errors)}
    else:
        try:
            send_test(step=draft, language=language, to=to)
            store_record_test_send(store=request.store)
        except TemplateError as exc:
            error = _("Not sent: the template has an error (%(problem)s).") % {"problem": exc}
    if request.htmx:
        context = {"error": error, "to": to, "language_name": LANGUAGE_NAMES.get(language, language)}
        return render(request, "dashboard/_test_send.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Test sent to %(to)s.") % {"to": to})
    return redirect("dashboard:step_edit", pk=step.pk)


@require_POST
@member_required("edit_flows")
def variant_add(request, pk: int):
    step = step_for_store(store=request.store, pk=pk)
    subject = {
        code: request.POST.get(content_field_name("subject", code), "")[:255] for code in step.store.offered_languages
    }
    try:
        variant = add_variant(step=step, subject=subject)
    except StepInvalid as exc:
        messages.error(request, _("The variant was not added: %(problem)s") % {"problem": exc})
    else:
        messages.success(
            request,
            _("Variant %(label)s added: new emails are split between the subjects.") % {"label": variant.label},
        )
    return redirect(f"{_step_url(step)}#variants")


@require_POST
@member_required("edit_flows")
def variant_remove(request, pk: int):
    variant = variant_for_store(store=request.store, pk=pk)
    remove_variant(variant=variant)
    messages.success(request, _("Variant %(label)s removed.") % {"label": variant.label})
    return redirect(f"{_step_url(variant.step)}#variants")


def _step_url(step) -> str:
    return reverse("dashboard:step_edit", kwargs={"pk": step.pk})
