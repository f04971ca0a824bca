from django.contrib import admin

from .models import ConsentEvent, Customer


class ConsentEventInline(admin.TabularInline):
    model = ConsentEvent
    extra = 0
    readonly_fields = ["granted", "source", "occurred_at", "note"]
    can_delete = False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "store", "marketing_consent", "suppressed_at", "orders_count"]
    list_filter = ["store", "marketing_consent", "locale"]
    search_fields = ["email", "last_name", "external_id"]
    list_select_related = ["store"]
    raw_id_fields = ["store"]
    show_full_result_count = False
    inlines = [ConsentEventInline]
