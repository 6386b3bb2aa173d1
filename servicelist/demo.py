"""Demo data: need flags, every child's entitlements, and referrals in every state for a few
percent of children (some to 教育局 so the education liaison has an inbox, some overdue).
Streams children by primary key and writes in bulk; deterministic for the seed and date."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from demo import bulk

ORDER = 40
CHUNK = 20000
NEED_SHARE = 0.006
REFERRAL_SHARE = 0.03

REASONS = {
    "education": ["适龄未入学，需协调就近入学", "家庭经济困难，申请学生资助", "随迁子女转学衔接"],
    "civil_affairs": ["家庭生活困难，评估救助条件", "监护照料不足，需要上门评估"],
    "health": ["疫苗接种未完成，需补种", "需要健康管理随访"],
    "medical_insurance": ["尚未在居住地参保，协助办理"],
    "disabled_federation": ["申请残疾儿童康复救助"],
}
REFERRAL_COLUMNS = (
    "child_id",
    "service_id",
    "department_id",
    "reason",
    "deadline",
    "consent",
    "consent_by",
    "consent_on",
    "consent_override_reason",
    "consent_override_by_id",
    "status",
    "created_by_id",
    "accepted_by_id",
    "handled_by_id",
    "rejection_reason",
    "feedback",
    "accepted_at",
    "completed_at",
    "rejected_at",
)
ENTITLEMENT_STATUS = {  # a referral's state -> the entitlement's
    "sent": "referred",
    "accepted": "receiving",
    "completed": "receiving",
    "rejected": "not_started",
}
OVERRIDE_REASONS = ["监护人长期在外务工无法联系，儿童处境紧急", "监护人拒绝但儿童存在失学风险"]


def _child_ids(queryset, chunk: int):
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            return
        yield ids
        last = ids[-1]


def seed(ctx) -> None:
    from registry.models import Child
    from servicelist.eligibility import ELIGIBLE_CHILDREN
    from servicelist.models import Entitlement, NeedFlag, Referral, ServiceDepartment
    from servicelist.selectors import list_in_force
    from servicelist.services import entitlements_recompute

    version = list_in_force(ctx.on)
    admin = ctx.personas.get("admin")
    if version is None or admin is None:
        return
    rng = ctx.child_rng("servicelist")
    eligible = Child.objects.filter(ELIGIBLE_CHILDREN)

    # Circumstances a supervisor recorded (rules 15 and 16), before entitlements are computed.
    for ids in _child_ids(eligible, CHUNK):
        flags = [
            (child_id, rng.choice(NeedFlag.Kind.values), "走访发现", admin.pk)
            for child_id in ids
            if rng.random() < NEED_SHARE
        ]
        with transaction.atomic():
            bulk.insert(NeedFlag, ("child_id", "kind", "note", "set_by_id"), flags)

    with bulk.without_indexes(Entitlement):
        result = entitlements_recompute(on=ctx.on, chunk=CHUNK)
    ctx.say(f"服务享有：{result.children} 名儿童，{result.created} 条")

    departments: dict[int, list[tuple[int, str]]] = {}
    for link in ServiceDepartment.objects.filter(service__version=version).select_related(
        "department", "service"
    ):
        departments.setdefault(link.service.no, []).append((link.department_id, link.department.code))
    services = {s.no: s.pk for s in version.services.all()}
    supervisor = ctx.personas.get("yuekou_supervisor")
    liaison = ctx.personas.get("edu_liaison")
    statuses = [("sent", 40), ("accepted", 25), ("completed", 20), ("rejected", 15)]
    made = 0
    now = bulk.stamp(timezone.now())
    creator = (supervisor or admin).pk
    for ids in _child_ids(eligible, CHUNK):
        chosen = [child_id for child_id in ids if rng.random() < REFERRAL_SHARE]
        if not chosen:
            continue
        open_rows: dict[int, list[tuple[int, int]]] = {}  # child -> [(entitlement id, service no)]
        for pk, child_id, no in (
            Entitlement.objects.filter(
                child_id__in=chosen, status=Entitlement.Status.NOT_STARTED, version=version
            )
            .order_by("child_id", "no")
            .values_list("pk", "child_id", "no")
        ):
            open_rows.setdefault(child_id, []).append((pk, no))
        referrals: list[tuple] = []
        touched: dict[str, list[int]] = {}  # new entitlement status -> ids
        for child_id in chosen:
            rows = open_rows.get(child_id)
            if not rows:
                continue
            # Prefer the targeted services (not the universal ones) when the child has any.
            targeted = [e for e in rows if e[1] not in (6, 7, 17, 19, 20, 21, 22)]
            entitlement_id, no = rng.choice(targeted or rows)
            options = departments[no]
            education = [d for d in options if d[1] == "education"]
            department_id, code = education[0] if education and rng.random() < 0.6 else rng.choice(options)
            status = rng.choices([s for s, _w in statuses], weights=[w for _s, w in statuses])[0]
            deadline = ctx.on + dt.timedelta(days=rng.randint(-25, 30))
            consent = rng.random() < 0.9
            handled = liaison.pk if code == "education" and liaison else None
            reason = rng.choice(REASONS.get(code, ["需要部门协助落实该项服务"]))
            consent_on = ctx.on - dt.timedelta(days=rng.randint(1, 20)) if consent else None
            override = "" if consent else rng.choice(OVERRIDE_REASONS)
            referrals.append(
                (
                    child_id,
                    services[no],
                    department_id,
                    reason,
                    deadline,
                    consent,
                    "监护人" if consent else "",
                    consent_on,
                    override,
                    None if consent else creator,
                    status,
                    creator,
                    handled if status in ("accepted", "completed") else None,
                    handled if status in ("completed", "rejected") else None,
                    "不属于本部门职责，请转民政部门" if status == "rejected" else "",
                    "已联系家庭并落实服务" if status == "completed" else "",
                    now if status in ("accepted", "completed") else None,
                    now if status == "completed" else None,
                    now if status == "rejected" else None,
                )
            )
            touched.setdefault(ENTITLEMENT_STATUS[status], []).append(entitlement_id)
        with transaction.atomic():
            bulk.insert(Referral, REFERRAL_COLUMNS, referrals)
            for new_status, ids in touched.items():
                if new_status != Entitlement.Status.NOT_STARTED:
                    Entitlement.objects.filter(pk__in=ids).update(status=new_status)
        made += len(referrals)
    ctx.say(f"转介：{made} 条")
    ctx.facts["referrals_seeded"] = made
