from django.contrib import admin

from .models import CriticCase, NpsResponse


@admin.register(NpsResponse)
class NpsResponseAdmin(admin.ModelAdmin):
    list_display = ("order", "store", "score", "modified_at")
    list_filter = ("store",)
    raw_id_fields = ("order", "customer")
    readonly_fields = ("created_at", "modified_at")


@admin.register(CriticCase)
class CriticCaseAdmin(admin.ModelAdmin):
    list_display = ("pk", "store", "status", "assignee", "opened_at", "resolved_at")
    list_filter = ("status", "store")
    raw_id_fields = ("response", "assignee")
