from django.contrib import admin

from places.models import County, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "kind", "parent", "active"]
    list_filter = ["level", "kind", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "province_name", "prefecture_name", "current"]
    list_filter = ["current", "province_name"]
    search_fields = ["code", "name"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
