from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apps.campaigns.scans import SCANS
from apps.campaigns.selectors import messages_for_customer, scan_runs_for_store
from apps.campaigns.services.scan_runs import scan_run_queue
from apps.customers.models import RfmSegment
from apps.customers.selectors import customer_for_store, customers_for_store
from apps.feedback.selectors import nps_responses_for_customer
from apps.integrations.adapters import PayloadError
from apps.integrations.models import Outcome, Source
from apps.integrations.registry import adapter_for
from apps.integrations.selectors import inbound_event_for_store, inbound_events_for_store
from apps.integrations.services.inbound import inbound_replay as replay_inbound_event
from apps.orders.models import OrderStatus
from apps.orders.selectors import orders_for_store
from apps.shipments.carriers import carrier_choices
from apps.shipments.models import ShipmentStatus
from apps.shipments.selectors import order_for_store, shipment_for_store, shipments_for_dashboard, shipments_for_orders
from apps.stores.permissions import can
from apps.stores.tenancy import switch_store

from .access import member_required
from .forms import StoreSwitchForm
from .listing import list_response, page_of
from .reports import PERIODS, block_rows, home_report, period_from


@member_required()
def home(request):
    if not can(request.membership, "view_reports"):
        # Support works the critics queue; the store's figures are for owners and managers.
        return redirect("dashboard:critic_list")
    days = period_from(request.GET.get("days"))
    context = {"home": home_report(store=request.store, days=days), "days": days, "periods": PERIODS}
    context["overview"] = context["home"].overview
    template = "dashboard/home.html"
    if request.htmx and request.htmx.target == "home-figures":
        template = "dashboard/_home_figures.html"
    return render(request, template, context)


@member_required("view_reports")
def tracking_report(request):
    days = period_from(request.GET.get("days"))
    since = timezone.now() - timedelta(days=days)
    rows = block_rows(store=request.store, since=since)
    context = {"rows": rows, "days": days, "periods": PERIODS}
    return render(request, "dashboard/tracking_report.html", context)


@member_required("view_orders")
def order_list(request):
    filters = {"search": request.GET.get("q", ""), "status": request.GET.get("status", "")}
    orders = orders_for_store(store=request.store, **filters)
    context = {"page": page_of(orders, request.GET.get("page")), "filters": filters, "statuses": OrderStatus.choices}
    return list_response(request, "dashboard/order_list.html", context)


@member_required("view_orders")
def order_detail(request, pk: int):
    order = order_for_store(store=request.store, pk=pk)
    return render(request, "dashboard/order_detail.html", {"order": order})


@member_required("view_shipments")
def shipment_list(request):
    filters = {
        "search": request.GET.get("q", ""),
        "status": request.GET.get("status", ""),
        "carrier": request.GET.get("carrier", ""),
        "attention": request.GET.get("attention") == "1",
    }
    shipments = shipments_for_dashboard(store=request.store, **filters)
    context = {
        "page": page_of(shipments, request.GET.get("page")),
        "filters": filters,
        "statuses": ShipmentStatus.choices,
        "carriers": carrier_choices(),
    }
    return list_response(request, "dashboard/shipment_list.html", context)


@member_required("view_shipments")
def shipment_detail(request, pk: int):
    shipment = shipment_for_store(store=request.store, pk=pk)
    return render(request, "dashboard/shipment_detail.html", {"shipment": shipment})


@member_required("view_customers")
def customer_list(request):
    filters = {
        "search": request.GET.get("q", ""),
        "consent": request.GET.get("consent", ""),
        "suppressed": request.GET.get("suppressed", ""),
    }
    customers = customers_for_store(store=request.store, **filters)
    segment = request.GET.get("segment", "")
    if segment in RfmSegment.values:
        customers = customers.filter(rfm_segment=segment)
    context = {
        "page": page_of(customers, request.GET.get("page")),
        "filters": {**filters, "segment": segment},
        "segments": RfmSegment.choices,
    }
    return list_response(request, "dashboard/customer_list.html", context)


