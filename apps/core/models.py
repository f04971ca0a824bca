"""Abstract bases shared by every app. Concrete models live in their own apps."""

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def store_link(*, db_index: bool = True) -> models.ForeignKey:
    """A tenant row's store. `db_index=False` where the model's own indexes start with the store: the
    index of the store alone would then be a second copy to write on every insert and never the best read."""
    return models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+", db_index=db_index)


class TenantModel(TimeStampedModel):
    """A row that belongs to one store. Dashboard code reaches it only through store-scoped selectors."""

    store = store_link()

    class Meta:
        abstract = True
