"""Each source's effect on the child's file, the complete-list drop-out check, rollback."""

import datetime as dt

from audit.models import AuditEvent
from exchange.models import ChildEffect, FeedBatch, HealthRecord
from exchange.services import feed_rollback
from exchange.tests.helpers import run_feed, write_csv
from registry.models import Child


def _open_findings(child, category_code):
    from care.models import RiskFlag

    return RiskFlag.objects.filter(child=child, category__code=category_code, status="active")


def test_education_updates_schooling_and_is_on_the_file(registry, tmp_path):
    child = registry["wang"]
    rows = [
        ["学生姓名", "学生身份证号", "学校名称", "年级"],
        [child.name, child.id_number, "天门市某某小学", "四年级"],
    ]
    run_feed(write_csv(tmp_path / "e.csv", rows), "education", tmp_path)
    child.refresh_from_db()
    assert (child.school_stage, child.grade, child.school_name) == ("小学", "四年级", "天门市某某小学")
    effect = ChildEffect.objects.get(child=child)
    assert effect.kind == "schooling" and effect.batch.source.code == "education"
    assert AuditEvent.objects.filter(
        object_id=str(child.pk), action="update", batch=effect.batch.label
    ).exists()


def test_complete_education_list_flags_absent_pupils(registry, tmp_path):
    present, absent = registry["wang"], registry["zhangwei"]  # zhangwei is at 小学 and 9 years old
    rows = [
        ["学生姓名", "学生身份证号", "学校名称", "年级"],
        [present.name, present.id_number, "天门市某某小学", "四年级"],
    ]
    run_feed(write_csv(tmp_path / "e.csv", rows), "education", tmp_path, complete=True)
    assert _open_findings(absent, "dropout").count() == 1
    assert not _open_findings(present, "dropout").exists()
    assert ChildEffect.objects.filter(child=absent, kind="dropout").exists()


def test_incomplete_education_list_flags_nobody(registry, tmp_path):
    present = registry["wang"]
    rows = [["学生姓名", "学生身份证号"], [present.name, present.id_number]]
    run_feed(write_csv(tmp_path / "e.csv", rows), "education", tmp_path)
    assert not ChildEffect.objects.filter(kind="dropout").exists()


def test_police_confirms_residence_and_earlier_arrival(registry, tmp_path):
    child = registry["wang"]
    earlier = child.arrival_date - dt.timedelta(days=100)
    rows = [
        ["姓名", "公民身份号码", "来本地日期"],
        [child.name, child.id_number, earlier.strftime("%Y/%m/%d")],
    ]
    run_feed(write_csv(tmp_path / "p.csv", rows), "police", tmp_path)
    child.refresh_from_db()
    assert child.residence_permit is True and child.arrival_date == earlier


def test_police_registers_unknown_child_pending_in_the_village(registry, city, tmp_path):
    from common.testing import make_id

    birth = dt.date.today().replace(year=dt.date.today().year - 7)
    number = make_id(birth, male=False)
    address = f"天门市岳口镇{city.yuekou_community.name}3组"
    rows = [
        ["姓名", "公民身份号码", "居住地址", "联系人", "联系电话"],
        ["周小雨", number, address, "周大山", "13900001111"],
    ]
    report = run_feed(write_csv(tmp_path / "p.csv", rows), "police", tmp_path)
    assert report["rows"][0]["outcome"] == "new"
    child = Child.objects.get(name="周小雨")
    assert child.pending_verification and child.village_id == city.yuekou_community.pk
    assert child.residence_permit is True
    # The village's child director sees the new file.
    from access.policy import children_visible

    assert children_visible(city.yuekou_director).filter(pk=child.pk).exists()


def test_health_record_is_stored_and_missed_vaccination_raises_a_task(registry, tmp_path):
    child = registry["li_a"]
    rows = [["儿童姓名", "身份证号码", "预防接种情况", "健康筛查", "随访日期"],
            [child.name, child.id_number, "漏种麻腮风", "视力正常", "2025.3.4"]]  # fmt: skip
    run_feed(write_csv(tmp_path / "h.csv", rows), "health", tmp_path)
    record = HealthRecord.objects.get(child=child)
    assert record.vaccination_complete is False and record.managed_on == dt.date(2025, 3, 4)
    assert child.feed_tasks.filter(kind="vaccination", status="open").exists()


