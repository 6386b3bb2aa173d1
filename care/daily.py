"""The daily run: automatic flags from data, the summary table, reminders."""

from __future__ import annotations

import datetime as dt
import time

from care import notify
from care.services import flags_sync_all, record_system
from care.status import refresh_all


def run_daily(*, on: dt.date, progress=None) -> dict:
    started = time.perf_counter()
    flagged = flags_sync_all(on=on)
    t_flags = time.perf_counter()
    summary = refresh_all(on=on, progress=progress)
    t_refresh = time.perf_counter()
    sent = notify.send_daily(on)
    t_notify = time.perf_counter()
    result = {
        "on": on.isoformat(),
        "flagged": flagged,
        "children": summary["children"],
        "changed": summary["changed"],
        "notifications": sent,
        "seconds": {
            "flags": round(t_flags - started, 2),
            "refresh": round(t_refresh - t_flags, 2),
            "notify": round(t_notify - t_refresh, 2),
            "total": round(t_notify - started, 2),
        },
    }
    record_system(
        summary=f"每日走访提醒：{summary['children']} 名儿童，更新 {summary['changed']}，"
        f"自动标记 {flagged}，提醒 {sent} 条",
        changes=result,
    )
    return result
