"""Run the daily key-attention task now: automatic flags, the cadence summary, reminders."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from care.daily import run_daily


class Command(BaseCommand):
    help = "刷新自动风险标记、走访状态汇总并发送工作提醒（每日任务）"

    def add_arguments(self, parser):
        parser.add_argument("--on", help="reference date YYYY-MM-DD (default today)")
        parser.add_argument(
            "--full",
            action="store_true",
            help="recompute every child's summary row, not only the changed ones",
        )

    def handle(self, *args, on=None, full=False, **options):
        try:
            day = dt.date.fromisoformat(on) if on else timezone.localdate()
        except ValueError:
            raise CommandError("--on 日期格式应为 YYYY-MM-DD") from None
        result = run_daily(on=day, full=full)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
