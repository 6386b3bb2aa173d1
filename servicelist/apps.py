from django.apps import AppConfig


class ServicelistConfig(AppConfig):
    name = "servicelist"
    verbose_name = "基础服务清单与转介"
