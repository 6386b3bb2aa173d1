"""Included under /api/v1/registry/ without a namespace (config/urls.py)."""

from django.urls import path

from registry import api

urlpatterns = [
    path("children/", api.ChildListView.as_view(), name="registry_api_children"),
    path("children/<int:pk>/", api.ChildDetailView.as_view(), name="registry_api_child"),
]
