from django.urls import path

from ledger import views

app_name = "ledger"
urlpatterns = [
    path("import/", views.upload, name="upload"),
    path("import/<int:pk>/", views.preview, name="preview"),
    path("import/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("import/<int:pk>/rejected.xlsx", views.rejected_download, name="rejected"),
    path("export/", views.export, name="export"),
]
