from django.urls import path

from stats import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("report/", views.report, name="report"),
    path("export.xlsx", views.export, name="export"),
    path("refresh/", views.refresh, name="refresh"),
]
