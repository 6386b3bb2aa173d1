"""Rebuild the statistics summary tables (run nightly by cron / a systemd timer)."""

import datetime as dt
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from stats.selectors import warm_cache
from stats.services import refresh_aggregates


class Command(BaseCommand):
    help = "Rebuild the statistics summary tables and today's snapshot (all townships)."

    def add_arguments(self, parser):
        parser.add_argument("--on", type=dt.date.fromisoformat, default=None, help="reference date")

    def handle(self, *args, on, **options):
        started = time.perf_counter()
        refresh_aggregates(actor=None, on=on)
        self.stdout.write(f"统计汇总已更新，用时 {time.perf_counter() - started:.1f} 秒。")
        started = time.perf_counter()
        count = warm_cache(on=on or timezone.localdate())
        self.stdout.write(f"预先计算 {count} 项较慢的全市指标，用时 {time.perf_counter() - started:.1f} 秒。")
