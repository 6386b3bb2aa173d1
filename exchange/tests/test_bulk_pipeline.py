"""The pipeline's chunk-at-a-time writes: the same outcomes as row by row when a chunk holds
several rows of one child, several chunks, many registrations, and the set-based rollback."""

import datetime as dt

from audit.models import AuditEvent
from exchange import services
from exchange.effects import rounds
from exchange.models import ChildEffect, FeedBatch, FeedRow, HealthRecord, VerificationTask
from exchange.services import feed_rollback
from exchange.tests.helpers import run_feed, write_csv
from registry.models import Child


def test_rounds_keep_order_and_put_a_repeated_key_in_a_later_round():
    items = ["a1", "b1", "a2", "c1", "a3", "b2"]
    assert rounds(items, key=lambda s: s[0]) == [["a1", "b1", "c1"], ["a2", "b2"], ["a3"]]
    assert rounds([], key=lambda s: s) == []


def test_two_rows_of_one_child_apply_in_order_and_roll_back_to_the_start(registry, city, tmp_path):
    child = registry["wang"]
    start = (child.school_stage, child.grade, child.school_name)
    rows = [["学生姓名", "学生身份证号", "学校名称", "年级"],
            [child.name, child.id_number, "天门市某某小学", "三年级"],
            [child.name, child.id_number, "天门市某某小学", "四年级"]]  # fmt: skip
    run_feed(write_csv(tmp_path / "e.csv", rows), "education", tmp_path)
    child.refresh_from_db()
    assert child.grade == "四年级"
    first, second = ChildEffect.objects.filter(child=child).order_by("id")
    assert first.after["grade"] == "三年级" and second.before == {"grade": "三年级"}
    assert second.after == {"grade": "四年级"}
    result = feed_rollback(actor=city.admin, batch=FeedBatch.objects.get())
    child.refresh_from_db()
    assert (child.school_stage, child.grade, child.school_name) == start
    assert result["undone"] == 2 and not result["notes"]


def test_rows_keep_their_effect_summary(registry, tmp_path):
    child = registry["wang"]
    rows = [["学生姓名", "学生身份证号", "年级"], [child.name, child.id_number, "四年级"]]
    run_feed(write_csv(tmp_path / "e.csv", rows), "education", tmp_path)
    row = FeedRow.objects.get(number=1)
    effect = ChildEffect.objects.get(child=child)
    assert row.effect == {"effects": [effect.pk], "summary": [effect.summary]}
    assert "四年级" in effect.summary


def test_several_chunks_give_the_same_report_as_one(registry, tmp_path, monkeypatch):
    kids = list(registry.values())
    rows = [["学生姓名", "学生身份证号", "年级"]] + [[c.name, c.id_number, "四年级"] for c in kids]
    rows.append(["吴新来", "", "二年级"])
    one = run_feed(write_csv(tmp_path / "a.csv", rows), "education", tmp_path)
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    progress = []
    batch = services.feed_import(
        actor=services.system_user(), source=FeedBatch.objects.get().source, file=tmp_path / "a.csv",
        file_name="a.csv", progress=lambda b: progress.append(b.processed_rows),
    )  # fmt: skip
    again = services.report(batch, full_ids=True)
    assert [(r["row"], r["outcome"], r["child_id_number"]) for r in again["rows"]] == [
        (r["row"], r["outcome"], r["child_id_number"]) for r in one["rows"]
    ]
    assert progress == [2, 4, 6, 7] and batch.total_rows == len(kids) + 1 == batch.processed_rows


def test_health_rows_of_one_child_open_one_vaccination_task(registry, tmp_path):
    child = registry["li_a"]
    rows = [["儿童姓名", "身份证号码", "预防接种情况"],
            [child.name, child.id_number, "漏种麻腮风"], [child.name, child.id_number, "未按程序完成"]]  # fmt: skip
    run_feed(write_csv(tmp_path / "h.csv", rows), "health", tmp_path)
    assert HealthRecord.objects.filter(child=child).count() == 2
    assert VerificationTask.objects.filter(child=child, kind="vaccination", status="open").count() == 1
    tasks = [e.after for e in ChildEffect.objects.filter(child=child).order_by("id") if "task" in e.after]
    assert [t["created"] for t in tasks] == [True, False]
    events = AuditEvent.objects.filter(object_id=str(child.pk), batch=FeedBatch.objects.get().label)
    assert events.filter(action="create").count() == 4  # two records, two findings


def test_an_open_vaccination_task_is_kept_not_duplicated(registry, tmp_path):
    child = registry["li_a"]
    rows = [["儿童姓名", "身份证号码", "预防接种情况"], [child.name, child.id_number, "漏种麻腮风"]]
    run_feed(write_csv(tmp_path / "h1.csv", rows), "health", tmp_path)
    run_feed(write_csv(tmp_path / "h2.csv", rows), "health", tmp_path)
    assert VerificationTask.objects.filter(child=child, kind="vaccination").count() == 1


