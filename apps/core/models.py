"""Abstract bases shared by every app. Concrete models live in their own apps."""

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantModel(TimeStampedModel):
    """A row that belongs to one store. Dashboard code reaches it only through store-scoped selectors."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True
