import pytest
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from common.testing import PASSWORD


def test_login_success_is_audited_with_ip(client, city):
    response = client.post(
        "/accounts/login/", {"username": "yuekou_supervisor", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302 and response["Location"] == "/"
    event = AuditEvent.objects.filter(action="login").latest("seq")
    assert event.actor == city.yuekou_supervisor and event.ip == "10.1.2.3"


def test_failed_login_is_audited_and_shows_chinese_error(client, city):
    response = client.post("/accounts/login/", {"username": "yuekou_supervisor", "password": "wrong"})
    assert "用户名或密码错误" in response.content.decode()
    assert AuditEvent.objects.filter(action="login_failed", object_id="yuekou_supervisor").exists()


def test_five_failures_lock_the_account_even_with_the_right_password(client, city):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "yuekou_supervisor", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "yuekou_supervisor", "password": PASSWORD})
    assert response.status_code == 200 and "锁定" in response.content.decode()
    assert AuditEvent.objects.filter(action="locked_out").exists()


def test_city_admin_must_pass_second_factor(client, city):
    response = client.post("/accounts/login/", {"username": "demo_admin", "password": PASSWORD})
    assert response["Location"].startswith("/accounts/otp/")
    assert client.get("/").status_code == 302  # still held at the OTP page
    page = client.get("/accounts/otp/")
    assert "绑定动态验证码令牌" in page.content.decode()
    device = TOTPDevice.objects.get(user=city.admin)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    response = client.post("/accounts/otp/", {"code": code})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_otp_code_is_refused(client, city):
    client.post("/accounts/login/", {"username": "demo_auditor", "password": PASSWORD})
    response = client.post("/accounts/otp/", {"code": "000000"})
    assert "验证码错误" in response.content.decode()


def test_supervisor_does_not_need_second_factor(client, city):
    client.post("/accounts/login/", {"username": "yuekou_supervisor", "password": PASSWORD})
    assert client.get("/").status_code == 200


@override_settings(SECOND_FACTOR_EXEMPT_USERNAMES=["demo_admin"])
def test_demo_exemption_lets_the_demo_admin_in(client, city):
    client.post("/accounts/login/", {"username": "demo_admin", "password": PASSWORD})
    assert client.get("/").status_code == 200


def test_token_api(client, city):
    response = client.post(
        "/api/v1/auth/token",
        {"username": "yuekou_director", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200 and len(response.json()["token"]) == 40
    bad = client.post(
        "/api/v1/auth/token",
        {"username": "yuekou_director", "password": "nope"},
        content_type="application/json",
    )
    assert bad.status_code == 400


def test_token_api_needs_otp_for_admin(client, city):
    response = client.post(
        "/api/v1/auth/token",
        {"username": "demo_admin", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 400 and "otp" in response.json()


@pytest.mark.parametrize("password", ["short1A!", "alllowercaseletters", "tianmen2025"])
def test_weak_passwords_are_rejected(password):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password(password)


def test_logout_requires_post_and_is_audited(client, city, login):
    login(city.yuekou_director)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(action="logout").exists()
