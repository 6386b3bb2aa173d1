"""Import a standard ledger (xlsx or csv) from the command line, with a machine-readable report.

    python manage.py import_children FILE [--report OUT.json] [--columns 字段=表头,...]
                                          [--user USERNAME] [--dry-run] [--on YYYY-MM-DD]

The report is ``{"rows": [...], "summary": {...}}`` with one object per data row:
``{"row": n, "outcome": "registered" | "updated" | "rejected", "file_no": ..., "id_number": ...,
"migrant_status": "migrant" | "pending" | "not_migrant" | null, "reason": ...}``.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import time
from contextlib import nullcontext
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from common.tabular import TableError, parse_columns_option
from ledger.services import ImportRefused, ledger_import_file, system_user


class _DryRun(Exception):
    """Raised to roll the whole import back after the report is built."""


class Command(BaseCommand):
    help = "Import a standard ledger of children (xlsx/csv) and write a JSON report per row."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the ledger (.xlsx or .csv, UTF-8/GBK)")
        parser.add_argument("--report", help="write the JSON report to this file")
        parser.add_argument(
            "--columns", default="", help="column mapping, e.g. id_number=证件号,name=学生姓名"
        )
        parser.add_argument(
            "--user",
            default="",
            help="import as this user, within their scope (default: the trusted system user, city-wide)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, then roll everything back"
        )
        parser.add_argument(
            "--on", type=dt.date.fromisoformat, default=None, help="reference date (default today)"
        )
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="rows per transaction (default 1000)"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(
        self,
        *args,
        file: str,
        report: str | None,
        columns: str,
        user: str,
        dry_run: bool,
        on,
        batch_size: int,
        quiet: bool,
        **options,
    ):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        try:
            column_map = parse_columns_option(columns) if columns else None
        except TableError as exc:
            raise CommandError(str(exc)) from exc
        if user:
            from django.contrib.auth import get_user_model

            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"用户“{user}”不存在或已停用")
            trusted = False
        else:
            actor, trusted = system_user(), True

        progress = (
            None
            if quiet
            else Progress(
                TextColumn("导入台账"),
                BarColumn(),
                TextColumn("{task.completed} 行"),
                TextColumn("{task.fields[rate]} 行/秒"),
                TimeElapsedColumn(),
            )
        )
        task = progress.add_task("import", total=None, rate="-") if progress else None
        started = time.perf_counter()

        def advance(count: int) -> None:
            if progress is not None:
                done = progress.tasks[0].completed + count
                rate = done / max(time.perf_counter() - started, 1e-9)
                progress.update(task, advance=count, rate=f"{rate:,.0f}")

        outcomes = []
        try:
            if progress:
                progress.start()
            try:
                # A dry run is one transaction rolled back at the end; a real run commits per batch.
                with transaction.atomic() if dry_run else nullcontext():
                    ledger_import, outcomes = ledger_import_file(
                        actor=actor,
                        source=path,
                        filename=path.name,
                        columns=column_map,
                        on=on,
                        trusted=trusted,
                        progress=advance,
                        batch_size=max(batch_size, 1),
                    )
                    if dry_run:
                        raise _DryRun
            except _DryRun:
                pass
        except ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if progress:
                progress.stop()
        elapsed = time.perf_counter() - started

        summary: dict = {
            "file": path.name,
            "rows": len(outcomes),
            "registered": 0,
            "updated": 0,
            "rejected": 0,
            "migrant": 0,
            "pending": 0,
            "not_migrant": 0,
            "dry_run": dry_run,
            "elapsed_seconds": round(elapsed, 3),
            "rows_per_second": round(len(outcomes) / elapsed, 1) if elapsed > 0 else None,
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "import_id": None if dry_run else ledger_import.pk,
        }
        for outcome in outcomes:
            summary[outcome.outcome] += 1
            if outcome.migrant_status:
                summary[outcome.migrant_status] += 1
        if report:
            with open(report, "w", encoding="utf-8") as handle:
                json.dump(
                    {"rows": [o.as_report() for o in outcomes], "summary": summary},
                    handle,
                    ensure_ascii=False,
                    indent=1,
                )
        self.stdout.write(
            ("（试运行，未保存）" if dry_run else "")
            + f"共 {summary['rows']} 行：新建 {summary['registered']}，更新 {summary['updated']}，"
            f"退回 {summary['rejected']}；流动儿童 {summary['migrant']}，待满6个月 {summary['pending']}，"
            f"非流动儿童 {summary['not_migrant']}。用时 {summary['elapsed_seconds']} 秒，"
            f"{summary['rows_per_second']} 行/秒。"
        )
