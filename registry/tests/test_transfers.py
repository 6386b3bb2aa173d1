import pytest
from django.core.exceptions import PermissionDenied

from access.policy import children_visible
from common.testing import make_child
from registry.selectors import transfers_incoming
from registry.services import RegistryError, transfer_accept, transfer_reject, transfer_request


@pytest.fixture
def child(city):
    return make_child(village=city.yuekou_community)


def test_accepted_transfer_moves_visibility(city, child):
    transfer = transfer_request(
        actor=city.yuekou_supervisor, child=child, to_township=city.duobao, reason="随父母到多宝镇务工"
    )
    assert list(transfers_incoming(city.duobao_supervisor)) == [transfer]
    assert not transfers_incoming(city.yuekou_supervisor).exists()
    with pytest.raises(PermissionDenied):
        transfer_accept(actor=city.yuekou_supervisor, transfer=transfer)
    transfer_accept(actor=city.duobao_supervisor, transfer=transfer, to_village=city.duobao_village)
    child.refresh_from_db()
    assert child.township == city.duobao and child.village == city.duobao_village
    assert children_visible(city.duobao_supervisor).filter(pk=child.pk).exists()
    assert not children_visible(city.yuekou_director).filter(pk=child.pk).exists()
    assert not children_visible(city.yuekou_supervisor).filter(pk=child.pk).exists()


def test_one_pending_transfer_and_not_to_the_same_township(city, child):
    with pytest.raises(RegistryError):
        transfer_request(actor=city.yuekou_supervisor, child=child, to_township=city.yuekou, reason="x")
    transfer_request(actor=city.yuekou_supervisor, child=child, to_township=city.duobao, reason="务工")
    with pytest.raises(RegistryError):
        transfer_request(actor=city.yuekou_supervisor, child=child, to_township=city.duobao, reason="务工")


def test_out_of_scope_supervisor_cannot_request(city, child):
    with pytest.raises(PermissionDenied):
        transfer_request(actor=city.duobao_supervisor, child=child, to_township=city.duobao, reason="务工")


def test_reject_needs_a_reason_and_keeps_the_child(city, child):
    transfer = transfer_request(
        actor=city.yuekou_supervisor, child=child, to_township=city.duobao, reason="务工"
    )
    with pytest.raises(RegistryError):
        transfer_reject(actor=city.duobao_supervisor, transfer=transfer, note="")
    transfer_reject(actor=city.duobao_supervisor, transfer=transfer, note="走访未找到该家庭")
    transfer.refresh_from_db()
    child.refresh_from_db()
    assert transfer.status == "rejected" and child.township == city.yuekou
