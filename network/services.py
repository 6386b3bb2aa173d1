"""Writes of the network: training records (audited in the same transaction)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from access.policy import has_capability
from audit.services import Entry, record_many
from network.models import TrainingRecord
from network.selectors import roster


class NetworkError(ValueError):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@transaction.atomic
def training_record(
    *,
    actor,
    users,
    course: str,
    date: dt.date,
    hours: Decimal,
    organiser: str = "",
    certificate_no: str = "",
) -> list[TrainingRecord]:
    """One training record per participant (a course attended by several people at once)."""
    if not has_capability(actor, "network.manage"):
        raise PermissionDenied("您无权登记培训记录")
    users = list(users)
    if not users:
        raise NetworkError("请选择参训人员", field="users")
    allowed = set(roster(actor).filter(user__in=users).values_list("user_id", flat=True))
    if any(u.pk not in allowed for u in users):
        raise NetworkError("参训人员须为在岗的儿童督导员或儿童主任", field="users")
    if date > timezone.localdate():
        raise NetworkError("培训日期不能晚于今天", field="date")
    if hours <= 0:
        raise NetworkError("学时必须大于 0", field="hours")
    if certificate_no and len(users) > 1:
        raise NetworkError("证书编号只能对应一名参训人员，请分别登记", field="certificate_no")
    records = TrainingRecord.objects.bulk_create(
        [
            TrainingRecord(
                user=u,
                course=course.strip(),
                organiser=organiser.strip(),
                date=date,
                hours=hours,
                certificate_no=certificate_no.strip(),
                recorded_by=actor,
            )
            for u in users
        ]
    )
    record_many(
        actor=actor,
        entries=[
            Entry(
                "create",
                "network.trainingrecord",
                str(r.pk),
                f"登记培训：{r.course}，{r.date}，{r.hours} 学时，参训账号 {r.user.username}",
            )
            for r in records
        ],
    )
    return records
