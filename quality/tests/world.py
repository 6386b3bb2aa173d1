"""A small city with one object of every kind inside 岳口镇 (the "in" side) and one in 多宝镇
(the "out" side), created through the apps' services. Shared by the quality tests.

Children carry distinctive names (岳甲一 …, 多乙一 …) and known ID and phone numbers, so that a
response body can be searched for them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from common import idnumber
from common.testing import make_child
from registry.models import Child, Guardian

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# (key, name, guardian name, guardian phone, where: "own" community / "other" 岳口镇 village / "duobao")
CHILDREN = [
    ("in", "岳甲一", "岳监甲", "13907310011", "own"),
    ("in2", "岳丙三", "岳监丙", "13907310022", "other"),
    ("out", "多乙一", "多监乙", "13907310033", "duobao"),
    ("out2", "多丁四", "多监丁", "13907310044", "duobao"),
]


@dataclass
class World:
    city: object
    today: dt.date
    children: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def __getitem__(self, key):
        return self.objects[key]

    # Personal data that may leak, per child.
    def identifiers(self, child: Child) -> dict:
        guardians = list(Guardian.objects.filter(household_id=child.household_id))
        return {
            "names": [child.name] + [g.name for g in guardians],
            "id_full": [child.id_number] + [g.id_number for g in guardians if g.id_number],
            "id_masked": [child.id_masked] + [g.id_masked for g in guardians if g.id_masked],
            "phone_full": [g.phone for g in guardians if g.phone],
            "phone_masked": [g.phone_masked for g in guardians if g.phone_masked],
        }


def _child(city, name, guardian_name, phone, where, school, duobao_school, on):
    village = {
        "own": city.yuekou_community,
        "other": city.yuekou_other_village,
        "duobao": city.duobao_village,
    }[where]
    birth = on.replace(year=on.year - 9) - dt.timedelta(days=20 + len(name))
    fields = {"school_stage": "小学"}
    if where == "own":
        fields["school"] = school
    elif where == "duobao":
        fields["school"] = duobao_school
    child = make_child(
        village=village,
        name=name,
        birth_date=birth,
        guardian_phone=phone,
        arrival_date=on - dt.timedelta(days=800),
        hukou_county="411625",
        **fields,
    )
    Guardian.objects.filter(household=child.household).update(name=guardian_name)
    return Child.objects.get(pk=child.pk)


def ledger_csv(rows: list[dict], name: str = "台账.csv") -> SimpleUploadedFile:
    from ledger.rows import HEADERS

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["流动儿童台账"])
    writer.writerow(HEADERS)
    for values in rows:
        writer.writerow([values.get(h, "") for h in HEADERS])
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")


def ledger_row(township: str, village: str, *, name: str, sequence: int, on: dt.date) -> dict:
    birth = on.replace(year=on.year - 8) - dt.timedelta(days=sequence)
    return {
        "姓名": name,
        "性别": "男",
        "出生日期": birth.isoformat(),
        "公民身份号码": idnumber.make("411625", birth, 2 * sequence + 1),
        "户籍地址": "河南省周口市郸城县某村",
        "到达本地日期": on.replace(year=on.year - 2).isoformat(),
        "居住乡镇（街道）": township,
        "居住村（社区）": village,
        "监护人姓名": "台账家长",
        "监护人与儿童关系": "父亲",
        "监护人联系电话": f"1370000{sequence:04d}",
        "就学状态": "小学",
    }


def build_world(city, tmp_path) -> World:  # noqa: C901 - one object of each kind, in order
    from care import services as care
    from care.models import EscalationStepType
    from exchange import services as exchange
    from exchange.models import FeedSource, ReviewItem
    from exchange.tests.helpers import write_csv
    from ledger import services as ledger
    from network.models import Department
    from registry import services as registry
    from registry.models import CensusTask
    from schools import services as schools
    from schools.models import School, SchoolYear
    from servicelist import services as servicelist
    from servicelist.models import Entitlement, NeedFlag, ServiceDepartment
    from servicelist.selectors import list_in_force

    on = timezone.localdate()
    w = World(city=city, today=on)
    school = city.teacher.assignments.get().school
    duobao_school = School.objects.filter(township=city.duobao).order_by("name").first()
    for key, name, guardian, phone, where in CHILDREN:
        w.children[key] = _child(city, name, guardian, phone, where, school, duobao_school, on)
    o = w.objects
    o["school_in"], o["school_out"] = school, duobao_school
    sides = {
        "in": (w.children["in"], city.yuekou_supervisor),
        "out": (w.children["out"], city.duobao_supervisor),
    }

    for side, (child, supervisor) in sides.items():
        visit = care.visit_create(
            outcome="reached",
            actor=supervisor,
            child=child,
            kind="上门走访",
            visited_on=on,
            notes="入户了解情况",
            follow_ups=[("联系学校", on + dt.timedelta(days=3))],
        )
        o[f"visit_{side}"] = visit
        o[f"follow_up_{side}"] = visit.follow_ups.get()
        first = care.flag_raise(actor=supervisor, child=child, category="dropout", source="manual")
        o[f"exit_{side}"] = care.flag_close(actor=supervisor, flag=first, reason="已复学").exit_request
        o[f"flag_{side}"] = care.flag_raise(
            actor=supervisor, child=child, category="family_hardship", source="manual", evidence="收入低"
        )
        o[f"step_{side}"] = care.escalation_record(
            actor=supervisor,
            child=child,
            step_type=EscalationStepType.objects.get(code="admonish"),
            taken_on=on,
            document=SimpleUploadedFile("劝诫书.pdf", PDF, content_type="application/pdf"),
        )
        # The family leaves the guardian's phone, and writes it in the text too: both masked.
        phone = next(g.phone for g in Guardian.objects.filter(household_id=child.household_id) if g.phone)
        o[f"help_{side}"] = care.help_request_submit(
            who="family",
            township=child.township,
            description=f"家里孩子需要帮助，请打{phone}联系",
            contact_phone=phone,
        )
        o[f"document_{side}"] = registry.document_upload(
            actor=supervisor, child=child, file=SimpleUploadedFile("证明.pdf", PDF), title="居住证明"
        )
        servicelist.entitlements_recompute(child=child)
        o[f"entitlement_{side}"] = Entitlement.objects.filter(child=child).order_by("no").first()
        o[f"need_{side}"] = servicelist.need_flag_set(
            actor=supervisor, child=child, kind="emergency_hardship", note="需要帮助"
        )
        o[f"psych_{side}"] = schools.psych_record(
            actor=supervisor, child=child, date=on, instrument="MHT", result="normal"
        )

    version = list_in_force(on)
    o["version"] = version
    education = Department.objects.get(code="education")
    edu_service = ServiceDepartment.objects.filter(service__version=version, department=education).first()
    other_link = (
        ServiceDepartment.objects.filter(service__version=version)
        .exclude(department=education)
        .select_related("service", "department")
        .first()
    )
    consent = {"consent": True, "consent_by": "父亲", "consent_on": on}
    o["referral_in"] = servicelist.referral_send(
        actor=city.yuekou_supervisor,
        child=w.children["in"],
        department=education,
        service=edu_service.service,
        reason="适龄儿童需协调入学",
        deadline=on + dt.timedelta(days=10),
        **consent,
    )
    o["referral_out"] = servicelist.referral_send(
        actor=city.duobao_supervisor,
        child=w.children["out"],
        department=other_link.department,
        service=other_link.service,
        reason="需要部门协助",
        deadline=on + dt.timedelta(days=10),
        **consent,
    )

    o["transfer_in"] = registry.transfer_request(
        actor=city.duobao_supervisor,
        child=w.children["out2"],
        to_township=city.yuekou,
        reason="随父母到岳口镇务工",
    )
    o["transfer_out"] = registry.transfer_request(
        actor=city.yuekou_supervisor,
        child=w.children["in2"],
        to_township=city.duobao,
        reason="随父母到多宝镇务工",
    )
    o["census"] = registry.census_open(
        actor=city.admin,
        name="质量测试摸排",
        period_start=on,
        period_end=on + dt.timedelta(days=30),
        deadline=on + dt.timedelta(days=20),
    )
    o["task_in"] = CensusTask.objects.get(round=o["census"], child=w.children["in"])
    o["task_out"] = CensusTask.objects.get(round=o["census"], child=w.children["out"])
    from registry import closing

    o["closure_in"] = closing.closure_propose(
        actor=city.yuekou_director, child=w.children["in"], reason="returned_home", note="随父母返回户籍地"
    )
    o["closure_out"] = closing.closure_propose(
        actor=city.duobao_supervisor, child=w.children["out"], reason="returned_home", note="随父母返回户籍地"
    )

    o["year"] = SchoolYear.objects.order_by("pk").first() or schools.calendar_save(
        actor=city.admin,
        name=f"{on.year}-{on.year + 1}",
        dates={
            "semester1_start": dt.date(on.year, 9, 1),
            "semester1_end": dt.date(on.year + 1, 1, 23),
            "winter_start": dt.date(on.year + 1, 1, 24),
            "winter_end": dt.date(on.year + 1, 2, 28),
            "semester2_start": dt.date(on.year + 1, 3, 1),
            "semester2_end": dt.date(on.year + 1, 7, 3),
            "summer_start": dt.date(on.year + 1, 7, 4),
            "summer_end": dt.date(on.year + 1, 8, 31),
        },
    )
    for side, actor, where in (("in", city.teacher, school), ("out", city.duobao_supervisor, duobao_school)):
        activity = schools.activity_record(
            actor=actor,
            type="reading",
            title="阅读指导",
            date=on,
            organiser_kind="school",
            organiser_name=where.name,
            school=where,
        )
        schools.activity_add_children(actor=actor, activity=activity, children=[w.children[side]])
        o[f"activity_{side}"] = activity
        o[f"attachment_{side}"] = schools.attachments_add(
            actor=actor, activity=activity, uploads=[SimpleUploadedFile("签到表.pdf", PDF)]
        )[0]

    o["import_in"] = ledger.ledger_upload(
        actor=city.yuekou_supervisor,
        file=ledger_csv([ledger_row("岳口镇", city.yuekou_community.name, name="岳台账", sequence=1, on=on)]),
        filename="岳口台账.csv",
    )
    o["import_out"] = ledger.ledger_upload(
        actor=city.duobao_supervisor,
        file=ledger_csv([ledger_row("多宝镇", city.duobao_village.name, name="多台账", sequence=2, on=on)]),
        filename="多宝台账.csv",
    )

    # A department file with one ambiguous row per side (same name and birth date, another
    # guardian): each goes to review in the child's township.
    head = ["学生姓名", "性别", "出生日期", "家长姓名", "家长联系电话"]
    rows = [head] + [
        [c.name, c.sex, c.birth_date.isoformat(), "孙红", "13999999999"]
        for c in (w.children["in"], w.children["out"])
    ]
    source = FeedSource.objects.get(code="education")
    path = write_csv(tmp_path / "feed.csv", rows)
    o["batch_file"] = exchange.feed_import(
        actor=city.admin, source=source, file=str(path), file_name="feed.csv"
    )
    o["review_in"] = ReviewItem.objects.get(township=city.yuekou)
    o["review_out"] = ReviewItem.objects.get(township=city.duobao)
    o["batch_api"] = exchange.feed_push(
        actor=city.edu_liaison,
        source=source,
        rows=[{"学生姓名": "推送童", "性别": "男", "出生日期": "2016-05-05", "家长联系电话": "13911112222"}],
    )
    o["need_in_obj"] = NeedFlag.objects.filter(child=w.children["in"]).first()
    for child in w.children.values():
        child.refresh_from_db()
    return w
