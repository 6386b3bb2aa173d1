from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "重点关注与走访"
