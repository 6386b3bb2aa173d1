import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from common.testing import make_child, make_id
from registry.models import Child


def form_data(city, **overrides):
    birth = overrides.pop("birth_date", dt.date(2016, 4, 9))
    data = {
        "name": "刘子涵",
        "sex": "女",
        "birth_date": birth.isoformat(),
        "id_number": make_id(birth, male=False, county="421122"),
        "township": city.yuekou.pk,
        "village": city.yuekou_community.pk,
        "hukou_county": "421122",
        "arrival_date": "2023-03-01",
        "residence_permit": "unknown",
        "g-TOTAL_FORMS": "1",
        "g-INITIAL_FORMS": "0",
        "g-MIN_NUM_FORMS": "1",
        "g-MAX_NUM_FORMS": "4",
        "g-0-name": "刘建华",
        "g-0-relationship": "母亲",
        "g-0-phone": "139 0000 2222",
        "g-0-is_primary": "on",
    }
    data.update(overrides)
    return data


def test_director_registers_a_child_on_the_form(client, city, login):
    login(city.yuekou_director)
    response = client.post(reverse("registry:create"), form_data(city))
    child = Child.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("registry:detail", args=[child.pk])
    assert child.household.guardians.get().phone == "13900002222"


def test_form_errors_are_chinese_and_nothing_is_saved(client, city, login):
    login(city.yuekou_director)
    response = client.post(
        reverse("registry:create"),
        form_data(city, birth_date=dt.date(2016, 4, 9), id_number="42112220160409123"),
    )
    assert response.status_code == 200 and "身份证号应为18位" in response.content.decode()
    response = client.post(reverse("registry:create"), form_data(city, hukou_county="不存在县"))
    assert "找不到名为" in response.content.decode()
    assert not Child.objects.exists()


def test_existing_id_in_scope_links_to_the_file(client, city, login):
    existing = make_child(village=city.yuekou_community)
    login(city.yuekou_director)
    data = form_data(city, birth_date=existing.birth_date, sex="男", id_number=existing.id_number)
    response = client.post(reverse("registry:create"), data)
    body = response.content.decode()
    assert reverse("registry:detail", args=[existing.pk]) in body and existing.file_no in body
    assert Child.objects.count() == 1


def test_existing_id_out_of_scope_says_whom_to_contact_without_leaking(client, city, login):
    existing = make_child(village=city.yuekou_community, name="张小明")
    login(city.duobao_supervisor)
    data = form_data(
        city,
        birth_date=existing.birth_date,
        sex="男",
        id_number=existing.id_number,
        township=city.duobao.pk,
        village=city.duobao_village.pk,
    )
    body = client.post(reverse("registry:create"), data).content.decode()
    assert "该儿童已在其他乡镇登记，请联系岳口镇的儿童督导员" in body
    assert existing.file_no not in body and "张小明" not in body
    assert reverse("registry:detail", args=[existing.pk]) not in body
    assert Child.objects.count() == 1


def test_likely_duplicate_by_homophone_name_is_shown_before_saving(client, city, login):
    existing = make_child(
        village=city.yuekou_community, name="刘子寒", birth_date=dt.date(2016, 4, 9), male=False
    )
    login(city.yuekou_director)
    data = form_data(city, id_number="")
    body = client.post(reverse("registry:create"), data).content.decode()
    assert existing.file_no in body and "同音" in body and Child.objects.count() == 1
    check = client.post(reverse("registry:duplicate_check"), data).content.decode()
    assert existing.file_no in check
    response = client.post(reverse("registry:create"), {**data, "not_duplicate": "on"})
    assert response.status_code == 302 and Child.objects.count() == 2


def test_same_guardian_phone_is_a_likely_duplicate(client, city, login):
    existing = make_child(village=city.yuekou_community, guardian_phone="13900002222")
    login(city.yuekou_director)
    body = client.post(reverse("registry:create"), form_data(city)).content.decode()
    assert existing.file_no in body and "监护人电话相同" in body


def test_reading_the_file_is_audited_and_identifiers_are_masked(client, city, login):
    child = make_child(village=city.yuekou_community)
    login(city.yuekou_director)
    body = client.get(reverse("registry:detail", args=[child.pk])).content.decode()
    assert child.id_masked in body and child.id_number not in body and "13812345678" not in body
    assert "显示完整号码" in body
    assert AuditEvent.objects.filter(
        action="read", object_id=str(child.pk), actor=city.yuekou_director
    ).exists()


