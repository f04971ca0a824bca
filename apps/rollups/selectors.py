from datetime import date

from apps.stores.models import Store

from .models import RollupState, StoreDay


def rollup_state_for(*, store: Store) -> RollupState | None:
    return RollupState.objects.filter(store=store).first()


def store_days(*, store: Store, first: date, last: date) -> dict[date, dict]:
    """The store's counted days from `first` to `last` (one query over the (store, day) unique index)."""
    rows = StoreDay.objects.filter(store=store, day__gte=first, day__lte=last).values_list("day", "figures")
    return dict(rows)
