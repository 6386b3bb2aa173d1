"""Compliance by township, village and worker; the daily task and its reminders; assessments."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from care import selectors, services
from care.models import AssessmentForm, CareStatus, Notification, RiskFlag
from care.services import CareError
from care.status import refresh_all
from common.testing import make_child
from registry.status import add_months


def test_compliance_by_township_village_and_worker(city, today):
    start, end = add_months(today, -3), today
    old = today - dt.timedelta(days=800)
    visited = make_child(village=city.yuekou_community, arrival_date=old)
    make_child(village=city.yuekou_community, arrival_date=old)  # due, not visited
    other = make_child(village=city.yuekou_other_village, arrival_date=old)
    make_child(village=city.yuekou_community, arrival_date=today - dt.timedelta(days=30))  # not migrant yet
    services.visit_create(
        outcome="reached",
        notes="入户了解情况",
        actor=city.admin,
        child=visited,
        kind="上门走访",
        visited_on=today - dt.timedelta(days=5),
    )
    services.visit_create(
        outcome="reached",
        notes="入户了解情况",
        actor=city.admin,
        child=other,
        kind="电话",
        visited_on=today - dt.timedelta(days=5),
    )
    services.flag_raise(
        actor=city.admin,
        child=other,
        category="dropout",
        source="manual",
        raised_on=start - dt.timedelta(days=1),
    )
    refresh_all(on=today)
    rows = selectors.compliance(city.yuekou_supervisor, start, end, by="township")
    assert len(rows) == 1
    row = rows[0]
    assert (row.visit_due, row.visit_done, row.visit_pct) == (3, 1, 33.3)
    assert (row.contact_due, row.contact_done, row.contact_pct) == (1, 1, 100.0)
    by_village = {r.key: r for r in selectors.compliance(city.yuekou_supervisor, start, end, by="village")}
    assert by_village[city.yuekou_community.pk].visit_due == 2
    assert by_village[city.yuekou_other_village.pk].visit_done == 0
    workers = {r.key: r for r in selectors.compliance(city.yuekou_supervisor, start, end, by="worker")}
    assert workers[city.yuekou_director.pk].visit_due == 2
    assert workers[city.yuekou_director.pk].visit_done == 1
    # The director's own scope: the community only; 多宝镇 sees nothing of 岳口镇.
    assert selectors.compliance(city.yuekou_director, start, end)[0].visit_due == 2
    assert selectors.compliance(city.duobao_supervisor, start, end) == []


def test_compliance_page_renders_and_validates(city, login, client):
    login(city.yuekou_supervisor)
    assert client.get(reverse("care:compliance")).status_code == 200
    response = client.get(
        reverse("care:compliance"), {"start": "2026-05-01", "end": "2026-01-01", "by": "village"}
    )
    assert "结束日期不能早于开始日期" in response.content.decode()


def test_daily_command_flags_refreshes_and_notifies_once(city, today):
    disabled = make_child(
        village=city.yuekou_community, health="残疾", arrival_date=today - dt.timedelta(days=800)
    )
    make_child(village=city.yuekou_community, arrival_date=today - dt.timedelta(days=800))
    out = io.StringIO()
    call_command("care_daily", "--on", today.isoformat(), stdout=out)
    assert '"flagged": 1' in out.getvalue()
    assert RiskFlag.objects.get(child=disabled).source == "data"
    assert CareStatus.objects.get(child=disabled).key_attention is True
    notes = Notification.objects.filter(user=city.yuekou_director)
    assert notes.count() == 1 and "逾期未走访 2 人" in notes.get().text
    assert Notification.objects.filter(user=city.yuekou_supervisor).count() == 1
    assert not Notification.objects.filter(user=city.duobao_supervisor).exists()
    call_command("care_daily", "--on", today.isoformat(), stdout=io.StringIO())
    assert Notification.objects.filter(user=city.yuekou_director).count() == 1


def test_daily_task_runs_through_django_tasks(city, today):
    from care.tasks import care_daily

    make_child(village=city.yuekou_community, arrival_date=today - dt.timedelta(days=800))
    result = care_daily.enqueue(today.isoformat())
    assert result.return_value["children"] == 1


def test_notification_page_marks_read(city, login, client):
    Notification.objects.create(user=city.yuekou_director, text="提醒", url="/care/")
    login(city.yuekou_director)
    assert "提醒" in client.get(reverse("care:notifications")).content.decode()
    client.post(reverse("care:notifications"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_bad_date_for_the_command_is_a_chinese_error(city):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="日期格式"):
        call_command("care_daily", "--on", "2026-13-01")


def test_high_risk_assessment_raises_a_flag(city, kids, today):
    form = AssessmentForm.objects.get(code="guardianship_capacity", version=1)
    worst = {item["code"]: len(item["options"]) - 1 for item in form.items}
    assessment = services.assessment_record(
        actor=city.yuekou_director, child=kids["own"], form=form, answers=worst, assessed_on=today
    )
    assert assessment.level == "监护缺失风险"
    flag = RiskFlag.objects.get(child=kids["own"])
    assert (
        flag.category.code == "guardianship_missing"
        and flag.source == "assessment"
        and flag.assessment == assessment
    )


def test_low_score_raises_nothing_and_missing_answers_are_refused(city, kids, today):
    form = AssessmentForm.objects.get(code="risk", version=1)
    best = {item["code"]: 0 for item in form.items}
    assessment = services.assessment_record(
        actor=city.yuekou_director, child=kids["own"], form=form, answers=best, assessed_on=today
    )
    assert assessment.score == 0 and assessment.level == "低风险"
    assert not RiskFlag.objects.exists()
    with pytest.raises(CareError, match="请回答"):
        services.assessment_record(
            actor=city.yuekou_director, child=kids["own"], form=form, answers={}, assessed_on=today
        )


def test_assessment_page_scores(city, kids, today, login, client):
    form = AssessmentForm.objects.get(code="risk", version=1)
    login(city.yuekou_director)
    data = {f"q_{item['code']}": "0" for item in form.items}
    data["assessed_on"] = today.isoformat()
    response = client.post(reverse("care:assessment_create", args=[kids["own"].pk, "risk"]), data)
    assert response.status_code == 302
    assert kids["own"].care_assessments.get().level == "低风险"


def test_escalation_step_shows_on_the_register_and_the_file(city, kids, today, login, client):
    from care.file_sections import sections
    from care.models import EscalationStepType

    child = kids["own"]
    services.flag_raise(
        actor=city.yuekou_supervisor, child=child, category="guardianship_missing", source="manual"
    )
    services.escalation_record(
        actor=city.yuekou_director,
        child=child,
        step_type=EscalationStepType.objects.get(code="admonish"),
        taken_on=today,
    )
    services.escalation_record(
        actor=city.yuekou_director,
        child=child,
        step_type=EscalationStepType.objects.get(code="report_police"),
        taken_on=today,
    )
    login(city.yuekou_supervisor)
    text = client.get(reverse("care:register")).content.decode()
    assert "报告公安机关" in text
    section = sections(city.yuekou_supervisor, child)[0]
    assert "报告公安机关" in section.html
    assert sections(city.leader, child) == []


def test_care_section_appears_on_the_registry_file(city, kids, login, client):
    services.flag_raise(actor=city.yuekou_supervisor, child=kids["own"], category="dropout", source="manual")
    login(city.yuekou_director)
    response = client.get(reverse("registry:detail", args=[kids["own"].pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "重点关注与走访" in text and "失辍学" in text
