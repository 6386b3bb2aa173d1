from django.urls import path

from stats import api

app_name = "stats-api"
urlpatterns = [
    path("measures", api.MeasureListView.as_view(), name="measures"),
    path("measures/<str:name>", api.MeasureView.as_view(), name="measure"),
]
