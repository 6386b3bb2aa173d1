"""Import a department feed from the command line, with the reconciliation report as JSON.

    python manage.py import_feed --source {education,police,health,insurance,disability} FILE
                                 [--columns 字段=表头,...] [--report OUT.json] [--complete]
                                 [--user USERNAME] [--quiet]

The report is ``{"rows": [...], "summary": {...}}`` with one object per data row:
``{"row": n, "outcome": "linked" | "review" | "new" | "rejected", "child_id_number": "<the
linked child's normalised ID number, or null>", "score": <number or null>, "reason": "..."}``;
``row`` counts data rows from 1 (the first row under the header row).
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from common.tabular import TableError, parse_columns_option
from exchange.models import FeedSource
from exchange.services import ExchangeError, feed_import, system_user
from exchange.services import report as build_report
from exchange.sources import SOURCE_CODES


class Command(BaseCommand):
    help = "Link a department's feed (xlsx/csv) to the registry and write the reconciliation report."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the feed (.xlsx or .csv, UTF-8/GBK)")
        parser.add_argument("--source", required=True, help=f"feed source code: {', '.join(SOURCE_CODES)}")
        parser.add_argument(
            "--columns", default="", help="column mapping, e.g. id_number=证件号,name=学生姓名"
        )
        parser.add_argument("--report", help="write the JSON report to this file")
        parser.add_argument(
            "--complete",
            action="store_true",
            help="education: the list is complete (absent pupils are checked)",
        )
        parser.add_argument("--user", default="", help="import as this user (default: the command-line user)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, file, source, columns, report: str | None, complete, user, quiet, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        feed_source = FeedSource.objects.filter(code=source, active=True).first()
        if feed_source is None:
            known = "、".join(FeedSource.objects.filter(active=True).values_list("code", flat=True))
            raise CommandError(f"数据来源“{source}”不存在或已停用（可用：{known}）")
        try:
            column_map = parse_columns_option(columns) if columns else None
        except TableError as exc:
            raise CommandError(str(exc)) from exc
        if user:
            from django.contrib.auth import get_user_model

            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"用户“{user}”不存在或已停用")
        else:
            actor = system_user()

        progress = None
        if not quiet:
            progress = Progress(
                TextColumn(f"比对{feed_source.name}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} 行/秒"),
                TimeElapsedColumn(),
                redirect_stdout=False,
                redirect_stderr=False,
            )
            task = progress.add_task("feed", total=None, rate="-")
        started = time.perf_counter()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_started = usage.ru_utime + usage.ru_stime

        def advance(batch) -> None:
            if progress is not None:
                rate = batch.processed_rows / max(time.perf_counter() - started, 1e-9)
                progress.update(
                    task, total=batch.total_rows or None, completed=batch.processed_rows, rate=f"{rate:,.0f}"
                )

        try:
            if progress:
                progress.start()
            batch = feed_import(
                actor=actor, source=feed_source, file=path, file_name=path.name, columns=column_map,
                is_complete_list=complete, progress=advance,
            )  # fmt: skip
        except (TableError, ExchangeError) as exc:
            if report:
                failed = {"rows": [], "summary": {"source": source, "status": "failed", "error": str(exc)}}
                Path(report).write_text(json.dumps(failed, ensure_ascii=False, indent=1), encoding="utf-8")
            raise CommandError(str(exc)) from exc
        finally:
            if progress:
                progress.stop()
        elapsed = time.perf_counter() - started
        result = build_report(batch, full_ids=True)
        result["summary"]["seconds"] = round(elapsed, 2)
        result["summary"]["rows_per_second"] = round(batch.total_rows / elapsed, 1) if elapsed else None
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - cpu_started
        result["summary"]["cpu_seconds"] = round(cpu, 2)
        result["summary"]["rows_per_cpu_second"] = round(batch.total_rows / cpu, 1) if cpu else None
        result["summary"]["peak_memory_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        if report:
            Path(report).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        s = result["summary"]
        self.stdout.write(
            f"{feed_source.name} 第{batch.pk}批：{s['rows']} 行，关联 {s['linked']}，待人工确认 {s['review']}，"
            f"新发现 {s['new']}，未采用 {s['rejected']}（{elapsed:.1f} 秒）"
        )
        for warning in batch.warnings:
            self.stdout.write(f"提示：{warning}")
