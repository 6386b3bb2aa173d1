"""Included under /api/v1/services/ without a namespace (config/urls.py). The public contract
POST /api/v1/public/entitlements/check is routed in config/urls.py."""

from django.urls import path, re_path

from servicelist import api

urlpatterns = [
    path(
        "children/<int:pk>/entitlements",
        api.ChildEntitlementsView.as_view(),
        name="servicelist_api_child_entitlements",
    ),
    path("inbox", api.InboxView.as_view(), name="servicelist_api_inbox"),
    re_path(
        r"^inbox/(?P<pk>[0-9]+)/(?P<action>accept|reject|complete)$",
        api.InboxActionView.as_view(),
        name="servicelist_api_inbox_action",
    ),
]
