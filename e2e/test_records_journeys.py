"""Records staff can trust (issues 15 and 17): a census verdict of 已迁离 becomes a closure
proposal that the township supervisor approves, closing the file with every consequence; the
edit and census-update forms show numbers masked and save only what was changed."""

import datetime as dt

import pytest

from e2e.conftest import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _census_child(city):
    from common.testing import make_child
    from registry.services import census_open, transfer_request

    today = dt.date.today()
    child = make_child(village=city.yuekou_community, name="迁离甲", guardian_phone="13907316688")
    transfer_request(actor=city.yuekou_supervisor, child=child, to_township=city.duobao, reason="随父母务工")
    census = census_open(
        actor=city.admin,
        name="2026年秋季摸排",
        period_start=today,
        period_end=today + dt.timedelta(days=30),
        deadline=today + dt.timedelta(days=20),
    )
    return child, census


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_moved_verdict_is_proposed_by_the_director_and_approved_by_the_supervisor(
    request, live_server, city, size
):
    from registry.models import CensusTask, Child, ClosureProposal, Transfer

    page = request.getfixturevalue(size)
    child, census = _census_child(city)
    task = CensusTask.objects.get(round=census, child=child)

    log_in(page, "yuekou_director")
    page.goto(f"/children/census/tasks/{task.pk}/")
    page.check("input[name=outcome][value=moved]")
    page.fill("input[name=note]", "邻居说全家已于上月搬往武汉")
    page.click("main button[type=submit]:has-text('提交')")
    page.wait_for_load_state("networkidle")
    assert "督导员审批" in page.content()
    assert Child.objects.get(pk=child.pk).closed_at is None  # a verdict closes nothing by itself
    page.goto(f"/children/{child.pk}/")
    assert "关闭申请待审批" in page.content()
    shot(page, f"closure-proposed-director-{size}")
    page.context.clear_cookies()

    log_in(page, "yuekou_supervisor")
    page.goto("/children/closures/")
    assert child.file_no in page.content()
    shot(page, f"closure-list-supervisor-{size}")
    page.click(f"a:has-text('{child.file_no}')")
    page.wait_for_load_state("networkidle")
    page.check("input[name=decision][value=approve]")
    page.click("main button[type=submit]:has-text('提交')")
    page.wait_for_load_state("networkidle")
    assert "迁往地" in page.content()  # 迁离天门 needs the destination: a clear message, nothing lost
    shot(page, f"closure-decide-needs-destination-{size}")
    page.check("input[name=decision][value=approve]")
    page.fill("input[name=destination]", "湖北省武汉市江汉区")
    page.click("main button[type=submit]:has-text('提交')")
    page.wait_for_load_state("networkidle")
    assert "已关闭" in page.content()
    closed = Child.objects.get(pk=child.pk)
    assert closed.closed_at is not None and closed.close_reason == "moved_away"
    assert closed.close_destination == "湖北省武汉市江汉区"
    assert Transfer.objects.get(child=child).status == "withdrawn"
    assert ClosureProposal.objects.get(child=child).status == "approved"
    page.goto(f"/children/{child.pk}/")
    assert "迁往湖北省武汉市江汉区" in page.content()
    shot(page, f"closure-approved-file-{size}")


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("persona", ["yuekou_director", "yuekou_supervisor"])
def test_edit_and_census_forms_show_numbers_masked_and_keep_the_school(
    request, live_server, city, size, persona
):
    from registry.models import CensusTask, Child, Guardian
    from schools.models import School

    page = request.getfixturevalue(size)
    child, census = _census_child(city)
    school = School.objects.filter(township=city.yuekou).order_by("name").first()
    Child.objects.filter(pk=child.pk).update(school=school, school_name=school.name)
    child.refresh_from_db()
    phone_number = Guardian.objects.get(household_id=child.household_id).phone
    task = CensusTask.objects.get(round=census, child=child)

    log_in(page, persona)
    for name, url in (
        ("edit", f"/children/{child.pk}/edit/"),
        ("census", f"/children/census/tasks/{task.pk}/update/"),
    ):
        page.goto(url)
        content = page.content()
        assert child.id_number not in content and phone_number not in content
        assert child.id_masked in content
        assert page.input_value("select[name=school]") == str(school.pk)
        shot(page, f"form-{name}-{persona}-{size}")
    # Save the census update as shown: the file keeps its school link and numbers.
    version = child.version
    page.click("#child-form button[type=submit]:has-text('保存')")
    page.wait_for_load_state("networkidle")
    child.refresh_from_db()
    assert (child.school_id, child.version) == (school.pk, version)
    assert Guardian.objects.get(household_id=child.household_id).phone == phone_number
    assert CensusTask.objects.get(pk=task.pk).status == "updated"
