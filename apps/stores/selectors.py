from django.db.models import QuerySet

from .models import Membership, Store


def memberships_for_user(*, user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("store").order_by("store__name")


def membership_for_user(*, user, store_id: int | None) -> Membership | None:
    """The membership to work in: the chosen store if the person belongs to it, else their first."""
    memberships = memberships_for_user(user=user)
    if store_id is not None:
        chosen = memberships.filter(store_id=store_id).first()
        if chosen:
            return chosen
    return memberships.first()


def store_by_slug(*, slug: str) -> Store | None:
    return Store.objects.filter(slug=slug).first()
