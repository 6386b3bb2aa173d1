"""Demo data of the schools app and the network: the calendar of the current and the previous
school year, school and community activities with participants, psychological assessments
(a few abnormal, which raise the 心理和行为异常 flag), and training records with gaps — so
that the compliance and coverage pages show a realistic, imperfect picture.

Deterministic for the seed and the reference date; bulk inserts; the children are streamed in
primary-key chunks (the same seeder builds the 1,000,000-child benchmark city).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Assignment
from accounts.roles import Role
from demo import bulk
from network.models import Department, TrainingRecord
from places.models import Unit
from registry.choices import MigrantStatus
from registry.models import Child
from schools import obligations as rules
from schools.models import (
    Activity,
    ActivityType,
    Obligation,
    Participation,
    PsychAssessment,
    School,
    SchoolYear,
)

ORDER = 50
CHUNK = 20000
BATCH = 2000
HOME_VISIT_GROUP = 6  # families a teacher visits in one outing, recorded as one activity
ABNORMAL_CAP = 40  # "a few" abnormal results; each raises a flag through the care service
INSTRUMENTS = ["中小学生心理健康量表（MHT）", "长处和困难问卷（SDQ）", "症状自评量表（SCL-90 青少年版）"]

SCHOOL_WIDE = [
    (ActivityType.FAMILY_GUIDANCE, "家长学校家庭教育指导"),
    (ActivityType.LEGAL_EDUCATION, "法治副校长法治专题课"),
    (ActivityType.SAFETY_LECTURE, "安全知识大讲堂"),
]
EXTRA_SCHOOL = [
    (ActivityType.MENTAL_HEALTH_EDUCATION, "心理健康教育主题班会"),
    (ActivityType.CAMPUS_CULTURE, "校园文化艺术节"),
]
COMMUNITY = [
    (ActivityType.TONGBAN_MAMA, "童伴妈妈周末陪伴", "community", "womens_federation"),
    (ActivityType.AIXIN_MAMA, "爱心妈妈结对走访", "community", "womens_federation"),
    (ActivityType.RAINBOW, "彩虹行动主题活动", "township", "civil_affairs"),
    (ActivityType.CARE_CLASS, "爱心托管班", "community", "youth_league"),
    (ActivityType.READING, "亲子阅读指导", "community", ""),
    (ActivityType.LETTERS, "书信陪伴·给远方的信", "social_org", ""),
    (ActivityType.INTEGRATION, "城市融入·走进陆羽故园", "township", "youth_league"),
    (ActivityType.PARENT_JOBS, "家长就业服务专场", "department", "human_resources"),
    (ActivityType.SAFETY_EDUCATION, "防溺水安全宣传", "community", "public_security"),
]
SOCIAL_ORGS = ["天门市阳光社会工作服务中心", "天门市童心志愿者协会", "竟陵读书会"]
COURSES = [
    ("湖北省儿童督导员、儿童主任能力提升培训", "湖北省民政厅", Decimal("16")),
    ("天门市流动儿童关爱保护专题培训", "天门市民政局", Decimal("8")),
    ("未成年人保护法与监护干预实务", "天门市民政局", Decimal("6")),
]


def school_year_dates(start_year: int) -> dict:
    return dict(
        name=f"{start_year}-{start_year + 1}",
        semester1_start=dt.date(start_year, 9, 1),
        semester1_end=dt.date(start_year + 1, 1, 20),
        winter_start=dt.date(start_year + 1, 1, 21),
        winter_end=dt.date(start_year + 1, 2, 22),
        semester2_start=dt.date(start_year + 1, 2, 23),
        semester2_end=dt.date(start_year + 1, 7, 3),
        summer_start=dt.date(start_year + 1, 7, 4),
        summer_end=dt.date(start_year + 1, 8, 31),
    )


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _seed_calendars(ctx) -> list[SchoolYear]:
    current = ctx.on.year if ctx.on >= dt.date(ctx.on.year, 9, 1) else ctx.on.year - 1
    admin = ctx.personas.get("admin")
    years = []
    for start in (current - 1, current):
        fields = school_year_dates(start)
        name = fields.pop("name")
        year, _ = SchoolYear.objects.get_or_create(
            name=name, school=None, defaults={**fields, "set_by": admin}
        )
        years.append(year)
    # One school keeps its own calendar (the vocational school ends its first term a week later).
    vocational = School.objects.filter(kind=School.Kind.VOCATIONAL).order_by("name").first()
    if vocational is not None:
        fields = school_year_dates(current)
        fields.update(semester1_end=dt.date(current + 1, 1, 27), winter_start=dt.date(current + 1, 1, 28))
        name = fields.pop("name")
        SchoolYear.objects.get_or_create(name=name, school=vocational, defaults={**fields, "set_by": admin})
    return years


def _periods_begun(years, on):
    """(term period, year period) pairs of the semesters that have begun by ``on``."""
    out = []
    for year in years:
        for term in (1, 2):
            period = rules.semester(year, term)
            if period.start <= on:
                out.append((period, rules.school_year(year)))
    return out


def _pupil_chunks(columns: tuple[str, ...]):
    """Open migrant children (pk and ``columns``) in pk order, CHUNK at a time. Read by pk alone
    and filtered here: with the status in the query, SQLite without statistics walks the status
    index and sorts every remaining child for each chunk (quadratic: minutes at 1,000,000)."""
    buffer: list[tuple] = []
    last = 0
    while True:
        rows = list(
            Child.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "closed_at", "migrant_status", *columns)[:CHUNK]
        )
        if rows:
            last = rows[-1][0]
        buffer += [
            (pk, *rest)
            for pk, closed_at, status, *rest in rows
            if closed_at is None and status == MigrantStatus.MIGRANT
        ]
        while len(buffer) >= CHUNK or (buffer and not rows):
            yield buffer[:CHUNK]
            buffer = buffer[CHUNK:]
        if not rows:
            return


def seed(ctx) -> None:
    rng = ctx.child_rng("schools")
    on = min(ctx.on, timezone.localdate())
    years = _seed_calendars(ctx)
    schools = list(School.objects.filter(active=True).order_by("pk"))
    staff = {
        a.school_id: a.user
        for a in Assignment.objects.filter(role=Role.SCHOOL_STAFF, active=True).select_related("user")
    }
    admin = ctx.personas.get("admin") or Assignment.objects.filter(role=Role.CITY_ADMIN).first().user
    # Diligence per school: most do most of what the plan asks; a few lag well behind.
    diligence = {}
    for school in schools:
        diligence[school.pk] = rng.uniform(0.2, 0.45) if rng.random() < 0.12 else rng.uniform(0.7, 1.0)
    terms = _periods_begun(years, on)

    # School-wide activities, per school and semester.
    school_activities: dict[int, list[int]] = {}
    with transaction.atomic():
        batch = []
        for school in schools:
            for period, _year in terms:
                end = min(period.end, on)
                for type_, title in SCHOOL_WIDE + EXTRA_SCHOOL:
                    if type_ == ActivityType.LEGAL_EDUCATION and school.kind == School.Kind.KINDERGARTEN:
                        continue
                    chance = diligence[school.pk] * (1 if period.end <= on else 0.6)
                    if (type_, title) in EXTRA_SCHOOL:
                        chance *= 0.5
                    if rng.random() >= chance:
                        continue
                    if type_ == ActivityType.SAFETY_LECTURE:
                        start = max(period.start, period.end - dt.timedelta(days=20))
                        date = _day(rng, start, end) if start <= end else end
                    else:
                        date = _day(rng, period.start, end)
                    batch.append(
                        Activity(
                            type=type_,
                            title=title,
                            date=date,
                            organiser_kind=Activity.OrganiserKind.SCHOOL,
                            organiser_name=school.name,
                            school=school,
                            unit_id=school.township_id,
                            other_participants=rng.randint(40, 600),
                            notes="演示数据",
                            created_by=staff.get(school.pk, admin),
                        )
                    )
        Activity.objects.bulk_create(batch, batch_size=BATCH)
        for a in batch:
            school_activities.setdefault(a.school_id, []).append(a.pk)

    # Community activities, per township over the last twelve months.
    departments = dict(Department.objects.values_list("code", "pk"))
    villages: dict[int, list[Unit]] = {}
    for v in Unit.objects.filter(level=Unit.Level.VILLAGE).order_by("code"):
        villages.setdefault(v.parent_id, []).append(v)
    townships = list(Unit.objects.filter(level=Unit.Level.TOWNSHIP).order_by("code"))
    community_activities: dict[int, list[int]] = {}
    supervisors = {
        a.unit_id: a.user
        for a in Assignment.objects.filter(role=Role.SUPERVISOR, active=True).select_related("user")
    }
    with transaction.atomic():
        batch = []
        for township in townships:
            activity_level = rng.choice([4, 8, 12, 20])  # some townships do much more than others
            for _ in range(activity_level):
                type_, title, kind, department = rng.choice(COMMUNITY)
                village = rng.choice(villages[township.pk]) if villages.get(township.pk) else None
                unit = village if kind == "community" and village else township
                organiser = {
                    "community": unit.name,
                    "township": township.name,
                    "social_org": rng.choice(SOCIAL_ORGS),
                    "department": "天门市人力资源和社会保障局",
                }[kind]
                batch.append(
                    Activity(
                        type=type_,
                        title=title,
                        date=_day(rng, on - dt.timedelta(days=360), on),
                        organiser_kind=kind,
                        organiser_name=organiser,
                        unit=unit,
                        department_id=departments.get(department),
                        place=f"{unit.name}儿童之家",
                        other_participants=rng.randint(0, 30),
                        notes="演示数据",
                        created_by=supervisors.get(township.pk, admin),
                    )
                )
        Activity.objects.bulk_create(batch, batch_size=BATCH)
        for a in batch:
            township_id = a.unit_id if a.unit.level == Unit.Level.TOWNSHIP else a.unit.parent_id
            community_activities.setdefault(township_id, []).append(a.pk)

    psych = Obligation.objects.filter(code="psych_assessment").order_by("-effective_from").first()
    kinds = {s.pk: s.kind for s in schools}
    names = {s.pk: s.name for s in schools}
    township_of = {s.pk: s.township_id for s in schools}
    reach = {t.pk: rng.uniform(0.03, 0.3) for t in townships}  # community activities' reach per township
    abnormal: list[_Abnormal] = []
    year_periods = [rules.school_year(y) for y in years if y.semester1_start <= on]
    task = ctx.progress.add_task("学校活动与心理测评", total=ctx.children) if ctx.progress else None
    staff_ids = {school_id: user.pk for school_id, user in staff.items()}
    eligible_kinds = {
        kind
        for kind in School.Kind.values
        if psych is not None and rules.applies_to_school(school_kinds=psych.school_kinds, kind=kind)
    }
    grade_applies: dict[tuple[str, str], bool] = {}
    activity_id = bulk.next_id(Activity)

    with bulk.without_indexes(Participation, PsychAssessment):
        for chunk in _pupil_chunks(("school_id", "school_stage", "grade", "township_id")):
            visits: dict[tuple[int, int], list[int]] = {}
            participations: list[tuple[int, int]] = []
            assessments: list[tuple] = []
            for child_id, school_id, stage, grade, township_id in chunk:
                if township_id in community_activities and rng.random() < reach.get(township_id, 0.1):
                    participations.append((rng.choice(community_activities[township_id]), child_id))
                if school_id is None:
                    continue
                if school_activities.get(school_id) and rng.random() < 0.08:
                    participations.append((rng.choice(school_activities[school_id]), child_id))
                for y, period in enumerate(year_periods):
                    elapsed = min(1.0, (on - period.start).days / max((period.end - period.start).days, 1))
                    if rng.random() < diligence[school_id] * (0.95 if elapsed >= 1 else elapsed):
                        visits.setdefault((school_id, y), []).append(child_id)
                    applies = grade_applies.get((grade, stage))
                    if applies is None:
                        applies = grade_applies[(grade, stage)] = (
                            psych is not None
                            and rules.applies_to_grade(
                                min_grade=psych.min_grade, grade=rules.parse_grade(grade, stage=stage)
                            )
                        )
                    if kinds.get(school_id, "") in eligible_kinds and applies:
                        if rng.random() < diligence[school_id] * (
                            0.9 if elapsed >= 1 else min(1.0, elapsed * 1.5)
                        ):
                            roll = rng.random()
                            result = PsychAssessment.Result.NORMAL
                            if roll < 0.05:
                                result = PsychAssessment.Result.ATTENTION
                            # A few abnormal results even in a small city: the first ones of the "attention" band.
                            if len(abnormal) < ABNORMAL_CAP and (
                                roll < 0.004 or (roll < 0.05 and len(abnormal) < 3)
                            ):
                                result = PsychAssessment.Result.ABNORMAL
                            date = _day(rng, period.start, min(period.start + dt.timedelta(days=90), on))
                            instrument = rng.choice(INSTRUMENTS)
                            score = rng.randint(20, 60) if result == "normal" else rng.randint(61, 90)
                            assessor = staff.get(school_id, admin)
                            assessments.append(
                                (
                                    child_id,
                                    school_id,
                                    date,
                                    instrument,
                                    Decimal(score),
                                    result,
                                    "演示数据",
                                    assessor.pk,
                                )
                            )
                            if result == PsychAssessment.Result.ABNORMAL:
                                abnormal.append(_Abnormal(child_id, date, assessor))
            visit_activities: list[tuple] = []
            rows = sorted(set(participations))
            for (school_id, y), members in visits.items():
                period = year_periods[y]
                for i in range(0, len(members), HOME_VISIT_GROUP):
                    visit_activities.append(
                        (
                            activity_id,
                            ActivityType.HOME_VISIT.value,
                            "班主任家访",
                            _day(rng, period.start, min(period.end, on)),
                            Activity.OrganiserKind.SCHOOL.value,
                            names[school_id],
                            school_id,
                            township_of[school_id],
                            "演示数据",
                            staff_ids.get(school_id, admin.pk),
                        )
                    )
                    rows += [(activity_id, c) for c in members[i : i + HOME_VISIT_GROUP]]
                    activity_id += 1
            with transaction.atomic():
                bulk.insert(Activity, HOME_VISIT_COLUMNS, visit_activities)
                bulk.insert(Participation, ("activity_id", "child_id"), rows)
                bulk.insert(PsychAssessment, PSYCH_COLUMNS, assessments)
            if task is not None:
                ctx.progress.update(task, advance=len(chunk))
    bulk.reset_sequence(Activity)
    _raise_flags(abnormal)
    _seed_training(ctx, rng, on, admin)


@dataclass
class _Abnormal:
    child_id: int
    date: dt.date
    assessed_by: object


HOME_VISIT_COLUMNS = (
    "id",
    "type",
    "title",
    "date",
    "organiser_kind",
    "organiser_name",
    "school_id",
    "unit_id",
    "notes",
    "created_by_id",
)
PSYCH_COLUMNS = ("child_id", "school_id", "date", "instrument", "score", "result", "notes", "assessed_by_id")


def _raise_flags(abnormal: list[_Abnormal]) -> None:
    """An abnormal result puts the child on the register, through the care service (if installed)."""
    try:
        from care.services import flag_raise
    except ImportError:
        return
    for assessment in abnormal:
        child = Child.objects.get(pk=assessment.child_id)
        flag_raise(
            actor=assessment.assessed_by,
            child=child,
            category="psych_behaviour",
            source="assessment",
            raised_on=assessment.date,
            evidence=f"学校心理健康测评提示异常（{assessment.date}），详见心理健康档案",
        )


def _seed_training(ctx, rng: random.Random, on: dt.date, admin) -> None:
    """Most townships have trained everyone; a few have not (the coverage page shows the gaps)."""
    townships = list(
        Unit.objects.filter(level=Unit.Level.TOWNSHIP).order_by("code").values_list("pk", flat=True)
    )
    lagging = set(rng.sample(townships, k=min(5, len(townships))))
    rate = {t: (rng.uniform(0.5, 0.9) if t in lagging else 1.0) for t in townships}
    records = []
    seen = set()
    serial = 0
    for user_id, level, unit_id, parent_id in (
        Assignment.objects.filter(active=True, role__in=[Role.SUPERVISOR, Role.DIRECTOR])
        .order_by("pk")
        .values_list("user_id", "unit__level", "unit_id", "unit__parent_id")
    ):
        township = unit_id if level == Unit.Level.TOWNSHIP else parent_id
        if user_id in seen or rng.random() >= rate.get(township, 1.0):
            continue
        seen.add(user_id)
        for course, organiser, hours in rng.sample(COURSES, k=rng.randint(1, 2)):
            serial += 1
            records.append(
                TrainingRecord(
                    user_id=user_id,
                    course=course,
                    organiser=organiser,
                    date=_day(rng, on - dt.timedelta(days=540), on),
                    hours=hours,
                    certificate_no=f"TMPX{on.year}{serial:05d}",
                    recorded_by=admin,
                )
            )
    TrainingRecord.objects.bulk_create(records, batch_size=BATCH)
    ctx.facts["training_records"] = len(records)
