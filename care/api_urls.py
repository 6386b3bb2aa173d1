"""Included under /api/v1/care/ without a namespace (config/urls.py). The public help-request
endpoint is in care/urls.py so that its name is care:api_help_request."""

from django.urls import path

from care import api

urlpatterns = [
    path("worklist", api.WorklistView.as_view(), name="care_api_worklist"),
    path("children/<int:pk>/visits", api.VisitCreateView.as_view(), name="care_api_visit_create"),
]