def test_reveal_button_shows_numbers_and_audits(client, city, login):
    child = make_child(village=city.yuekou_community)
    login(city.yuekou_supervisor)
    body = client.post(reverse("registry:reveal", args=[child.pk])).content.decode()
    assert child.id_number in body and "13812345678" in body
    assert AuditEvent.objects.filter(action="reveal", actor=city.yuekou_supervisor).count() == 1


def test_teacher_sees_no_reveal_button(client, city, login):
    child = make_child(village=city.yuekou_community)
    from schools.models import School

    School.objects.filter(pk=city.teacher.assignments.get().school_id)
    Child.objects.filter(pk=child.pk).update(school_id=city.teacher.assignments.get().school_id)
    login(city.teacher)
    body = client.get(reverse("registry:detail", args=[child.pk])).content.decode()
    assert child.file_no in body and "显示完整号码" not in body


def test_edit_conflict_keeps_what_was_typed(client, city, login):
    child = make_child(village=city.yuekou_community)
    login(city.yuekou_director)
    data = form_data(
        city,
        name=child.name,
        sex="男",
        birth_date=child.birth_date,
        id_number=child.id_number,
        hukou_county="420881",
        arrival_date=child.arrival_date.isoformat(),
        version="1",
        grade="五年级",
    )
    Child.objects.filter(pk=child.pk).update(version=2)
    body = client.post(reverse("registry:edit", args=[child.pk]), data).content.decode()
    assert "已被其他人修改" in body and 'value="五年级"' in body and 'name="version" value="2"' in body
    child.refresh_from_db()
    assert child.grade == ""
    data["version"] = "2"
    assert client.post(reverse("registry:edit", args=[child.pk]), data).status_code == 302
    child.refresh_from_db()
    assert child.grade == "五年级" and child.version == 3


def test_list_searches_by_exact_id_name_and_file_number(client, city, login):
    child = make_child(village=city.yuekou_community, name="欧阳明")
    make_child(village=city.yuekou_community, name="王明")
    login(city.yuekou_supervisor)
    url = reverse("registry:list")
    for q in (child.id_number.lower(), "欧阳", child.file_no, "ou yang"):
        body = client.get(url, {"q": q}).content.decode()
        assert child.file_no in body and "王明" not in body, q
    assert "共 2 份" in client.get(url).content.decode()


def test_list_hides_other_townships_and_filters_stale(client, city, login):
    make_child(village=city.duobao_village, name="多宝娃")
    old = make_child(village=city.yuekou_community, name="李旧", last_verified_on=dt.date(2020, 1, 1))
    make_child(village=city.yuekou_community, name="李新")
    login(city.yuekou_supervisor)
    body = client.get(reverse("registry:list")).content.decode()
    assert "多宝娃" not in body
    body = client.get(reverse("registry:list"), {"stale": "1"}).content.decode()
    assert old.file_no in body and "李新" not in body


def test_document_upload_and_audited_download(client, city, login, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    child = make_child(village=city.yuekou_community)
    login(city.yuekou_director)
    client.post(
        reverse("registry:document_upload", args=[child.pk]),
        {"title": "居住证", "file": SimpleUploadedFile("p.pdf", b"%PDF-1.4 test")},
    )
    document = child.documents.get()
    response = client.get(reverse("registry:document_download", args=[document.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="export", object_type="registry.childdocument").exists()
    bad = client.post(
        reverse("registry:document_upload", args=[child.pk]),
        {"title": "病毒", "file": SimpleUploadedFile("v.pdf", b"MZ\x90")},
        follow=True,
    )
    assert "内容与扩展名不符" in bad.content.decode() and child.documents.count() == 1


@pytest.mark.parametrize("reason", ["moved_away"])
def test_close_moved_away_and_print_transfer_file(client, city, login, reason):
    child = make_child(village=city.yuekou_community)
    login(city.yuekou_supervisor)
    client.post(reverse("registry:close", args=[child.pk]), {"reason": reason, "destination": "广东省深圳市"})
    child.refresh_from_db()
    assert child.closed_at and child.close_destination == "广东省深圳市"
    body = client.get(reverse("registry:transfer_file", args=[child.pk])).content.decode()
    assert "广东省深圳市" in body and child.id_number not in body
    assert AuditEvent.objects.filter(action="export", object_id=str(child.pk)).exists()
