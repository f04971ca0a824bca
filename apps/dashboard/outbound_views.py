"""The outbound log: every call Afterglow made to a shop or tracking service, beside the inbound log."""

from apps.integrations.models import Source
from apps.integrations.selectors import outbound_calls_for_store

from .access import member_required
from .listing import list_response, page_of

# Sources Afterglow calls out to; the API, CSV uploads and feeds only ever come in.
OUTBOUND_SOURCES = [
    (value, label) for value, label in Source.choices if value not in {Source.API, Source.CSV, Source.FEED}
]


@member_required("view_inbound")
def outbound_list(request):
    source = request.GET.get("source", "")
    filters = {
        "source": source if source in dict(OUTBOUND_SOURCES) else "",
        "problems": request.GET.get("problems") == "1",
    }
    calls = outbound_calls_for_store(store=request.store, **filters)
    context = {"page": page_of(calls, request.GET.get("page")), "filters": filters, "sources": OUTBOUND_SOURCES}
    return list_response(request, "dashboard/outbound_list.html", context)
