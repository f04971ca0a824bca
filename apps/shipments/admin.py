from django.contrib import admin

from .models import Shipment, TrackingEvent


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0
    raw_id_fields = ["store"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["tracking_number", "carrier", "store", "status", "raw_status", "last_event_at"]
    list_filter = ["store", "status", "carrier"]
    search_fields = ["tracking_number", "external_id", "order__number"]
    raw_id_fields = ["store", "order"]
    show_full_result_count = False
    inlines = [TrackingEventInline]
