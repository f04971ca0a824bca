from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from apps.orders.selectors import order_by_tracking_token, order_for_lookup
from apps.stores.models import Store

from .forms import OrderLookupForm
from .throttle import allow, client_address

LOOKUPS_PER_WINDOW = 10
LOOKUP_WINDOW_SECONDS = 15 * 60


@never_cache
def tracking_page(request, token: str):
    order = order_by_tracking_token(token=token)
    if order is None:
        raise Http404
    return render(request, "tracking/page.html", {"order": order, "store": order.store})


@never_cache
def order_lookup(request, store_slug: str):
    store = get_object_or_404(Store, slug=store_slug)
    form = OrderLookupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not allow(
            f"lookup:{store.pk}:{client_address(request)}",
            limit=LOOKUPS_PER_WINDOW,
            window_seconds=LOOKUP_WINDOW_SECONDS,
        ):
            form.add_error(None, _("Too many attempts. Please wait a few minutes and try again."))
            status = 429
        elif form.is_valid():
            order = order_for_lookup(store=store, **form.cleaned_data)
            if order is not None:
                return redirect(order.get_tracking_url())
            # One answer for a wrong number and a wrong email alike, so orders cannot be enumerated.
            form.add_error(None, _("We could not find an order with those details."))
    return render(request, "tracking/lookup.html", {"store": store, "form": form}, status=status)
