"""The write services, called directly: refusals, and the audit row of each write."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from common.testing import make_child
from schools import services
from schools.models import Activity, SchoolYear
from schools.tests.conftest import make_year

D = dt.date
DATES = dict(
    semester1_start=D(2025, 9, 1),
    semester1_end=D(2026, 1, 23),
    winter_start=D(2026, 1, 24),
    winter_end=D(2026, 2, 28),
    semester2_start=D(2026, 3, 1),
    semester2_end=D(2026, 7, 3),
    summer_start=D(2026, 7, 4),
    summer_end=D(2026, 8, 31),
)


def test_calendar_save_audits_and_changes_are_diffed(city, school):
    calendar = services.calendar_save(actor=city.edu_liaison, name="2025-2026", dates=DATES)
    changed = services.calendar_save(
        actor=city.admin, name="2025-2026", dates={**DATES, "summer_end": D(2026, 8, 30)}, instance=calendar
    )
    event = AuditEvent.objects.filter(action="update", object_id=str(changed.pk)).get()
    assert "summer_end" in event.changes
    own = services.calendar_save(actor=city.admin, name="2025-2026", dates=DATES, school=school)
    assert SchoolYear.objects.count() == 2 and own.school == school


def test_calendar_save_refusals(city):
    with pytest.raises(PermissionDenied):
        services.calendar_save(actor=city.teacher, name="2025-2026", dates=DATES)
    with pytest.raises(services.SchoolsError):
        services.calendar_save(
            actor=city.admin, name="2025-2026", dates={**DATES, "semester2_start": D(2026, 2, 1)}
        )
    make_year()
    with pytest.raises(services.SchoolsError):
        services.calendar_save(actor=city.admin, name="2025-2026", dates=DATES)


def _record(actor, **kw):
    fields = dict(
        type="reading",
        title="阅读指导",
        date=D(2025, 10, 1),
        organiser_kind="community",
        organiser_name="社区",
    )
    fields.update(kw)
    return services.activity_record(actor=actor, **fields)


def test_activity_record_scope_refusals(city, school, duobao_school):
    with pytest.raises(services.SchoolsError):
        _record(city.yuekou_supervisor, unit=city.duobao)  # another township
    with pytest.raises(services.SchoolsError):
        _record(city.teacher, organiser_kind="school", school=duobao_school)
    with pytest.raises(services.SchoolsError):
        _record(city.yuekou_supervisor, unit=city.yuekou, children=[make_child(village=city.duobao_village)])
    with pytest.raises(services.SchoolsError):
        _record(city.teacher, organiser_kind="school", school=school, type="home_visit")  # nobody visited
    assert not Activity.objects.exists()


def test_activity_record_audits_file_numbers_not_names(city):
    child = make_child(village=city.yuekou_community, name="赵小红")
    activity = _record(city.yuekou_supervisor, unit=city.yuekou_community, children=[child])
    event = AuditEvent.objects.get(
        action="create", object_type="schools.activity", object_id=str(activity.pk)
    )
    assert event.changes["children"] == [child.file_no]
    assert "赵小红" not in event.summary and "赵小红" not in str(event.changes)


def test_school_activity_belongs_to_the_schools_township(city, school):
    activity = _record(
        city.yuekou_supervisor,
        organiser_kind="school",
        school=school,
        unit=city.yuekou_community,
        type="legal_education",
    )
    assert activity.unit == school.township


def test_attachment_limits(city, settings):
    activity = _record(city.yuekou_supervisor, unit=city.yuekou)
    settings.DOCUMENT_MAX_BYTES = 100
    big = SimpleUploadedFile("a.pdf", b"%PDF" + b"0" * 200)
    with pytest.raises(services.SchoolsError, match="超过"):
        services.attachments_add(actor=city.yuekou_supervisor, activity=activity, uploads=[big])
    settings.DOCUMENT_MAX_BYTES = 10_000
    files = [SimpleUploadedFile(f"{i}.pdf", b"%PDF-1.4 x") for i in range(services.MAX_ATTACHMENTS + 1)]
    with pytest.raises(services.SchoolsError, match="最多"):
        services.attachments_add(actor=city.yuekou_supervisor, activity=activity, uploads=files)
    saved = services.attachments_add(actor=city.yuekou_supervisor, activity=activity, uploads=files[:2])
    assert [a.content_type for a in saved] == ["application/pdf", "application/pdf"]
    assert AuditEvent.objects.filter(action="create", object_type="schools.activityattachment").count() == 2


def test_psych_record_refuses_closed_files(city, school):
    child = make_child(village=city.yuekou_community, school=school, closed_at=D(2025, 9, 1))
    with pytest.raises(services.SchoolsError):
        services.psych_record(
            actor=city.teacher, child=child, date=D(2025, 10, 1), instrument="MHT", result="normal"
        )
