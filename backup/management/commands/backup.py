import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.services import record
from backup.archive import make_backup


class Command(BaseCommand):
    help = "Consistent backup of the SQLite database and uploaded documents into a .tar.gz."

    def add_arguments(self, parser):
        default = (
            Path(settings.BASE_DIR) / "var" / "backups" / f"liudong-{dt.datetime.now():%Y%m%d-%H%M%S}.tar.gz"
        )
        parser.add_argument("--output", type=Path, default=default)
        parser.add_argument(
            "--media-only", action="store_true", help="only the documents (PostgreSQL: use pg_dump)"
        )

    def handle(self, *args, output: Path, media_only: bool, **options):
        try:
            manifest = make_backup(output, media_only=media_only)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        record(
            actor=None,
            action="export",
            object_type="backup",
            object_id=output.name,
            summary=f"系统备份：附件 {manifest['media_files']} 个",
        )
        self.stdout.write(self.style.SUCCESS(f"备份完成：{output}（附件 {manifest['media_files']} 个）"))
