"""The message log: every email, its state, what it said, what the ESP reported, and why."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

from apps.campaigns.models import FlowKind, MessageStatus
from apps.campaigns.selectors import message_for_store, messages_for_store

from .access import member_required
from .listing import list_response, page_of

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
    messages = messages_for_store(store=request.store, **filters)
    context = {
        "page": page_of(messages, request.GET.get("page")),
        "filters": filters,
        "statuses": MessageStatus.choices,
        "flows": FlowKind.choices,
    }
    return list_response(request, "dashboard/message_list.html", context)


@member_required("view_messages")
def message_detail(request, pk: int):
    message = message_for_store(store=request.store, pk=pk)
    return render(request, "dashboard/message_detail.html", {"message": message})


@xframe_options_sameorigin
@csp_override(EMAIL_PREVIEW_CSP)
@member_required("view_messages")
def message_body(request, pk: int):
    message = message_for_store(store=request.store, pk=pk)
    return HttpResponse(
        message.body_html or format_html("<p>{}</p>", _("Not rendered yet: the message has not been sent."))
    )
