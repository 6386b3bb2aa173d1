"""Every page of the schools app: anonymous to login, wrong role 403, out of scope 404; the flows."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Assignment, User
from accounts.roles import Role
from audit.models import AuditEvent
from common.testing import make_child
from network.models import Department
from schools.models import Activity, ActivityAttachment, Participation, SchoolYear
from schools.tests.conftest import make_year

D = dt.date
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


@pytest.fixture
def pupil(city, school):
    return make_child(village=city.yuekou_community, school=school, grade="五年级", school_stage="小学")


@pytest.fixture
def school_activity(city, school, pupil):
    a = Activity.objects.create(
        type="legal_education",
        title="法治副校长讲座",
        date=D(2025, 10, 10),
        organiser_kind="school",
        organiser_name=school.name,
        school=school,
        unit=school.township,
        created_by=city.teacher,
    )
    Participation.objects.create(activity=a, child=pupil)
    return a


@pytest.fixture
def attachment(city, school_activity):
    return ActivityAttachment.objects.create(
        activity=school_activity,
        original_name="签到表.png",
        stored_name="x.png",
        file=SimpleUploadedFile("x.png", PNG),
        content_type="image/png",
        size=len(PNG),
        uploaded_by=city.teacher,
    )


LIST_URLS = [
    "schools:index",
    "schools:calendar_list",
    "schools:obligations",
    "schools:compliance",
    "schools:compliance_export",
    "schools:activity_list",
    "schools:community",
]


@pytest.mark.parametrize(
    "name", [*LIST_URLS, "schools:activity_new", "schools:calendar_new", "schools:psych_list"]
)
def test_anonymous_goes_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", [*LIST_URLS, "schools:activity_new", "schools:calendar_new"])
def test_roles_without_schools_capabilities_get_403(city, login, name):
    assert login(city.auditor).get(reverse(name)).status_code == 403
    assert login(city.leader).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", LIST_URLS)
def test_lists_open_for_school_staff_and_supervisors(city, login, year, school_activity, name):
    for persona in ("teacher", "yuekou_supervisor", "admin", "edu_liaison", "yuekou_director"):
        response = login(getattr(city, persona)).get(reverse(name))
        assert response.status_code == 200, (persona, name)


def test_object_pages_of_yuekou_are_404_for_duobao(city, login, school, school_activity, attachment):
    client = login(city.duobao_supervisor)
    assert client.get(reverse("schools:school_detail", args=[school.pk])).status_code == 404
    assert client.get(reverse("schools:activity_detail", args=[school_activity.pk])).status_code == 404
    url = reverse("schools:attachment_download", args=[school_activity.pk, attachment.pk])
    assert client.get(url).status_code == 404
    post = client.post(
        reverse("schools:activity_add_children", args=[school_activity.pk]), {"file_numbers": "x"}
    )
    assert post.status_code == 404


def test_object_pages_open_in_scope(city, login, school, school_activity, attachment, pupil):
    client = login(city.teacher)
    page = client.get(reverse("schools:school_detail", args=[school.pk])).content.decode()
    assert pupil.file_no in page
    page = client.get(reverse("schools:activity_detail", args=[school_activity.pk])).content.decode()
    assert pupil.file_no in page
    response = client.get(reverse("schools:attachment_download", args=[school_activity.pk, attachment.pk]))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="read", object_type="schools.activityattachment").exists()


def test_liaison_sees_aggregates_not_activities_or_children(city, login, school, school_activity, pupil):
    client = login(city.edu_liaison)
    assert client.get(reverse("schools:activity_detail", args=[school_activity.pk])).status_code == 404
    page = client.get(reverse("schools:school_detail", args=[school.pk])).content.decode()
    assert pupil.file_no not in page and pupil.name not in page
    assert client.get(reverse("schools:activity_new")).status_code == 403


def test_director_cannot_open_another_villages_activity(city, login, school_activity):
    assert (
        login(city.yuekou_director)
        .get(reverse("schools:activity_detail", args=[school_activity.pk]))
        .status_code
        == 404
    )


# ---------------------------------------------------------------- calendar


CALENDAR = {
    "name": "2025-2026",
    "semester1_start": "2025-09-01",
    "semester1_end": "2026-01-23",
    "winter_start": "2026-01-24",
    "winter_end": "2026-02-28",
    "semester2_start": "2026-03-01",
    "semester2_end": "2026-07-03",
    "summer_start": "2026-07-04",
    "summer_end": "2026-08-31",
}


def test_education_liaison_sets_the_city_calendar(city, login):
    response = login(city.edu_liaison).post(reverse("schools:calendar_new"), CALENDAR)
    assert response.status_code == 302
    calendar = SchoolYear.objects.get(name="2025-2026", school=None)
    assert AuditEvent.objects.filter(
        action="create", object_type="schools.schoolyear", object_id=str(calendar.pk)
    )
    again = login(city.edu_liaison).post(reverse("schools:calendar_new"), CALENDAR)
    assert again.status_code == 200 and "已存在" in again.content.decode()


def test_calendar_in_the_wrong_order_is_a_message(city, login):
    bad = {**CALENDAR, "winter_start": "2026-01-10"}
    response = login(city.admin).post(reverse("schools:calendar_new"), bad)
    assert response.status_code == 200 and "寒假开始" in response.content.decode()
    response = login(city.admin).post(reverse("schools:calendar_new"), {**CALENDAR, "name": "明年"})
    assert response.status_code == 200 and not SchoolYear.objects.exists()


def test_other_liaisons_and_supervisors_cannot_set_the_calendar(city, login, year):
    user = User.objects.create_user("health_liaison", password="x-Y-z-123456")
    Assignment.objects.create(user=user, role=Role.LIAISON, department=Department.objects.get(code="health"))
    assert login(user).get(reverse("schools:calendar_new")).status_code == 403
    assert login(city.yuekou_supervisor).get(reverse("schools:calendar_new")).status_code == 403
    assert login(city.teacher).get(reverse("schools:calendar_edit", args=[year.pk])).status_code == 403
    assert login(city.admin).get(reverse("schools:calendar_edit", args=[year.pk])).status_code == 200


# ---------------------------------------------------------------- activities


def test_teacher_records_a_school_activity_with_the_whole_school(city, login, school, pupil):
    second = make_child(village=city.yuekou_other_village, school=school, grade="三年级", school_stage="小学")
    response = login(city.teacher).post(
        reverse("schools:activity_new"),
        {
            "type": "family_guidance",
            "title": "家长学校第一课",
            "date": "2025-10-12",
            "organiser_kind": "school",
            "organiser_name": school.name,
            "school": school.pk,
            "whole_school": "on",
            "files": [SimpleUploadedFile("签到.png", PNG, content_type="image/png")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    activity = Activity.objects.get(title="家长学校第一课")
    assert set(activity.children.all()) == {pupil, second}
    assert activity.attachments.count() == 1
    event = AuditEvent.objects.get(
        action="create", object_type="schools.activity", object_id=str(activity.pk)
    )
    assert pupil.name not in event.summary


def test_unknown_file_numbers_are_named_in_the_form(city, login, school, pupil):
    response = login(city.teacher).post(
        reverse("schools:activity_new"),
        {
            "type": "home_visit",
            "title": "家访",
            "date": "2025-10-12",
            "organiser_kind": "school",
            "organiser_name": school.name,
            "school": school.pk,
            "file_numbers": f"{pupil.file_no}, NOPE-1",
        },
    )
    assert response.status_code == 200 and "NOPE-1" in response.content.decode()
    assert not Activity.objects.exists()


def test_out_of_scope_children_cannot_be_added(city, login, school, duobao_school):
    far = make_child(village=city.duobao_village, school=duobao_school)
    response = login(city.teacher).post(
        reverse("schools:activity_new"),
        {
            "type": "legal_education",
            "title": "讲座",
            "date": "2025-10-12",
            "organiser_kind": "school",
            "organiser_name": school.name,
            "school": school.pk,
            "file_numbers": far.file_no,
        },
    )
    assert response.status_code == 200 and not Activity.objects.exists()


def test_teacher_cannot_record_for_another_school(city, login, duobao_school):
    response = login(city.teacher).post(
        reverse("schools:activity_new"),
        {
            "type": "legal_education",
            "title": "讲座",
            "date": "2025-10-12",
            "organiser_kind": "school",
            "organiser_name": "x",
            "school": duobao_school.pk,
        },
    )
    assert response.status_code == 200 and not Activity.objects.exists()


def test_director_records_a_community_activity_in_own_village(city, login):
    child = make_child(village=city.yuekou_community)
    client = login(city.yuekou_director)
    data = {
        "type": "tongban_mama",
        "title": "童伴妈妈周末课堂",
        "date": "2025-11-02",
        "organiser_kind": "community",
        "organiser_name": city.yuekou_community.name,
        "unit": city.yuekou_community.pk,
        "file_numbers": child.file_no,
        "other_participants": "3",
    }
    assert client.post(reverse("schools:activity_new"), data).status_code == 302
    response = client.post(reverse("schools:activity_new"), {**data, "unit": city.yuekou_other_village.pk})
    assert response.status_code == 200  # not the director's village
    summary = login(city.yuekou_supervisor).get(reverse("schools:community") + "?year=2025").content.decode()
    assert "童伴妈妈" in summary and city.yuekou.name in summary


def test_bad_attachments_are_refused_with_a_message(city, login, school_activity):
    client = login(city.teacher)
    url = reverse("schools:activity_add_attachments", args=[school_activity.pk])
    fake = SimpleUploadedFile("photo.png", b"MZ not a png", content_type="image/png")
    response = client.post(url, {"files": [fake]}, follow=True)
    assert "内容与扩展名不符" in response.content.decode()
    exe = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = client.post(url, {"files": [exe]}, follow=True)
    assert "不支持的文件类型" in response.content.decode()
    assert school_activity.attachments.count() == 0


def test_future_date_is_refused(city, login, school):
    response = login(city.teacher).post(
        reverse("schools:activity_new"),
        {
            "type": "legal_education",
            "title": "讲座",
            "date": "2999-01-01",
            "organiser_kind": "school",
            "organiser_name": "x",
            "school": school.pk,
        },
    )
    assert response.status_code == 200 and "不能晚于今天" in response.content.decode()


def test_add_children_to_an_activity(city, login, school_activity, school):
    extra = make_child(village=city.yuekou_community, school=school)
    client = login(city.teacher)
    client.post(
        reverse("schools:activity_add_children", args=[school_activity.pk]), {"file_numbers": extra.file_no}
    )
    assert school_activity.children.filter(pk=extra.pk).exists()


# ---------------------------------------------------------------- compliance


def test_compliance_export_is_audited_and_safe(city, login, school, pupil, school_activity):
    make_year()
    response = login(city.edu_liaison).get(reverse("schools:compliance_export") + "?span=year&on=2025-12-01")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["按乡镇", "按学校"]
    rows = list(workbook["按学校"].iter_rows(values_only=True))
    assert any(r[1] == school.name and r[3] == "法治专题教育" and r[9] == "已完成" for r in rows[1:])
    assert not any(pupil.name in str(cell) for r in rows for cell in r)
    assert AuditEvent.objects.filter(action="export", object_type="schools.compliance").exists()


def test_compliance_filters_do_not_fail_on_bad_input(city, login, year):
    response = login(city.admin).get(reverse("schools:compliance") + "?span=x&township=abc&on=notadate")
    assert response.status_code == 200


def test_supervisor_compliance_is_limited_to_the_township(city, login, year, school, duobao_school):
    make_child(village=city.yuekou_community, school=school, grade="五年级")
    make_child(village=city.duobao_village, school=duobao_school, grade="五年级")
    page = (
        login(city.yuekou_supervisor).get(reverse("schools:compliance") + "?on=2025-10-01").content.decode()
    )
    assert school.name in page and duobao_school.name not in page
    page = login(city.edu_liaison).get(reverse("schools:compliance") + "?on=2025-10-01").content.decode()
    assert school.name in page and duobao_school.name in page


# ---------------------------------------------------------------- file page and home


def test_file_section_counts_activities_and_links_psych_for_the_entitled(city, school_activity, pupil):
    from schools.file_sections import sections

    (section,) = sections(city.teacher, pupil)
    assert "1" in section["title"] and "法治专题教育" in section["html"]
    assert reverse("schools:psych_child", args=[pupil.pk]) in section["html"]
    (section,) = sections(city.yuekou_director, pupil)
    assert reverse("schools:psych_child", args=[pupil.pk]) not in section["html"]


def test_home_card_shows_obligations_due_for_school_staff(city, login, pupil):
    today = dt.date.today()
    start = today.year if today.month >= 9 else today.year - 1
    make_year(name=f"{start}-{start + 1}")
    page = login(city.teacher).get(reverse("web:home")).content.decode()
    assert "本学期待完成工作要求" in page
    page = login(city.leader).get(reverse("web:home")).content.decode()
    assert "本学期待完成工作要求" not in page


# ---------------------------------------------------------------- API


def test_api_compliance_is_scoped_and_validates(city, login, year, school, duobao_school):
    make_child(village=city.yuekou_community, school=school, grade="五年级")
    make_child(village=city.duobao_village, school=duobao_school, grade="五年级")
    client = login(city.yuekou_supervisor)
    data = client.get("/api/v1/schools/compliance?on=2025-10-01&span=year").json()
    assert {line["school"] for line in data["lines"]} == {school.pk}
    assert data["counts"]["due"] > 0
    bad = client.get("/api/v1/schools/compliance?on=yesterday&span=x")
    assert bad.status_code == 400 and set(bad.json()) == {"on", "span"}
    assert login(city.auditor).get("/api/v1/schools/compliance").status_code == 403
    assert login(city.edu_liaison).get("/api/v1/schools/obligations").json()[0]["code"] == "family_guidance"


def test_api_anonymous_is_refused(client, db):
    assert client.get("/api/v1/schools/compliance").status_code in (401, 403)
