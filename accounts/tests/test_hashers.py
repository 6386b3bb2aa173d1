import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import override_settings

from accounts.hashers import Argon2idPasswordHasher
from accounts.models import User
from config.settings import base

PASSWORD = "Tianmen-2025-ok"


@pytest.fixture
def production_hashers():
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        yield


def test_new_passwords_are_argon2id_at_owasp_parameters(production_hashers):
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert isinstance(identify_hasher(encoded), Argon2idPasswordHasher)
    assert check_password(PASSWORD, encoded)
    assert not check_password("wrong-password-1", encoded)


@pytest.mark.django_db
def test_pbkdf2_hash_is_accepted_and_upgraded_at_login(production_hashers):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    user = User.objects.create(username="old_hash_user")
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt", iterations=1000)
    user.save()
    assert user.check_password(PASSWORD)
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")


@pytest.mark.django_db
def test_argon2_hash_with_other_parameters_is_upgraded(production_hashers):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    user = User.objects.create(username="heavy_hash_user")
    user.password = Argon2PasswordHasher().encode(PASSWORD, "saltsaltsalt")  # Django's 100 MiB default
    user.save()
    assert user.check_password(PASSWORD)
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password
