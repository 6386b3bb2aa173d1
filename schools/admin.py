from django.contrib import admin

from schools.models import School


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "township", "active"]
    list_filter = ["kind", "township"]
    search_fields = ["name"]
