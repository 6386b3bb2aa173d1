"""Recompute every open child's migrant status (the daily task), with a progress bar."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from common.dates import InvalidDate, parse_date
from registry.services import status_recompute

STEPS = {
    1: "关闭满16周岁、本地户籍的档案",
    2: "待满6个月 → 流动儿童",
    3: "其他需逐条计算的档案",
    4: "记录计算日期",
}


class Command(BaseCommand):
    help = "重新计算所有在档儿童的流动儿童认定状态（每日任务）"

    def add_arguments(self, parser):
        parser.add_argument("--on", help="计算日期（默认今天），例如 2026-09-01")

    def handle(self, *args, on=None, **options):
        try:
            day = parse_date(on, field="计算日期") if on else timezone.localdate()
        except InvalidDate as exc:
            raise CommandError(str(exc)) from None
        console = Console(stderr=True)
        started = time.perf_counter()
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            bar = progress.add_task(f"认定状态 {day.isoformat()}", total=len(STEPS))

            timings: dict[int, float] = {}
            mark = [time.perf_counter()]

            def report(step, total):
                now = time.perf_counter()
                timings[step] = now - mark[0]
                mark[0] = now
                progress.update(bar, completed=step, description=STEPS.get(step, ""))

            counts = status_recompute(on=day, progress=report)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{day.isoformat()}：满16周岁关闭 {counts['turned_16']}，本地户籍关闭 {counts['local_hukou']}，"
            f"转为流动儿童 {counts['became_migrant']}，逐条重算变化 {counts['recomputed']}；用时 {elapsed:.1f} 秒"
        )
        if options.get("verbosity", 1) > 1:
            for step, seconds in timings.items():
                self.stdout.write(f"  {STEPS[step]}：{seconds:.1f} 秒")
