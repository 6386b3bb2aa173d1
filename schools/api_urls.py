from django.urls import path

from schools import api

urlpatterns = [
    path("obligations", api.ObligationList.as_view(), name="api-schools-obligations"),
    path("compliance", api.Compliance.as_view(), name="api-schools-compliance"),
]
