from django.contrib import admin

from schools.models import Obligation, School


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "township", "active"]
    list_filter = ["kind", "township"]
    search_fields = ["name"]


@admin.register(Obligation)
class ObligationAdmin(admin.ModelAdmin):
    """Read only: obligations change by a new version (fixture and data migration), and
    calendars through the schools pages, where each change is audited."""

    list_display = ["code", "name", "cadence", "scope", "min_grade", "effective_from", "effective_to"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
