import pytest
from django.db import connection

from common import crypto
from registry.models import Child


def test_encrypt_round_trip_and_randomised():
    a, b = crypto.encrypt("420881201503042095"), crypto.encrypt("420881201503042095")
    assert a != b and a.startswith("v1:")
    assert crypto.decrypt(a) == "420881201503042095"


def test_blind_index_is_deterministic_and_keyed_by_kind():
    assert crypto.blind_index("13812345678", kind="phone") == crypto.blind_index("13812345678", kind="phone")
    assert crypto.blind_index("13812345678", kind="phone") != crypto.blind_index("13812345678", kind="id")


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt("13812345678")
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        crypto.decrypt(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))


def test_identifiers_are_not_stored_in_clear(city):
    from common.testing import make_child

    child = make_child(village=city.yuekou_community)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_masked FROM registry_child WHERE id = %s", [child.pk])
        stored, masked = cursor.fetchone()
    assert child.id_number not in stored and stored.startswith("v1:")
    assert masked == child.id_number[:6] + "********" + child.id_number[-4:]
    assert Child.objects.get(pk=child.pk).id_number == child.id_number
