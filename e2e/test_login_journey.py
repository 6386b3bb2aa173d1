import pytest

from e2e.conftest import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_director_logs_in_on_a_phone_and_sees_the_workbench(phone, city):
    log_in(phone, "yuekou_director")
    assert phone.url.endswith("/")
    assert phone.locator("h1").inner_text() == "工作台"
    # The menu collapses behind the toggler on a 360 px screen.
    assert phone.locator(".navbar-toggler").is_visible()
    shot(phone, "login-director-phone")


def test_wrong_password_shows_a_chinese_error(phone, city):
    log_in(phone, "yuekou_director", "wrong-password")
    assert "用户名或密码错误" in phone.content()
    shot(phone, "login-wrong-password")


def test_city_admin_is_asked_to_enrol_a_second_factor(phone, city):
    log_in(phone, "demo_admin")
    assert "/accounts/otp/" in phone.url
    assert phone.locator("img[alt='二维码']").is_visible()
    shot(phone, "login-admin-otp")
