from django.urls import path

from exchange import views

app_name = "exchange"
urlpatterns = [
    path("", views.batches, name="batches"),
    path("upload/", views.upload, name="upload"),
    path("batches/<int:pk>/", views.batch, name="batch"),
    path("batches/<int:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("batches/<int:pk>/report.xlsx", views.batch_report, name="batch_report"),
    path("batches/<int:pk>/mapping/", views.mapping, name="mapping"),
    path("batches/<int:pk>/rollback/", views.rollback, name="rollback"),
    path("review/", views.review_queue, name="review"),
    path("review/<int:pk>/", views.review_item, name="review_item"),
    path("national-export/", views.national_export, name="national_export"),
    path("children/<int:child_pk>/", views.child_feeds, name="child_feeds"),
]
