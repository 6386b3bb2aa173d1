"""The care section of the registry's file page (care/file_sections.py)."""

from __future__ import annotations

import datetime as dt

from care import selectors, services
from care.file_sections import file_summary, sections
from care.models import CareStatus, EscalationStepType
from care.status import refresh_child


def _record(city, child, today):
    kept = services.flag_raise(
        actor=city.yuekou_supervisor, child=child, category="guardianship_missing", source="manual"
    )
    closed = services.flag_raise(
        actor=city.yuekou_supervisor, child=child, category="dropout", source="manual"
    )
    services.flag_close(actor=city.yuekou_supervisor, flag=closed, reason="已复学")
    for code, days_ago in (("report_police", 1), ("admonish", 5)):
        services.escalation_record(
            actor=city.yuekou_director,
            child=child,
            step_type=EscalationStepType.objects.get(code=code),
            taken_on=today - dt.timedelta(days=days_ago),
        )
    refresh_child(child.pk, on=today)
    return kept


def test_summary_is_what_the_care_record_shows_on_the_file(city, kids, today):
    child = kids["own"]
    _record(city, child, today)
    record = selectors.care_record(city.yuekou_supervisor, child, on=today)
    summary = file_summary(child, on=today)
    assert [f.pk for f in summary.flags] == [f.pk for f in record.flags] and len(summary.flags) == 1
    assert summary.current_step == record.steps[-1]
    assert summary.current_step.step_type.code == "report_police"
    assert summary.status == record.status
    assert (summary.overdue_visit, summary.overdue_contact) == (record.overdue_visit, record.overdue_contact)
    html = sections(city.yuekou_supervisor, child)[0].html
    assert "报告公安机关" in html and "重点关注" in html


def test_without_a_summary_row_the_flags_and_step_are_still_read(city, kids, today):
    child = kids["own"]
    _record(city, child, today)
    CareStatus.objects.filter(child=child).delete()
    summary = file_summary(child, on=today)
    assert summary.status is None and len(summary.flags) == 1
    assert summary.current_step.step_type.code == "report_police"


def test_a_child_without_flags_or_steps_reads_only_the_summary_row(
    city, kids, today, django_assert_num_queries
):
    refresh_child(kids["own"].pk, on=today)
    with django_assert_num_queries(1):
        summary = file_summary(kids["own"], on=today)
    assert summary.flags == [] and summary.current_step is None
