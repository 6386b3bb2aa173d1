"""The key-attention register: raising flags, the last flag's exit by approval, automatic flags."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from care import services
from care.models import CareStatus, ExitRequest, RiskFlag
from care.services import CareError
from common.testing import make_child


def test_raising_a_flag_puts_the_child_on_the_register_and_is_audited(city, kids):
    child = kids["own"]
    flag = services.flag_raise(
        actor=city.yuekou_director,
        child=child,
        category="family_hardship",
        source="manual",
        evidence="收入低",
    )
    assert flag.status == "active" and flag.approved_by is None
    assert CareStatus.objects.get(child=child).key_attention is True
    event = AuditEvent.objects.filter(object_type="care.riskflag", object_id=str(flag.pk)).get()
    assert child.file_no in event.summary and child.name not in event.summary


def test_the_same_category_is_not_raised_twice(city, kids):
    a = services.flag_raise(
        actor=city.yuekou_director, child=kids["own"], category="dropout", source="manual"
    )
    b = services.flag_raise(actor=city.yuekou_director, child=kids["own"], category="dropout", source="visit")
    assert a.pk == b.pk
    assert RiskFlag.objects.filter(child=kids["own"]).count() == 1


def test_a_supervisors_own_entry_counts_as_approved(city, kids):
    flag = services.flag_raise(
        actor=city.yuekou_supervisor, child=kids["own"], category="vagrancy", source="manual"
    )
    assert flag.approved_by == city.yuekou_supervisor


def test_closing_one_of_two_flags_needs_no_approval(city, kids):
    child = kids["own"]
    first = services.flag_raise(actor=city.yuekou_director, child=child, category="dropout", source="manual")
    services.flag_raise(actor=city.yuekou_director, child=child, category="vagrancy", source="manual")
    result = services.flag_close(actor=city.yuekou_director, flag=first, reason="已复学")
    assert result.exit_request is None
    first.refresh_from_db()
    assert first.status == "closed" and first.close_reason == "已复学"
    assert CareStatus.objects.get(child=child).key_attention is True


def test_closing_the_last_flag_asks_the_supervisor_and_keeps_the_child_on_the_register(city, kids):
    child = kids["own"]
    flag = services.flag_raise(actor=city.yuekou_director, child=child, category="dropout", source="manual")
    result = services.flag_close(actor=city.yuekou_director, flag=flag, reason="已复学")
    assert result.exit_request is not None and result.exit_request.status == "pending"
    flag.refresh_from_db()
    assert flag.status == "active"
    with pytest.raises(CareError):
        services.flag_close(actor=city.yuekou_director, flag=flag, reason="再次申请")


def test_director_cannot_approve_an_exit_and_other_township_supervisor_cannot_either(city, kids):
    flag = services.flag_raise(
        actor=city.yuekou_director, child=kids["own"], category="dropout", source="manual"
    )
    request = services.flag_close(actor=city.yuekou_director, flag=flag, reason="已复学").exit_request
    for actor in (city.yuekou_director, city.duobao_supervisor):
        with pytest.raises(PermissionDenied):
            services.exit_decide(actor=actor, exit_request=request, approve=True)


def test_supervisor_approves_the_exit_of_the_last_flag(city, kids):
    child = kids["own"]
    flag = services.flag_raise(actor=city.yuekou_director, child=child, category="dropout", source="manual")
    request = services.flag_close(actor=city.yuekou_director, flag=flag, reason="已复学").exit_request
    services.exit_decide(actor=city.yuekou_supervisor, exit_request=request, approve=True, note="同意")
    flag.refresh_from_db()
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == city.yuekou_supervisor
    assert flag.status == "closed" and flag.close_reason == "已复学"
    assert CareStatus.objects.get(child=child).key_attention is False
    assert AuditEvent.objects.filter(action="approve", object_type="care.exitrequest").exists()


def test_rejection_needs_a_note_and_keeps_the_flag(city, kids):
    flag = services.flag_raise(
        actor=city.yuekou_director, child=kids["own"], category="dropout", source="manual"
    )
    request = services.flag_close(actor=city.yuekou_director, flag=flag, reason="已复学").exit_request
    with pytest.raises(CareError):
        services.exit_decide(actor=city.yuekou_supervisor, exit_request=request, approve=False)
    services.exit_decide(actor=city.admin, exit_request=request, approve=False, note="仍未复学")
    flag.refresh_from_db()
    assert flag.status == "active"
    assert ExitRequest.objects.get(pk=request.pk).status == "rejected"


def test_disability_in_the_childs_data_raises_the_flag_automatically(city, today):
    child = make_child(
        village=city.yuekou_community, health="残疾", disability_category="肢体", disability_level=2
    )
    flag = services.flags_sync_from_child(child=child, actor=None)
    assert flag is not None and flag.category.code == "disability" and flag.source == "data"
    assert services.flags_sync_from_child(child=child, actor=None) is None  # not twice


def test_healthy_child_gets_no_automatic_flag(city):
    child = make_child(village=city.yuekou_community, health="健康")
    assert services.flags_sync_from_child(child=child, actor=None) is None


def test_daily_bulk_sync_flags_disabled_children_once_and_respects_approved_exits(city, today):
    disabled = make_child(village=city.yuekou_community, health="残疾")
    by_category = make_child(village=city.yuekou_other_village, health="慢性病", disability_category="听力")
    make_child(village=city.duobao_village, health="健康")
    assert services.flags_sync_all(on=today) == 2
    assert services.flags_sync_all(on=today) == 0
    flag = RiskFlag.objects.get(child=disabled)
    request = services.flag_close(actor=city.yuekou_director, flag=flag, reason="残疾证已注销").exit_request
    services.exit_decide(actor=city.yuekou_supervisor, exit_request=request, approve=True)
    # The approved exit stands until the child's data changes.
    assert services.flags_sync_all(on=today + dt.timedelta(days=1)) == 0
    assert RiskFlag.objects.filter(child=by_category, status="active").count() == 1


def test_flag_on_a_closed_file_is_refused(city, today):
    child = make_child(village=city.yuekou_community, closed_at=today, close_reason="moved_away")
    with pytest.raises(CareError):
        services.flag_raise(actor=city.yuekou_director, child=child, category="dropout", source="manual")


def test_register_lists_flagged_children_of_the_scope_by_category(city, kids):
    from care import selectors

    services.flag_raise(actor=city.yuekou_supervisor, child=kids["own"], category="dropout", source="manual")
    services.flag_raise(actor=city.yuekou_director, child=kids["other"], category="vagrancy", source="manual")
    services.flag_raise(
        actor=city.duobao_supervisor, child=kids["duobao"], category="dropout", source="manual"
    )
    assert set(selectors.register(city.yuekou_supervisor)) == {kids["own"], kids["other"]}
    assert list(selectors.register(city.yuekou_supervisor, category="dropout")) == [kids["own"]]
    assert list(selectors.register(city.yuekou_supervisor, pending_only=True)) == [kids["other"]]
    assert list(selectors.register(city.yuekou_director)) == [kids["own"]]
    assert list(selectors.register(city.duobao_supervisor)) == [kids["duobao"]]
