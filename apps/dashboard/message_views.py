"""The message log: every email, its state, what it said (or would say now), what the ESP reported, and
why; a planned email can be cancelled."""

import logging

from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from apps.campaigns.models import FlowKind, MessageStatus
from apps.campaigns.rendering import TemplateError
from apps.campaigns.selectors import (
    PLANNED_STATUSES,
    message_for_store,
    message_preview,
    message_subject_line,
    messages_for_store,
)
from apps.campaigns.services.messages import MessageNotCancellable
from apps.campaigns.services.messages import message_cancel as cancel_message
from apps.stores.permissions import can

from .access import member_required
from .listing import list_response, page_of

logger = logging.getLogger(__name__)

# A stored email is shown in a sandboxed frame with its own inline styles and remote images only.
EMAIL_PREVIEW_CSP = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["https:", "data:"],
    "frame-ancestors": ["'self'"],
}


@member_required("view_messages")
def message_list(request):
    filters = {
        "status": request.GET.get("status", ""),
        "flow": request.GET.get("flow", ""),
        "search": request.GET.get("q", ""),
    }
    messages = messages_for_store(store=request.store, **filters).select_related("customer", "variant")
    page = page_of(messages, request.GET.get("page"))
    for message in page.items:
        message.subject_line = message_subject_line(message=message, store=request.store)
    context = {
        "page": page,
        "filters": filters,
        "statuses": MessageStatus.choices,
        "flows": FlowKind.choices,
    }
    return list_response(request, "dashboard/message_list.html", context)


@member_required("view_messages")
def message_detail(request, pk: int):
    message = message_for_store(store=request.store, pk=pk)
    context = {
        "message": message,
        "subject_line": message_subject_line(message=message, store=request.store),
        "planned": message.status in PLANNED_STATUSES,
        "can_cancel": message.status == MessageStatus.SCHEDULED and can(request.membership, "edit_flows"),
    }
    return render(request, "dashboard/message_detail.html", context)


@xframe_options_sameorigin
@csp_override(EMAIL_PREVIEW_CSP)
@member_required("view_messages")
def message_body(request, pk: int):
    """The email in the detail page's frame: as it was sent; for a planned one, as it would go now
    (rendered on the spot: nothing is sent, no coupon is issued, nothing is written)."""
    message = message_for_store(store=request.store, pk=pk)
    if message.body_html:
        return HttpResponse(message.body_html)
    if message.status in PLANNED_STATUSES:
        try:
            email, _sample_coupon = message_preview(message=message)
        except TemplateError as exc:
            logger.info("Preview of message %s failed: %s", message.pk, exc)
            return HttpResponse(
                format_html("<p>{}</p>", _("This email cannot be shown: its step's template does not work yet."))
            )
        return HttpResponse(email.html)
    demo = any(isinstance(entry, dict) and entry.get("rule") == "demo" for entry in message.trace)
    if message.status == MessageStatus.SENT and demo:
        why = _("This is a demo email: the demo records what its emails did, not what they said.")
    elif message.status == MessageStatus.SENT:
        why = _("What this email said is no longer kept (it is erased with its buyer's data).")
    else:
        why = _("Nothing was sent, so there is nothing to show: the reason is under “Why”.")
    return HttpResponse(format_html("<p>{}</p>", why))


@require_POST
@member_required("edit_flows")
def message_cancel(request, pk: int):
    """Cancel a planned email: it becomes skipped, the row and its trace stay. Twice is refused, as is
    cancelling one that went (or is going) out."""
    message = message_for_store(store=request.store, pk=pk)
    user = request.user
    who = " ".join(part for part in (user.get_full_name(), f"<{user.email or user.get_username()}>") if part)
    try:
        cancel_message(message=message, by=who)
    except MessageNotCancellable as exc:
        status = MessageStatus(exc.status).label if exc.status in MessageStatus.values else exc.status
        if exc.status == MessageStatus.SKIPPED:
            flash.error(request, _("This email was not going out any more (it is skipped): nothing to cancel."))
        else:
            flash.error(
                request,
                _("Only a planned email can be cancelled; this one is “%(status)s”, so nothing changed.")
                % {"status": status},
            )
    else:
        flash.success(request, _("Cancelled: this email will not be sent. It stays in the log, marked skipped."))
    return redirect("dashboard:message_detail", pk=message.pk)