def _police_rows(city, people):
    address = f"天门市岳口镇{city.yuekou_community.name}3组"
    return [["姓名", "公民身份号码", "居住地址", "联系人", "联系电话"]] + [
        [name, number, address, guardian, phone] for name, number, guardian, phone in people
    ]


def test_a_new_child_twice_in_one_chunk_is_registered_once(registry, city, tmp_path):
    from common.testing import make_id

    birth = dt.date.today().replace(year=dt.date.today().year - 7)
    number = make_id(birth, male=False)
    rows = _police_rows(
        city, [("周小雨", number, "周大山", "13900001111"), ("周小雨", number, "周大山", "13900001111")]
    )
    report = run_feed(write_csv(tmp_path / "p.csv", rows), "police", tmp_path)
    assert Child.objects.filter(name="周小雨").count() == 1
    assert [r["outcome"] for r in report["rows"]] == ["new", "new"]
    assert "已登记为待核实档案" in report["rows"][0]["reason"]
    assert "与本批第 1 行为同一儿童" in report["rows"][1]["reason"]
    row = FeedRow.objects.get(number=1)
    assert row.created_child and row.child.name == "周小雨"
    assert not FeedRow.objects.get(number=2).created_child


def test_many_registrations_and_their_rollback(registry, city, tmp_path, monkeypatch):
    from common.testing import make_id

    monkeypatch.setattr(services, "ROLLBACK_CHUNK", 3)
    birth = dt.date.today().replace(year=dt.date.today().year - 8)
    people = [(f"周小{'一二三四五六七'[i]}", make_id(birth + dt.timedelta(days=i), male=True), f"周大{i}", f"1390000{i:04d}")
              for i in range(7)]  # fmt: skip
    run_feed(write_csv(tmp_path / "p.csv", _police_rows(city, people)), "police", tmp_path)
    batch = FeedBatch.objects.get()
    created = list(Child.objects.filter(name__startswith="周小").order_by("pk"))
    assert len(created) == 7 and all(c.pending_verification and c.residence_permit for c in created)
    # One file was verified since: it stays, with a note.
    Child.objects.filter(pk=created[0].pk).update(pending_verification=False)
    households = {c.household_id for c in created[1:]}
    result = feed_rollback(actor=city.admin, batch=batch)
    assert result["removed"] == 6
    assert list(Child.objects.filter(name__startswith="周小")) == [created[0]]
    assert any(created[0].file_no in n for n in result["notes"])
    assert (
        AuditEvent.objects.filter(action="delete", object_type="registry.child", batch=batch.label).count()
        == 6
    )
    from registry.models import Household

    assert not Household.objects.filter(pk__in=households).exists()
    assert not FeedRow.objects.filter(batch=batch, child__isnull=False).exclude(child=created[0]).exists()


def test_rollback_keeps_a_registered_child_referenced_elsewhere(registry, city, tmp_path):
    from common.testing import make_id

    birth = dt.date.today().replace(year=dt.date.today().year - 8)
    people = [("周小一", make_id(birth, male=True), "周大一", "13900000001"),
              ("周小二", make_id(birth + dt.timedelta(days=3), male=True), "周大二", "13900000002")]  # fmt: skip
    run_feed(write_csv(tmp_path / "p.csv", _police_rows(city, people)), "police", tmp_path)
    kept = Child.objects.get(name="周小一")
    version = kept.version
    from care.models import RiskCategory, RiskFlag

    RiskFlag.objects.create(
        child=kept, category=RiskCategory.objects.first(), source="visit", raised_on=dt.date.today()
    )
    Child.objects.filter(pk=kept.pk).update(version=version)  # untouched as far as the file goes
    result = feed_rollback(actor=city.admin, batch=FeedBatch.objects.get())
    assert result["removed"] == 1
    assert Child.objects.filter(name="周小一").exists() and not Child.objects.filter(name="周小二").exists()
    assert any("已有其他记录关联" in n for n in result["notes"])


def test_a_file_that_cannot_be_updated_is_noted_on_the_row(registry, tmp_path):
    child = registry["wang"]
    # A file whose stored facts no longer pass the registry's checks (a birth date after today).
    Child.objects.filter(pk=child.pk).update(birth_date=dt.date.today() + dt.timedelta(days=3))
    rows = [["学生姓名", "学生身份证号", "年级"], [child.name, child.id_number, "四年级"]]
    report = run_feed(write_csv(tmp_path / "e.csv", rows), "education", tmp_path)
    assert report["rows"][0]["outcome"] == "linked"
    assert "未能更新档案" in report["rows"][0]["reason"]
    assert not ChildEffect.objects.filter(child=child).exists()
