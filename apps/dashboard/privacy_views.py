"""GDPR requests for one buyer: a JSON export of everything held about them, and erasure (owners only)."""

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from apps.customers.privacy import EraseError, erased_email
from apps.customers.privacy import customer_erase as erase_customer
from apps.customers.privacy import customer_export as export_customer
from apps.customers.selectors import customer_for_store

from .access import member_required
from .forms import EraseForm


@never_cache
@member_required("manage_privacy")
def customer_export(request, pk: int):
    customer = customer_for_store(store=request.store, pk=pk)
    data = export_customer(customer=customer)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    return response


@member_required("manage_privacy")
def customer_erase(request, pk: int):
    customer = customer_for_store(store=request.store, pk=pk)
    form = EraseForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                erase_customer(customer=customer, confirm_email=form.cleaned_data["confirm_email"])
            except EraseError as exc:
                form.add_error("confirm_email", str(exc))
            else:
                messages.success(request, _("The customer's personal data was erased. Orders and totals remain."))
                return redirect("dashboard:customer_detail", pk=customer.pk)
        messages.error(request, _("Nothing was erased: the confirmation did not match."))
        return redirect("dashboard:customer_erase", pk=customer.pk)
    context = {"customer": customer, "form": form, "erased_email": erased_email(customer)}
    return render(request, "dashboard/customer_erase.html", context)