@member_required("view_customers")
def customer_detail(request, pk: int):
    customer = customer_for_store(store=request.store, pk=pk)
    orders = list(orders_for_store(store=request.store).filter(customer=customer)[:50])
    context = {
        "customer": customer,
        "orders": orders,
        "shipments": shipments_for_orders(store=request.store, order_ids=[order.pk for order in orders]),
        "messages_sent": messages_for_customer(store=request.store, customer=customer),
        "nps_responses": nps_responses_for_customer(store=request.store, customer=customer),
        "consent_events": customer.consent_events.all()[:20],
        "can_privacy": can(request.membership, "manage_privacy"),
    }
    return render(request, "dashboard/customer_detail.html", context)


@require_POST
@member_required()
def store_switch(request):
    form = StoreSwitchForm(request.POST)
    if form.is_valid():
        switch_store(request, store_id=form.cleaned_data["store_id"])
    # Home, not the page they were on: an id from the old store would be a 404 in the new one.
    return redirect("dashboard:home")


@member_required("view_inbound")
def inbound_list(request):
    filters = {
        "source": request.GET.get("source", ""),
        "outcome": request.GET.get("outcome", ""),
        "search": request.GET.get("q", ""),
    }
    events = inbound_events_for_store(store=request.store, **filters)
    context = {
        "page": page_of(events, request.GET.get("page")),
        "filters": filters,
        "sources": Source.choices,
        "outcomes": Outcome.choices,
    }
    return list_response(request, "dashboard/inbound_list.html", context)


@member_required("view_inbound")
def inbound_detail(request, pk: int):
    event = inbound_event_for_store(store=request.store, pk=pk)
    return render(
        request,
        "dashboard/inbound_detail.html",
        {"event": event, "can_replay": event.outcome != Outcome.REJECTED and adapter_for(event.source) is not None},
    )


@require_POST
@member_required("replay_inbound")
def inbound_replay(request, pk: int):
    event = inbound_event_for_store(store=request.store, pk=pk)
    adapter = adapter_for(event.source)
    if adapter is None:
        messages.error(request, _("This source can no longer be replayed."))
    else:
        try:
            event = replay_inbound_event(event=event, adapter=adapter)
        except PayloadError as exc:
            messages.error(request, str(exc))
        else:
            if event.outcome == Outcome.FAILED:
                messages.error(request, _("Replayed, and it failed again: %(error)s") % {"error": event.error})
            else:
                messages.success(
                    request, _("Replayed: %(summary)s.") % {"summary": event.summary or event.get_outcome_display()}
                )
    return redirect("dashboard:inbound_detail", pk=pk)


# What each periodic scan (apps/campaigns/scans) looks for, in the merchant's words.
SCAN_LABELS = {
    "abandoned_carts": gettext_lazy("Abandoned carts"),
    "delivery_watch": gettext_lazy("Stuck parcels"),
    "lapsed_customers": gettext_lazy("Lapsed customers (win-back)"),
    "overdue_reviews": gettext_lazy("Review requests due"),
    "replenishment": gettext_lazy("Replenishment reminders"),
    "rfm": gettext_lazy("Customer segments (RFM)"),
}


def _scan_label(name: str) -> str:
    return str(SCAN_LABELS.get(name, name.replace("_", " ")))


@member_required("view_reports")
def scan_run_list(request):
    """The periodic scans' recent runs for this store: when, how long, what they found and planned; an owner
    may start one now."""
    runs = list(scan_runs_for_store(store=request.store))
    for run in runs:
        run.label = _scan_label(run.name)
    context = {
        "runs": runs,
        "scans": [(name, _scan_label(name)) for name in sorted(SCANS)],
        "can_run": can(request.membership, "run_scans"),
    }
    return render(request, "dashboard/scan_run_list.html", context)


@require_POST
@member_required("run_scans")
def scan_run_start(request):
    """Queue one run of a scan for this store, in a worker (never in the request); not a second one while it
    is queued or running."""
    name = request.POST.get("name", "")
    if name not in SCANS:
        messages.error(request, _("Choose one of the scans listed below."))
    elif scan_run_queue(store=request.store, name=name):
        messages.success(
            request,
            _("%(scan)s: queued. It runs in the background and appears in the list when it starts.")
            % {"scan": _scan_label(name)},
        )
    else:
        messages.info(
            request,
            _("%(scan)s is already queued or running for this store: it was not queued again.")
            % {"scan": _scan_label(name)},
        )
    return redirect("dashboard:scan_run_list")
