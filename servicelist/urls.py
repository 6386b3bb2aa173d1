from django.urls import path, re_path

from servicelist import views

app_name = "servicelist"

urlpatterns = [
    # Public (no login): the list in force and the anonymous self-check.
    path("", views.public_list, name="public_list"),
    path("check/", views.public_check, name="public_check"),
    # The list's versions.
    path("versions/", views.versions, name="versions"),
    path("versions/new/", views.version_new, name="version_new"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("versions/<int:pk>/services/new/", views.service_edit, name="service_new"),
    path("versions/<int:pk>/services/<int:no>/", views.service_edit, name="service_edit"),
    path("versions/<int:pk>/preview/", views.version_preview, name="version_preview"),
    path("versions/<int:pk>/publish/", views.version_publish, name="version_publish"),
    # A child's entitlements and referrals.
    path("children/<int:pk>/", views.child, name="child"),
    path("children/<int:pk>/refer/", views.referral_new, name="referral_new"),
    path("children/<int:pk>/entitlements/<int:no>/", views.entitlement_status, name="entitlement_status"),
    path("children/<int:pk>/needs/", views.need_flag, name="need_flag"),
    path("referrals/", views.referrals, name="referrals"),
    # The department liaison's inbox.
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_detail, name="inbox_detail"),
    re_path(
        r"^inbox/(?P<pk>[0-9]+)/(?P<action>accept|reject|complete)/$", views.inbox_action, name="inbox_action"
    ),
    # Coverage gaps.
    path("gaps/", views.gaps, name="gaps"),
    path("gaps/export/", views.gaps_export, name="gaps_export"),
]
