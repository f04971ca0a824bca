from django.contrib import admin

from .models import Cart, CartLine, Order, OrderLine, Product


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["product", "store"]


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["product", "store"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "price", "in_stock", "replenishment_days"]
    list_filter = ["store", "in_stock"]
    search_fields = ["name", "sku", "external_id"]
    raw_id_fields = ["store"]
    filter_horizontal = ["related_products"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "store", "email", "status", "total", "currency", "placed_at"]
    list_filter = ["store", "status", "source"]
    search_fields = ["number", "external_id", "email"]
    date_hierarchy = "placed_at"
    raw_id_fields = ["store", "customer"]
    list_select_related = ["store"]
    show_full_result_count = False
    inlines = [OrderLineInline]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["external_id", "store", "email", "subtotal", "updated_at", "converted_order"]
    list_filter = ["store"]
    search_fields = ["external_id", "email"]
    raw_id_fields = ["store", "customer", "converted_order"]
    show_full_result_count = False
    inlines = [CartLineInline]
