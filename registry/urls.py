from django.urls import path

from registry import views

app_name = "registry"
urlpatterns = [
    path("", views.child_list, name="list"),
    path("new/", views.child_create, name="create"),
    path("new/check/", views.duplicate_check, name="duplicate_check"),
    path("<int:pk>/", views.child_detail, name="detail"),
    path("<int:pk>/edit/", views.child_edit, name="edit"),
    path("<int:pk>/reveal/", views.child_reveal, name="reveal"),
    path("<int:pk>/close/", views.child_close, name="close"),
    path("<int:pk>/reopen/", views.child_reopen, name="reopen"),
    path("<int:pk>/transfer/", views.transfer_request, name="transfer_request"),
    path("<int:pk>/transfer-file/", views.transfer_file, name="transfer_file"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("transfers/", views.transfer_inbox, name="transfers"),
    path("transfers/<int:pk>/", views.transfer_decide, name="transfer_decide"),
    path("closures/", views.closure_list, name="closures"),
    path("closures/<int:pk>/", views.closure_decide, name="closure_decide"),
    path("census/", views.census_index, name="census"),
    path("census/open/", views.census_open, name="census_open"),
    path("census/<int:pk>/", views.census_progress, name="census_progress"),
    path("census/<int:pk>/close/", views.census_close, name="census_close"),
    path("census/<int:pk>/verify/", views.census_worklist, name="census_worklist"),
    path("census/tasks/<int:pk>/", views.census_task, name="census_task"),
    path("census/tasks/<int:pk>/update/", views.census_task_update, name="census_task_update"),
]
