import pytest

from audit.models import AuditEvent
from common.testing import make_child
from registry.services import InvalidChildData, RegistryError, child_close, child_reopen


def test_moving_away_needs_a_destination_and_is_audited(city):
    child = make_child(village=city.yuekou_community)
    with pytest.raises(InvalidChildData):
        child_close(actor=city.yuekou_supervisor, child=child, reason="moved_away")
    child_close(actor=city.yuekou_supervisor, child=child, reason="moved_away", destination="湖北省武汉市")
    assert child.closed_at and child.close_destination == "湖北省武汉市"
    event = AuditEvent.objects.get(action="close", object_id=str(child.pk))
    assert child.file_no in event.summary


def test_closing_twice_is_refused_and_reopen_recomputes(city):
    child = make_child(village=city.yuekou_community)
    child_close(actor=city.yuekou_supervisor, child=child, reason="other", note="重复录入")
    with pytest.raises(RegistryError):
        child_close(actor=city.yuekou_supervisor, child=child, reason="other")
    child_reopen(actor=city.yuekou_supervisor, child=child, note="误关闭")
    assert child.closed_at is None and child.close_reason == "" and child.migrant_status == "migrant"
