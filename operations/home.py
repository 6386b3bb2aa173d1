"""The city administrator's view of the daily run."""

from __future__ import annotations

from django.utils import timezone

from access.policy import scope_of
from accounts.roles import Role
from operations.services import last_run
from web.cards import Card


def home_cards(user) -> list[Card]:
    if Role.CITY_ADMIN not in scope_of(user).roles:
        return []
    run = last_run()
    today = timezone.localdate()
    if run is None:
        return [
            Card(
                "每日任务",
                "尚未运行",
                note="请系统运维人员按部署说明配置每日定时任务",
                tone="warning",
                order=90,
            )
        ]
    failed = [s["label"] for s in run.steps if not s["ok"]]
    late = (today - run.on).days > 1
    if run.status == run.Status.RUNNING:
        value, tone = "运行中", "secondary"
    elif failed:
        value, tone = "部分失败", "danger"
    else:
        value, tone = "正常", "warning" if late else "success"
    note = f"最近一次：{run.on:%Y-%m-%d}"
    if run.seconds is not None:
        note += f"，用时 {run.seconds:.0f} 秒"
    if failed:
        note += "；失败：" + "、".join(failed)
    if late:
        note += "；已超过一天未运行"
    return [Card("每日任务", value, note=note, tone=tone, order=90)]
