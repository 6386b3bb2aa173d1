from django.urls import path

from network import views

app_name = "network"
urlpatterns = [
    path("", views.index, name="index"),
    path("roster/", views.roster, name="roster"),
    path("training/", views.training, name="training"),
    path("training/new/", views.training_new, name="training_new"),
]
