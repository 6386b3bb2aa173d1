"""Demo key attention and visits: visits over the last 6 months for most children (some
overdue, some never visited), flags on about 5% of children (all disabled children from
their data), assessments, escalation steps, exit requests, help requests, the cadence
summary and the first day's reminders. Streams over child ids in chunks with bulk inserts,
so that it also builds the 1,000,000-child benchmark city."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import accumulate

from django.db import transaction

from accounts.models import Assignment
from accounts.roles import Role
from care import notify, scoring
from care.models import (
    Assessment,
    AssessmentForm,
    EscalationStep,
    EscalationStepType,
    ExitRequest,
    FollowUp,
    HelpRequest,
    RiskCategory,
    RiskFlag,
    Visit,
    VisitChecklist,
    VisitOutcome,
)
from care.status import refresh_all
from demo import bulk
from places.models import Unit
from registry.models import Child

ORDER = 30
CHUNK = 20000

OTHER_CATEGORIES = [
    ("family_hardship", 40),
    ("guardianship_missing", 20),
    ("dropout", 8),
    ("psych_behaviour", 20),
    ("vagrancy", 3),
    ("help_request", 9),
]
EVIDENCE = {
    "family_hardship": "父母务工收入不稳定，房租压力大，家庭基本生活困难",
    "guardianship_missing": "父母长期在外务工，由年迈祖辈照料，监护能力不足",
    "dropout": "本学期多次无故缺课，经学校核实已辍学在家",
    "psych_behaviour": "学校反映情绪低落、与同学冲突较多",
    "vagrancy": "曾离家出走三天，经派出所寻回",
    "help_request": "家长到社区主动提出救助帮扶需求",
}
NOTES = [
    "家中整洁，孩子学习正常，家长配合。",
    "监护人在外务工，祖辈照料，叮嘱注意防溺水安全。",
    "了解孩子就学情况，告知居住证办理流程。",
    "家庭收入偏低，已告知低保申请渠道。",
    "孩子身体健康，按时接种疫苗。",
    "电话回访，家长反映近况良好。",
]
FOLLOW_UPS = ["协助办理居住证", "联系学校了解就学情况", "转介社区卫生服务中心", "告知临时救助申请渠道"]
HELP_TEXTS = [
    "孩子刚转学过来，不知道怎么办理入学手续，想请人帮忙。",
    "家里老人生病住院，孩子暂时没人照顾。",
    "孩子最近不愿意上学，在家经常哭，不知道怎么办。",
    "租的房子到期了，找不到便宜的住处，孩子上学要换地方。",
    "孩子有残疾，想了解康复救助怎么申请。",
]


def _checklist(rng, items, kind: str) -> dict:
    answers = {}
    for item in items:
        if item.get("type") == "choice":
            options = item["options"]
            answers[item["code"]] = options[0] if rng.random() < 0.8 else rng.choice(options)
        elif rng.random() < 0.2:
            answers[item["code"]] = "希望了解入学和医保政策"
    if kind != "上门走访":
        answers.pop("living", None)
    return answers


VISIT_COLUMNS = (
    "id",
    "child_id",
    "kind",
    "visited_on",
    "outcome",
    "participants",
    "checklist_version_id",
    "checklist",
    "notes",
    "recorded_by_id",
)
FLAG_COLUMNS = (
    "id",
    "child_id",
    "category_id",
    "source",
    "raised_on",
    "evidence",
    "raised_by_id",
    "approved_by_id",
    "approved_on",
)


@dataclass
class _Flag:
    """What the later steps of a chunk need of a flag written as a plain row."""

    pk: int
    child_id: int
    code: str


def seed(ctx) -> None:
    rng = ctx.child_rng("care")
    on = ctx.on
    categories = {c.code: c for c in RiskCategory.objects.all()}
    if not categories:
        ctx.say("  care: 未找到风险类别（请先 migrate），跳过")
        return
    checklist = (
        VisitChecklist.objects.in_force(on).order_by("-version").first() or VisitChecklist.objects.first()
    )
    checklist_id = checklist.pk if checklist else None
    checklist_items = checklist.items if checklist else []
    forms = list(AssessmentForm.objects.in_force(on))
    steps = list(EscalationStepType.objects.order_by("order"))
    directors: dict[int, int] = {}
    supervisors: dict[int, int] = {}
    for user_id, role, unit_id in (
        Assignment.objects.filter(active=True, role__in=[Role.DIRECTOR, Role.SUPERVISOR])
        .values_list("user_id", "role", "unit_id")
        .order_by("pk")
    ):
        (directors if role == Role.DIRECTOR else supervisors).setdefault(unit_id, user_id)
    admin = ctx.personas.get("admin")
    fallback = admin.pk if admin else None
    other_codes = [c for c, _w in OTHER_CATEGORIES if c in categories]
    other_cum = list(accumulate(w for c, w in OTHER_CATEGORIES if c in categories))

    total = Child.objects.count()
    task = ctx.progress.add_task("走访与重点关注", total=total) if ctx.progress else None
    last_id = 0
    counts = {"visits": 0, "flags": 0, "assessments": 0, "steps": 0, "exits": 0}
    visit_id = bulk.next_id(Visit)
    flag_id = bulk.next_id(RiskFlag)
    with bulk.without_indexes(Visit, FollowUp):
        while True:
            rows = list(
                Child.objects.filter(pk__gt=last_id)
                .order_by("pk")
                .values_list(
                    "pk", "township_id", "village_id", "health", "migrant_status", "closed_at", "birth_date"
                )[:CHUNK]
            )
            if not rows:
                break
            last_id = rows[-1][0]
            visits: list[tuple] = []
            flags: list[tuple] = []
            flagged: list[_Flag] = []
            follow_plan: list[tuple[int, int, str, dt.date]] = []  # (visit id, child id, action, due)
            key_children: dict[int, list[str]] = {}
            places: dict[int, tuple[int, int]] = {}  # flagged child -> (village, township)
            for pk, township_id, village_id, health, status, closed_at, birth in rows:
                if closed_at is not None:
                    continue
                worker = directors.get(village_id) or supervisors.get(township_id) or fallback
                codes = []
                if health == "残疾":
                    codes.append("disability")
                if rng.random() < 0.03:
                    codes.append(rng.choices(other_codes, cum_weights=other_cum)[0])
                for code in dict.fromkeys(codes):
                    raised = on - dt.timedelta(days=rng.randint(5, 400))
                    approved = rng.random() < 0.8
                    disability = code == "disability"
                    source = "data" if disability else rng.choice(["visit", "manual", "assessment"])
                    flags.append(
                        (
                            flag_id,
                            pk,
                            categories[code].pk,
                            source,
                            max(raised, birth),
                            "档案健康状况：残疾" if disability else EVIDENCE[code],
                            None if disability else worker,
                            supervisors.get(township_id) if approved else None,
                            raised + dt.timedelta(days=3) if approved else None,
                        )
                    )
                    flagged.append(_Flag(flag_id, pk, code))
                    flag_id += 1
                if codes:
                    key_children[pk] = list(dict.fromkeys(codes))
                    places[pk] = (village_id, township_id)
                if status not in ("migrant", "pending"):
                    continue
                roll = rng.random()
                if roll < 0.08:
                    days = []  # never visited
                elif roll < 0.23:
                    days = [rng.randint(95, 200)]  # overdue
                else:
                    days = [rng.randint(0, 88)] + ([rng.randint(95, 180)] if rng.random() < 0.5 else [])
                for d in days:
                    when = max(on - dt.timedelta(days=d), birth)
                    participants = "儿童主任、网格员" if rng.random() < 0.5 else "儿童主任"
                    answers = _checklist(rng, checklist_items, "上门走访")
                    visits.append(
                        (
                            visit_id,
                            pk,
                            "上门走访",
                            when,
                            VisitOutcome.REACHED.value,
                            participants,
                            checklist_id,
                            bulk.as_json(answers),
                            rng.choice(NOTES),
                            worker,
                        )
                    )
                    if rng.random() < 0.08:
                        follow_plan.append(
                            (
                                visit_id,
                                pk,
                                rng.choice(FOLLOW_UPS),
                                when + dt.timedelta(days=rng.randint(7, 30)),
                            )
                        )
                    visit_id += 1
                if pk in key_children and rng.random() < 0.85:
                    when = max(on - dt.timedelta(days=rng.randint(0, 45)), birth)
                    kind = rng.choice(["电话", "电话", "视频", "在校", "工作站"])
                    answers = _checklist(rng, checklist_items, kind)
                    visits.append(
                        (
                            visit_id,
                            pk,
                            kind,
                            when,
                            VisitOutcome.REACHED.value,
                            "儿童主任",
                            checklist_id,
                            bulk.as_json(answers),
                            rng.choice(NOTES[-1:]),
                            worker,
                        )
                    )
                    visit_id += 1
            follow_ups = [
                (visit, child_id, action, due, due if due < on and rng.random() < 0.6 else None)
                for visit, child_id, action, due in follow_plan
            ]
            with transaction.atomic():
                bulk.insert(Visit, VISIT_COLUMNS, visits)
                bulk.insert(FollowUp, ("visit_id", "child_id", "action", "due_on", "done_on"), follow_ups)
                bulk.insert(RiskFlag, FLAG_COLUMNS, flags)
                counts["visits"] += len(visits)
                counts["flags"] += len(flags)
                _extras(rng, on, flagged, places, forms, steps, directors, supervisors, fallback, counts)
            if task is not None:
                ctx.progress.update(task, advance=len(rows))
    bulk.reset_sequence(Visit, RiskFlag)
    _help_requests(rng, on, categories, supervisors)
    summary = refresh_all(on=on)
    sent = notify.send_daily(on)
    ctx.say(
        f"  care: 走访 {counts['visits']} 条，风险标记 {counts['flags']} 条，评估 {counts['assessments']} 份，"
        f"监护干预 {counts['steps']} 条，退出申请 {counts['exits']} 条，状态 {summary['children']} 名，提醒 {sent} 条"
    )


def _extras(rng, on, flags, places, forms, steps, directors, supervisors, fallback, counts) -> None:
    """Assessments, escalation steps and exit requests for some flagged children of the chunk."""
    by_child: dict[int, list[_Flag]] = {}
    for flag in flags:
        by_child.setdefault(flag.child_id, []).append(flag)
    assessments: list[tuple] = []
    escalations: list[tuple] = []
    exits: list[tuple] = []
    for child_id, child_flags in by_child.items():
        village_id, township_id = places.get(child_id, (None, None))
        worker = directors.get(village_id) or supervisors.get(township_id) or fallback
        if worker is None:
            continue
        if forms and rng.random() < 0.25:
            form = rng.choice(forms)
            answers = {
                item["code"]: rng.choices(
                    range(len(item["options"])), weights=[5, 3, 2, 1][: len(item["options"])]
                )[0]
                for item in form.items
            }
            result = scoring.score(form.items, form.bands, answers)
            assessments.append(
                (
                    child_id,
                    form.pk,
                    on - dt.timedelta(days=rng.randint(1, 200)),
                    bulk.as_json(answers),
                    result.score,
                    result.level,
                    worker,
                )
            )
        if steps and any(f.code == "guardianship_missing" for f in child_flags) and rng.random() < 0.4:
            n = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
            start = on - dt.timedelta(days=rng.randint(30, 300))
            for i, step in enumerate(steps[:n]):
                escalations.append(
                    (
                        child_id,
                        step.pk,
                        step.acting_body,
                        min(start + dt.timedelta(days=20 * i), on),
                        "已当面劝诫监护人履行监护职责" if i == 0 else "",
                        worker,
                    )
                )
        if len(child_flags) == 1 and child_flags[0].code != "disability" and rng.random() < 0.15:
            exits.append((child_flags[0].pk, child_id, "经走访核实，家庭情况已明显好转", worker))
    bulk.insert(
        Assessment,
        ("child_id", "form_id", "assessed_on", "answers", "score", "level", "assessed_by_id"),
        assessments,
    )
    bulk.insert(
        EscalationStep,
        ("child_id", "step_type_id", "acting_body", "taken_on", "notes", "recorded_by_id"),
        escalations,
    )
    bulk.insert(ExitRequest, ("flag_id", "child_id", "reason", "requested_by_id"), exits)
    counts["assessments"] += len(assessments)
    counts["steps"] += len(escalations)
    counts["exits"] += len(exits)


def _help_requests(rng, on, categories, supervisors) -> None:
    townships = list(Unit.objects.filter(level=Unit.Level.TOWNSHIP).order_by("code"))
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    rows = []
    for township in townships:
        n = 4 if township.code in ("429006107", "429006001") else rng.choice([0, 1, 1, 2])
        for _ in range(n):
            day = on - dt.timedelta(days=rng.randint(0, 20))
            rows.append(
                HelpRequest(
                    reference=f"QZ{day:%Y%m%d}{''.join(rng.choice(alphabet) for _ in range(5))}",
                    who=rng.choice(["child", "family", "family", "other"]),
                    township=township,
                    description=rng.choice(HELP_TEXTS),
                    contact_phone=f"13{rng.randrange(10**9):09d}" if rng.random() < 0.8 else "",
                    channel=rng.choice(["web", "web", "api"]),
                )
            )
    HelpRequest.objects.bulk_create(rows, ignore_conflicts=True)
