from django.urls import path

from exchange import api

urlpatterns = [
    path("push", api.PushView.as_view(), name="exchange-push"),
    path("batches", api.BatchListView.as_view(), name="exchange-batches"),
    path("batches/<int:pk>", api.BatchReportView.as_view(), name="exchange-batch"),
]
