"""Export children as the standard ledger (the same headers as the import).

    python manage.py export_children OUT.xlsx [--user USERNAME] [--township NAME]
                                              [--include-closed] [--full-ids]

With ``--user`` the export holds what that user may see (access.policy.children_visible);
without it, the trusted system user exports the whole city. ID and phone numbers are masked
unless ``--full-ids`` (for a user: only when their role may reveal them). Every export is audited.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from access.policy import has_capability
from common.excel import write_xlsx
from ledger.rows import PlaceIndex
from ledger.selectors import children_for_export, ledger_rows
from ledger.services import record_export, system_user
from registry.models import Child


class Command(BaseCommand):
    help = "Export children as the standard ledger (xlsx)."

    def add_arguments(self, parser):
        parser.add_argument("out", help="the .xlsx file to write")
        parser.add_argument(
            "--user", default="", help="export what this user may see (default: the whole city)"
        )
        parser.add_argument("--township", default="", help="only this township (current or former name)")
        parser.add_argument("--include-closed", action="store_true", help="include closed files")
        parser.add_argument("--full-ids", action="store_true", help="full ID and phone numbers (audited)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, out, user, township, include_closed, full_ids, quiet, **options):
        if user:
            from django.contrib.auth import get_user_model

            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"用户“{user}”不存在或已停用")
            if not has_capability(actor, "registry.export"):
                raise CommandError(f"用户“{user}”的角色无权导出台账")
            if full_ids and not has_capability(actor, "registry.reveal"):
                raise CommandError(f"用户“{user}”的角色无权导出完整证件号")
            queryset = children_for_export(actor, include_closed=include_closed)
        else:
            actor = system_user()
            queryset = Child.objects.all() if include_closed else Child.objects.filter(closed_at__isnull=True)
        township_name = "全部辖区"
        if township:
            found = PlaceIndex.load().township(township)
            if found is None:
                raise CommandError(f"“{township}”不是天门市的乡镇（街道）")
            queryset = queryset.filter(township_id=found[0])
            township_name = found[1]
        count = queryset.count()
        record_export(actor=actor, count=count, full_ids=full_ids, scope_text=f"命令行，{township_name}")
        headers, rows = ledger_rows(queryset, full_ids=full_ids)
        progress = (
            None
            if quiet
            else Progress(
                TextColumn("导出台账"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
            )
        )

        def counted():
            task = progress.add_task("export", total=count) if progress else None
            for row in rows:
                yield row
                if progress:
                    progress.advance(task)

        if progress:
            progress.start()
        try:
            write_xlsx(out, [("流动儿童台账", headers, counted())])
        except OSError as exc:
            raise CommandError(f"无法写入文件 {out}：{exc}") from exc
        finally:
            if progress:
                progress.stop()
        self.stdout.write(
            f"已导出 {count} 份档案到 {out}" + ("（含完整证件号）" if full_ids else "（证件号脱敏）")
        )
