from django.urls import path

from care import api, public_views, views

app_name = "care"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("register/", views.register, name="register"),
    path("compliance/", views.compliance, name="compliance"),
    path("notifications/", views.notifications, name="notifications"),
    path("child/<int:pk>/", views.child, name="child"),
    path("child/<int:pk>/visit/", views.visit_create, name="visit_create"),
    path("child/<int:pk>/flag/", views.flag_create, name="flag_create"),
    path("child/<int:pk>/assessment/<slug:code>/", views.assessment_create, name="assessment_create"),
    path("child/<int:pk>/escalation/", views.escalation_create, name="escalation_create"),
    path("visit/<int:pk>/", views.visit_detail, name="visit_edit"),
    path("follow-up/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("flag/<int:pk>/close/", views.flag_close, name="flag_close"),
    path("flag/<int:pk>/approve/", views.flag_approve, name="flag_approve"),
    path("exit/<int:pk>/", views.exit_decide, name="exit_decide"),
    path("escalation/<int:pk>/document/", views.escalation_document, name="escalation_document"),
    path("intake/", views.intake, name="intake"),
    path("intake/<int:pk>/", views.intake_detail, name="intake_detail"),
    path("intake/<int:pk>/reveal/", views.intake_reveal, name="intake_reveal"),
    # Public: no account needed (access.public.PUBLIC_URL_NAMES).
    path("help/", public_views.help_request, name="help_request"),
    path("help/done/", public_views.help_request_done, name="help_request_done"),
    # The mini-program's endpoint sits here so that its name is care:api_help_request.
    path("api/help-requests", api.HelpRequestView.as_view(), name="api_help_request"),
]
