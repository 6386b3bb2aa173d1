"""Demo data: need flags, every child's entitlements, and referrals in every state for a few
percent of children (some to 教育局 so the education liaison has an inbox, some overdue).
Streams children by primary key and writes in bulk; deterministic for the seed and date."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

ORDER = 40
CHUNK = 5000
NEED_SHARE = 0.006
REFERRAL_SHARE = 0.03

REASONS = {
    "education": ["适龄未入学，需协调就近入学", "家庭经济困难，申请学生资助", "随迁子女转学衔接"],
    "civil_affairs": ["家庭生活困难，评估救助条件", "监护照料不足，需要上门评估"],
    "health": ["疫苗接种未完成，需补种", "需要健康管理随访"],
    "medical_insurance": ["尚未在居住地参保，协助办理"],
    "disabled_federation": ["申请残疾儿童康复救助"],
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
    flags = []
    for ids in _child_ids(eligible, CHUNK):
        for child_id in ids:
            if rng.random() < NEED_SHARE:
                kind = rng.choice(NeedFlag.Kind.values)
                flags.append(NeedFlag(child_id=child_id, kind=kind, note="走访发现", set_by=admin))
        if len(flags) >= 1000:
            NeedFlag.objects.bulk_create(flags, batch_size=1000)
            flags = []
    NeedFlag.objects.bulk_create(flags, batch_size=1000)

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
    now = timezone.now()
    for ids in _child_ids(eligible, CHUNK):
        chosen = [child_id for child_id in ids if rng.random() < REFERRAL_SHARE]
        if not chosen:
            continue
        open_rows: dict[int, list[Entitlement]] = {}
        for e in Entitlement.objects.filter(
            child_id__in=chosen, status=Entitlement.Status.NOT_STARTED, version=version
        ).order_by("child_id", "no"):
            open_rows.setdefault(e.child_id, []).append(e)
        referrals: list[Referral] = []
        touched: list[Entitlement] = []
        for child_id in chosen:
            rows = open_rows.get(child_id)
            if not rows:
                continue
            # Prefer the targeted services (not the universal ones) when the child has any.
            targeted = [e for e in rows if e.no not in (6, 7, 17, 19, 20, 21, 22)]
            entitlement = rng.choice(targeted or rows)
            options = departments[entitlement.no]
            education = [d for d in options if d[1] == "education"]
            department_id, code = education[0] if education and rng.random() < 0.6 else rng.choice(options)
            status = rng.choices([s for s, _w in statuses], weights=[w for _s, w in statuses])[0]
            deadline = ctx.on + dt.timedelta(days=rng.randint(-25, 30))
            consent = rng.random() < 0.9
            handled = liaison if code == "education" else None
            referral = Referral(
                child_id=child_id,
                service_id=services[entitlement.no],
                department_id=department_id,
                reason=rng.choice(REASONS.get(code, ["需要部门协助落实该项服务"])),
                deadline=deadline,
                consent=consent,
                consent_by="监护人" if consent else "",
                consent_on=ctx.on - dt.timedelta(days=rng.randint(1, 20)) if consent else None,
                consent_override_reason="" if consent else rng.choice(OVERRIDE_REASONS),
                consent_override_by=None if consent else (supervisor or admin),
                status=status,
                created_by=supervisor or admin,
                accepted_by=handled if status in ("accepted", "completed") else None,
                handled_by=handled if status in ("completed", "rejected") else None,
                rejection_reason="不属于本部门职责，请转民政部门" if status == "rejected" else "",
                feedback="已联系家庭并落实服务" if status == "completed" else "",
                accepted_at=now if status in ("accepted", "completed") else None,
                completed_at=now if status == "completed" else None,
                rejected_at=now if status == "rejected" else None,
            )
            referrals.append(referral)
            entitlement.status = {
                "sent": Entitlement.Status.REFERRED,
                "accepted": Entitlement.Status.RECEIVING,
                "completed": Entitlement.Status.RECEIVING,
                "rejected": Entitlement.Status.NOT_STARTED,
            }[status]
            touched.append(entitlement)
        with transaction.atomic():
            Referral.objects.bulk_create(referrals, batch_size=1000)
            Entitlement.objects.bulk_update(touched, ["status"], batch_size=1000)
        made += len(referrals)
    ctx.say(f"转介：{made} 条")
    ctx.facts["referrals_seeded"] = made
