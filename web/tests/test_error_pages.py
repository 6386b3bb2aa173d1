"""Error pages are Chinese and the same in development as in production: nobody sees
Django's debug page with its list of URL patterns."""

import importlib

import pytest
from django.test import Client
from django.urls import path


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom)]


def test_development_settings_keep_debug_pages_off_unless_asked(monkeypatch):
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    dev = importlib.reload(importlib.import_module("config.settings.dev"))
    assert dev.DEBUG is False
    # runserver serves no static files with DEBUG off: WhiteNoise serves them from the finders.
    assert dev.WHITENOISE_USE_FINDERS is True
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    assert importlib.reload(dev).DEBUG is True


def test_404_is_chinese_and_lists_no_urls(city, login, client):
    login(city.yuekou_director)
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "未找到该页面或档案" in page and 'lang="zh-CN"' in page
    assert "URLconf" not in page and "Page not found" not in page
    assert "走访关爱" in page  # the menu is there: a way back


def test_404_for_an_anonymous_visitor_offers_the_login(db, client):
    page = client.get("/no-such-page/").content.decode()
    assert "未找到该页面" in page and "/accounts/login/" in page


def test_403_is_chinese(db, client):
    from accounts.models import User

    client.force_login(User.objects.create_user("nobody", password="Aa-123456789"))
    response = client.get("/")
    assert response.status_code == 403 and "无权使用此功能" in response.content.decode()


def test_csrf_failure_is_chinese_and_says_what_to_do(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in page and "刷新后重新填写" in page
    assert "CSRF verification failed" not in page and "Forbidden" not in page


@pytest.mark.urls("web.tests.test_error_pages")
def test_500_is_chinese(db):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "系统出现错误" in page and "Traceback" not in page and "RuntimeError" not in page
