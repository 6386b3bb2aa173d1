"""One closing function, one set of consequences (issue 15, item 5): every path that closes a
file — closing it, an update whose facts end it, the daily recompute, the bulk path, an approved
closure proposal — leaves no pending transfer, no pending census task, no pending proposal and no
work-list row, keeps the reason and the date, and names the consequences in the audit row."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditEvent
from care import selectors as care_selectors
from care import services as care
from care.models import CareStatus
from care.status import refresh_child
from common.testing import make_child
from registry import closing
from registry.bulk import children_update_many
from registry.models import CensusRound, CensusTask, Child, ClosureProposal, Transfer
from registry.services import (
    RegistryError,
    census_open,
    census_verify,
    child_close,
    child_update,
    input_from_child,
    status_recompute,
    transfer_accept,
    transfer_request,
)

TODAY = dt.date.today()


def _open_round(city) -> CensusRound:
    return census_open(
        actor=city.admin,
        name="2026年秋季摸排",
        period_start=TODAY,
        period_end=TODAY + dt.timedelta(days=30),
        deadline=TODAY + dt.timedelta(days=20),
    )


def _busy_child(city, *, proposal: bool = True, **fields) -> Child:
    """A child with everything a closing must settle: a pending transfer, a pending census task,
    a pending closure proposal, a home visit due, a key-attention contact due and an exit request
    from the register waiting for approval."""
    child = make_child(village=city.yuekou_community, arrival_date=TODAY - dt.timedelta(days=800), **fields)
    flag = care.flag_raise(actor=city.yuekou_supervisor, child=child, category="dropout", source="manual")
    care.flag_close(actor=city.yuekou_director, flag=flag, reason="已复学")  # an exit request pending
    refresh_child(child.pk)
    transfer_request(actor=city.yuekou_supervisor, child=child, to_township=city.duobao, reason="随父母务工")
    if CensusRound.objects.filter(status=CensusRound.Status.OPEN).exists() is False:
        _open_round(city)
    else:
        round_ = CensusRound.objects.get(status=CensusRound.Status.OPEN)
        CensusTask.objects.create(round=round_, child=child, township=child.township, village=child.village)
    if proposal:
        closing.closure_propose(
            actor=city.yuekou_director, child=child, reason="returned_home", note="听邻居说已回老家"
        )
    status = CareStatus.objects.get(child=child)
    assert status.needs_visit and status.key_attention and status.next_visit_due and status.next_contact_due
    child.refresh_from_db()
    return child


def _assert_closed_with_every_consequence(city, child: Child, reason: str, *, proposal_status="withdrawn"):
    child.refresh_from_db()
    assert child.closed_at == TODAY and child.close_reason == reason
    assert not Transfer.objects.filter(child=child, status=Transfer.Status.PENDING).exists()
    assert Transfer.objects.get(child=child).status == Transfer.Status.WITHDRAWN
    assert not CensusTask.objects.filter(child=child, status=CensusTask.Status.PENDING).exists()
    assert not ClosureProposal.objects.filter(child=child, status=ClosureProposal.Status.PENDING).exists()
    if proposal_status:
        assert ClosureProposal.objects.get(child=child).status == proposal_status
    status = CareStatus.objects.get(child=child)
    assert (status.needs_visit, status.key_attention, status.next_visit_due, status.next_contact_due) == (
        False,
        False,
        None,
        None,
    )
    for user in (city.yuekou_director, city.yuekou_supervisor, city.admin):
        assert not care_selectors.pending_exits(user).filter(child=child).exists()
        for which in care_selectors.WORKLISTS:
            listed = care_selectors.worklist(user, which=which, on=TODAY + dt.timedelta(days=400))
            assert not listed.filter(child_id=child.pk).exists(), which
    event = AuditEvent.objects.filter(action="close", object_id=str(child.pk)).latest("seq")
    assert event.changes["转移申请"] == ["待接收", "已撤回（档案关闭）"]
    assert event.changes["摸排核实"] == ["待核实", "档案已关闭"]
    assert event.changes["档案状态"][0] == "在档"


def test_closing_by_the_supervisor(city):
    child = _busy_child(city)
    child_close(actor=city.yuekou_supervisor, child=child, reason="moved_away", destination="湖北省武汉市")
    _assert_closed_with_every_consequence(city, child, "moved_away")
    assert child.close_destination == "湖北省武汉市"


def test_closing_through_an_update(city):
    child = _busy_child(city)
    data = dataclasses.replace(input_from_child(child), hukou_county_code="429006")
    changes = child_update(actor=city.yuekou_supervisor, child=child, data=data)
    assert changes["转移申请"] == ["待接收", "已撤回（档案关闭）"]
    _assert_closed_with_every_consequence(city, child, "hukou_transferred")


def test_closing_through_the_bulk_path(city):
    child = _busy_child(city)
    other = make_child(village=city.yuekou_community, name="王明")
    data = dataclasses.replace(input_from_child(child), hukou_county_code="429006")
    moved = dataclasses.replace(input_from_child(other), address="岳口镇新地址")
    children_update_many(actor=city.yuekou_supervisor, pairs=[(child, data), (other, moved)])
    _assert_closed_with_every_consequence(city, child, "hukou_transferred")
    other.refresh_from_db()
    assert other.closed_at is None and other.address == "岳口镇新地址"


def test_closing_by_the_daily_recompute_on_the_16th_birthday(city):
    birth = TODAY.replace(year=TODAY.year - 16)
    child = _busy_child(city, birth_date=birth, on=TODAY - dt.timedelta(days=1))
    assert child.migrant_status == "migrant"
    counts = status_recompute(on=TODAY)
    assert counts["turned_16"] == 1
    _assert_closed_with_every_consequence(city, child, "turned_16")


def test_closing_by_an_approved_proposal(city):
    child = _busy_child(city, proposal=False)
    proposal = closing.closure_propose(
        actor=city.yuekou_director,
        child=child,
        reason="moved_away",
        destination="河南省郑州市",
        note="全家搬往郑州",
    )
    child.refresh_from_db()
    assert child.closed_at is None  # a proposal closes nothing
    closing.closure_decide(actor=city.yuekou_supervisor, proposal=proposal, approve=True)
    _assert_closed_with_every_consequence(city, child, "moved_away", proposal_status="approved")
    assert (child.close_destination, child.close_note) == ("河南省郑州市", "全家搬往郑州")


def test_a_census_verdict_proposes_and_the_supervisor_decides(city):
    child = make_child(village=city.yuekou_community)
    census = _open_round(city)
    task = CensusTask.objects.get(round=census, child=child)
    census_verify(actor=city.yuekou_director, task=task, outcome="not_found", note="走访三次无人")
    child.refresh_from_db()
    assert child.closed_at is None
    proposal = ClosureProposal.objects.get(child=child)
    assert (proposal.status, proposal.reason, proposal.source) == ("pending", "not_found", "census")
    with pytest.raises(PermissionDenied):
        closing.closure_decide(actor=city.yuekou_director, proposal=proposal, approve=True)
    with pytest.raises(PermissionDenied):
        closing.closure_decide(actor=city.duobao_supervisor, proposal=proposal, approve=True)
    with pytest.raises(RegistryError):
        closing.closure_decide(actor=city.yuekou_supervisor, proposal=proposal, approve=False)
    closing.closure_decide(actor=city.yuekou_supervisor, proposal=proposal, approve=False, note="再核实一次")
    child.refresh_from_db()
    assert child.closed_at is None and ClosureProposal.objects.get(pk=proposal.pk).status == "rejected"


def test_a_moved_verdict_needs_the_destination_when_approved(city):
    child = make_child(village=city.yuekou_community)
    census = _open_round(city)
    task = CensusTask.objects.get(round=census, child=child)
    census_verify(actor=city.yuekou_director, task=task, outcome="moved", note="去年底搬走")
    proposal = ClosureProposal.objects.get(child=child)
    with pytest.raises(RegistryError, match="迁往地"):
        closing.closure_decide(actor=city.yuekou_supervisor, proposal=proposal, approve=True)
    closing.closure_decide(actor=city.yuekou_supervisor, proposal=proposal, approve=True, destination="不详")
    child.refresh_from_db()
    assert (
        child.closed_at == TODAY and child.close_reason == "moved_away" and child.close_destination == "不详"
    )
    assert CensusTask.objects.get(pk=task.pk).status == "moved"  # the verdict itself stays


def test_a_director_cannot_close_and_proposes_instead(city, client, login):
    child = make_child(village=city.yuekou_community)
    with pytest.raises(PermissionDenied):
        child_close(actor=city.yuekou_director, child=child, reason="other", note="重复")
    login(city.yuekou_director)
    response = client.post(
        reverse("registry:close", args=[child.pk]), {"reason": "duplicate", "note": "与另一份档案重复"}
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.closed_at is None
    assert ClosureProposal.objects.get(child=child).status == "pending"
    page = client.get(reverse("registry:detail", args=[child.pk])).content.decode()
    assert "关闭申请待审批" in page


def test_transfer_accept_refuses_a_closed_file(city):
    child = make_child(village=city.yuekou_community)
    transfer = transfer_request(
        actor=city.yuekou_supervisor, child=child, to_township=city.duobao, reason="务工"
    )
    # A closing written without the closing function (an old row, a manual fix): still refused.
    Child.objects.filter(pk=child.pk).update(closed_at=TODAY, close_reason="other")
    with pytest.raises(RegistryError, match="已关闭"):
        transfer_accept(actor=city.duobao_supervisor, transfer=transfer)
    child.refresh_from_db()
    assert child.township_id == city.yuekou.pk
