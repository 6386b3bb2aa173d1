from django.urls import path

from schools import views

app_name = "schools"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.school_detail, name="school_detail"),
    path("calendar/", views.calendar_list, name="calendar_list"),
    path("calendar/new/", views.calendar_edit, name="calendar_new"),
    path("calendar/<int:pk>/edit/", views.calendar_edit, name="calendar_edit"),
    path("obligations/", views.obligation_list, name="obligations"),
    path("compliance/", views.compliance, name="compliance"),
    path("compliance/export/", views.compliance_export, name="compliance_export"),
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/new/", views.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/children/", views.activity_add_children, name="activity_add_children"),
    path("activities/<int:pk>/attachments/", views.activity_add_attachments, name="activity_add_attachments"),
    path(
        "activities/<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("community/", views.community, name="community"),
    path("psych/", views.psych_list, name="psych_list"),
    path("psych/<int:child_pk>/", views.psych_child, name="psych_child"),
    path("psych/<int:child_pk>/new/", views.psych_new, name="psych_new"),
]
