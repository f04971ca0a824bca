from django.contrib import admin

from .models import Flow, FlowStep, Message, ScanRun


class FlowStepInline(admin.TabularInline):
    model = FlowStep
    extra = 0
    fields = ["key", "position", "enabled", "delay_minutes", "trigger_status", "incentive_kind", "incentive_value"]


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "kind", "enabled", "priority"]
    list_filter = ["kind", "enabled", "store"]
    inlines = [FlowStepInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["email", "store", "step", "status", "scheduled_for", "sent_at"]
    list_filter = ["status", "transactional", "store"]
    search_fields = ["email", "subject_key", "esp_message_id"]
    raw_id_fields = ["store", "step", "customer", "order", "cart", "shipment", "product", "variant", "attributed_order"]
    show_full_result_count = False


@admin.register(ScanRun)
class ScanRunAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "store",
        "local_day",
        "started_at",
        "finished_at",
        "candidates",
        "messages_created",
        "error",
    ]
    list_filter = ["name"]
    raw_id_fields = ["store"]
