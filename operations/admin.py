from django.contrib import admin

from operations.models import DailyRun


@admin.register(DailyRun)
class DailyRunAdmin(admin.ModelAdmin):
    list_display = ("on", "status", "started_at", "finished_at")
    readonly_fields = ("on", "status", "started_at", "finished_at", "steps")

    def has_add_permission(self, request):
        return False
