from django.contrib import admin

from .models import CaseEvent, CriticCase, NpsResponse, SavedReply


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


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "language", "store")
    list_filter = ("language", "store")


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ("case", "kind", "author", "happened_at")
    list_filter = ("kind",)
    raw_id_fields = ("case", "author")
    readonly_fields = ("email_message_id", "esp_message_id", "inbound_event_id", "created_at", "modified_at")
