"""The Django admin holds reference data only (places, departments, schools, users and
policy tables). Children's files are not in it: they are reached through the access layer.
Only city administrators may enter it, whatever their Django staff flags say."""

from django.contrib import admin

from access.policy import has_capability


def _admin_has_permission(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_authenticated and has_capability(user, "places.manage"))


admin.site.has_permission = _admin_has_permission
admin.site.site_header = "流动儿童关爱保护 · 基础数据管理"
admin.site.site_title = "基础数据管理"
admin.site.index_title = "基础数据"