def test_insurance_warning_raises_family_hardship_review(registry, tmp_path):
    child = registry["wang"]
    rows = [
        ["参保人姓名", "证件号码", "医疗费用总额(元)", "预警日期"],
        [child.name, child.id_number, "86,000.50", "20250301"],
    ]
    run_feed(write_csv(tmp_path / "i.csv", rows), "insurance", tmp_path)
    flag = _open_findings(child, "family_hardship").get()
    assert flag.source == "feed" and flag.approved_by_id is None  # the supervisor confirms it


def test_rollback_restores_before_values_and_removes_untouched_new_children(registry, city, tmp_path):
    child = registry["wang"]
    before = (child.school_stage, child.grade, child.school_name)
    rows = [["学生姓名", "学生身份证号", "学校名称", "年级", "现住址", "出生日期", "性别"],
            [child.name, child.id_number, "天门市某某小学", "四年级", "", "", ""],
            ["吴新来", "", "天门市某某小学", "二年级", "天门市岳口镇新街8号", "2017-05-06", "男"]]  # fmt: skip
    run_feed(write_csv(tmp_path / "e.csv", rows), "education", tmp_path)
    assert Child.objects.filter(name="吴新来", pending_verification=True).exists()
    batch = FeedBatch.objects.get()
    result = feed_rollback(actor=city.admin, batch=batch)
    child.refresh_from_db()
    assert (child.school_stage, child.grade, child.school_name) == before
    assert not Child.objects.filter(name="吴新来").exists()
    assert result["removed"] == 1
    batch.refresh_from_db()
    assert batch.status == "rolled_back"
    assert AuditEvent.objects.filter(action="delete", object_type="exchange.feedbatch").exists()


def test_rollback_keeps_values_changed_since(registry, city, tmp_path):
    from dataclasses import replace

    from registry.services import child_update, input_from_child

    child = registry["wang"]
    rows = [["学生姓名", "学生身份证号", "年级"], [child.name, child.id_number, "四年级"]]
    run_feed(write_csv(tmp_path / "e.csv", rows), "education", tmp_path)
    child.refresh_from_db()
    child_update(actor=city.admin, child=child, data=replace(input_from_child(child), grade="五年级"))
    result = feed_rollback(actor=city.admin, batch=FeedBatch.objects.get())
    child.refresh_from_db()
    assert child.grade == "五年级" and result["notes"]


def test_disability_certificate_number_gives_id_category_and_level(registry, tmp_path):
    child = registry["li_a"]
    rows = [["残疾人姓名", "残疾人证号", "救助项目"], [child.name, child.id_number + "42", "康复训练"]]
    report = run_feed(write_csv(tmp_path / "d.csv", rows), "disability", tmp_path)
    assert report["rows"][0]["child_id_number"] == child.id_number
    child.refresh_from_db()
    assert (child.disability_category, child.disability_level) == ("肢体", 2)


def test_demo_seed_runs_the_pipeline(registry, city):
    import io
    import random

    from demo.context import DemoContext
    from exchange import demo

    ctx = DemoContext(seed=1, on=dt.date.today(), children=0, rng=random.Random(1), stdout=io.StringIO(),
                      progress=None, personas={"admin": city.admin})  # fmt: skip
    demo.seed(ctx)
    assert FeedBatch.objects.filter(status="done").count() == 2
    demo.seed(ctx)  # idempotent
    assert FeedBatch.objects.count() == 2


def test_rollback_removes_unconfirmed_flags_it_raised(registry, city, tmp_path):
    child = registry["wang"]
    rows = [["参保人姓名", "证件号码", "医疗费用总额(元)"], [child.name, child.id_number, "86000"]]
    run_feed(write_csv(tmp_path / "i.csv", rows), "insurance", tmp_path)
    assert _open_findings(child, "family_hardship").exists()
    feed_rollback(actor=city.admin, batch=FeedBatch.objects.get())
    assert not _open_findings(child, "family_hardship").exists()


def test_effects_show_on_the_childs_file(registry, city, login, client, tmp_path):
    child = registry["wang"]
    rows = [["学生姓名", "学生身份证号", "年级"], [child.name, child.id_number, "四年级"]]
    run_feed(write_csv(tmp_path / "e.csv", rows), "education", tmp_path)
    login(city.yuekou_supervisor)
    page = client.get(f"/children/{child.pk}/").content.decode()
    batch = FeedBatch.objects.get()
    assert "部门数据" in page and f"第{batch.pk}批" in page and "四年级" in page
    assert batch.label not in page  # the audit's batch code is not for people
