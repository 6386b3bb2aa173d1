from django.contrib import admin

from network.models import Department, Workstation


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "full_name", "active"]
    search_fields = ["code", "name", "full_name"]


@admin.register(Workstation)
class WorkstationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "unit", "phone"]
    list_filter = ["kind"]
