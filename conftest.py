import pytest


@pytest.fixture
def city(db):
    """The demo city's places and the eight personas (see common/testing.py)."""
    from common.testing import build_city

    return build_city()


@pytest.fixture
def login(client):
    """Log a persona in (second factor marked as verified for roles that need it)."""

    def _login(user):
        client.force_login(user)
        session = client.session
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="测试令牌", defaults={"confirmed": True})
        session["otp_device_id"] = device.persistent_id
        session.save()
        return client

    return _login
