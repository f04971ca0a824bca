from django.contrib import admin

from .models import PageEvent


@admin.register(PageEvent)
class PageEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "store", "block", "kind", "target")
    list_filter = ("block", "kind", "store")
    raw_id_fields = ("order",)
