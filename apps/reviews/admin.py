from django.contrib import admin

from .models import Review, ReviewIncentive, ReviewPhoto, ReviewReward


class ReviewPhotoInline(admin.TabularInline):
    model = ReviewPhoto
    extra = 0
    fields = ("image", "width", "height")
    readonly_fields = fields
    can_delete = False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Read-only here: moderation goes through the dashboard (services), which keeps who did it and when."""

    list_display = ("store", "product", "rating", "title", "status", "submitted_at")
    list_filter = ("status", "rating", "store")
    search_fields = ("title", "text", "author_name", "order__number")
    inlines = [ReviewPhotoInline]
    readonly_fields = [field.name for field in Review._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ReviewIncentive)
class ReviewIncentiveAdmin(admin.ModelAdmin):
    list_display = ("store", "active", "kind", "value", "valid_days")


@admin.register(ReviewReward)
class ReviewRewardAdmin(admin.ModelAdmin):
    list_display = ("store", "order", "coupon", "created_at")
    readonly_fields = ("store", "order", "coupon")

    def has_add_permission(self, request):
        return False
