"""City administrators maintain the feed sources here: add a department's new feed, adjust
header synonyms, clear a saved column mapping, choose what a linked row does."""

from django.contrib import admin

from exchange.models import FeedBatch, FeedSource


@admin.register(FeedSource)
class FeedSourceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department", "effect", "registers_new", "active", "effective_from")
    list_filter = ("effect", "active")
    search_fields = ("code", "name")


@admin.register(FeedBatch)
class FeedBatchAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "source",
        "via",
        "status",
        "total_rows",
        "linked",
        "review",
        "new",
        "rejected",
        "created_at",
    )
    list_filter = ("source", "status", "via")
    readonly_fields = [f.name for f in FeedBatch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
