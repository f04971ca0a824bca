from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from apps.stores.models import Store

from .models import Customer


def customers_for_store(
    *, store: Store, search: str = "", consent: str = "", suppressed: str = ""
) -> QuerySet[Customer]:
    customers = Customer.objects.filter(store=store)
    if search:
        term = search.strip()
        if "@" in term:
            customers = customers.filter(email=term.lower())
        else:
            parts = term.split()
            name_filter = Q(last_name__iexact=parts[-1])
            if len(parts) > 1:
                name_filter &= Q(first_name__iexact=parts[0])
            else:
                name_filter |= Q(first_name__iexact=term) | Q(email__startswith=term.lower())
            customers = customers.filter(name_filter)
    if consent == "yes":
        customers = customers.filter(marketing_consent=True)
    elif consent == "no":
        customers = customers.filter(marketing_consent=False)
    if suppressed == "yes":
        customers = customers.filter(suppressed_at__isnull=False)
    return customers.order_by("-last_order_at", "-id")


def customer_for_store(*, store: Store, pk: int) -> Customer:
    return get_object_or_404(Customer.objects.filter(store=store), pk=pk)


def customer_counts(*, store: Store) -> dict[str, int]:
    from django.db.models import Count

    return Customer.objects.filter(store=store).aggregate(
        total=Count("id"),
        consenting=Count("id", filter=Q(marketing_consent=True, suppressed_at__isnull=True)),
        suppressed=Count("id", filter=Q(suppressed_at__isnull=False)),
    )


def customer_exists(*, store: Store, email: str) -> bool:
    return Customer.objects.filter(store=store, email=email.strip().lower()).exists()


def customer_with_store(*, pk: int) -> Customer | None:
    """One customer and their store, for pages reached through a signed buyer link."""
    return Customer.objects.select_related("store").filter(pk=pk).first()
