"""Recompute every open child's entitlements against the service list in force (run daily)."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "按现行服务清单重新计算全部儿童的服务享有情况（每日运行；清单发布后也会自动运行）。"

    def add_arguments(self, parser):
        parser.add_argument("--on", default=None, help="计算日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--enqueue", action="store_true", help="放入后台任务队列，而不是立即运行")
        parser.add_argument("--chunk", type=int, default=2000, help="每批儿童数（默认 2000）")
        parser.add_argument(
            "--full",
            action="store_true",
            help="逐一重算全部儿童（默认只重算自上次计算以来情况可能变化的儿童）",
        )

    def handle(self, *args, on, enqueue: bool, chunk: int, full: bool = False, **options):
        try:
            day = dt.date.fromisoformat(on) if on else None
        except ValueError:
            raise CommandError(f"日期“{on}”无效，请用 YYYY-MM-DD 格式") from None
        if chunk < 1:
            raise CommandError("--chunk 应为正整数")
        if enqueue:
            from servicelist.tasks import recompute_entitlements_task

            result = recompute_entitlements_task.enqueue(on=day.isoformat() if day else None)
            self.stdout.write(f"已放入任务队列：{result.id}")
            return
        from servicelist.services import entitlements_daily, entitlements_recompute

        started = time.perf_counter()
        result = (entitlements_recompute if full else entitlements_daily)(on=day, chunk=chunk)
        if not result.version:
            raise CommandError("该日期没有生效的服务清单")
        self.stdout.write(
            f"清单 {result.version}：重新计算儿童 {result.children}，新增 {result.created}，恢复 {result.reopened}，"
            f"不再适用 {result.closed}，转入新版本 {result.moved}，数据不全跳过 {len(result.skipped)}；"
            f"用时 {time.perf_counter() - started:.1f} 秒"
        )
