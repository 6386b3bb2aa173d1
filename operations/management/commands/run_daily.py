"""Run the day's background work once (cron or a systemd timer calls this; see deploy/)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from common.dates import InvalidDate, parse_date
from operations.services import AlreadyRunning, run_daily


class Command(BaseCommand):
    help = "运行每日任务（认定状态、关爱提醒、服务清单、统计），同一天只运行一次"

    def add_arguments(self, parser):
        parser.add_argument("--on", help="业务日期（默认今天），例如 2026-09-01")
        parser.add_argument("--force", action="store_true", help="当天已成功运行过也重新运行")

    def handle(self, *args, on=None, force=False, **options):
        try:
            day = parse_date(on, field="业务日期") if on else timezone.localdate()
        except InvalidDate as exc:
            raise CommandError(str(exc)) from None

        def show(command, outcome):
            mark = "完成" if outcome["ok"] else f"失败：{outcome['error']}"
            self.stdout.write(f"  {outcome['label']}（{command}）：{outcome['seconds']} 秒，{mark}")

        self.stdout.write(f"{day} 每日任务：")
        try:
            run = run_daily(on=day, force=force, progress=show)
        except AlreadyRunning as exc:
            raise CommandError(str(exc)) from None
        if run is None:
            self.stdout.write(f"{day} 的每日任务已经成功运行过；如需重新运行请加 --force")
            return
        if run.status != run.Status.SUCCEEDED:
            raise CommandError(f"{day} 的每日任务有步骤失败，详见上方输出")
        self.stdout.write(f"全部完成，用时 {run.seconds:.1f} 秒")
