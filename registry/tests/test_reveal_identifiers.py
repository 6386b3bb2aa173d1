import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from common.testing import make_child
from registry.services import reveal_identifiers


def test_reveal_returns_full_numbers_and_is_audited(city):
    child = make_child(village=city.yuekou_community)
    revealed = reveal_identifiers(actor=city.yuekou_director, child=child)
    assert revealed["id_number"] == child.id_number
    assert revealed["guardians"][0]["phone"] == "13812345678"
    event = AuditEvent.objects.get(action="reveal")
    assert event.object_id == str(child.pk) and child.id_number not in event.summary


def test_out_of_scope_and_teacher_cannot_reveal(city):
    child = make_child(village=city.yuekou_community)
    for user in (city.duobao_supervisor, city.teacher, city.leader):
        with pytest.raises(PermissionDenied):
            reveal_identifiers(actor=user, child=child)
    assert not AuditEvent.objects.filter(action="reveal").exists()
