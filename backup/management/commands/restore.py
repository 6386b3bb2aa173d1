from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backup.archive import restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `backup` into an empty instance (SQLite database and documents)."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--database", type=Path, help="target SQLite file (default: the configured one)")
        parser.add_argument("--media-root", type=Path, default=None)

    def handle(self, *args, archive: Path, database: Path | None, media_root: Path | None, **options):
        from django.db import connections

        target = database or Path(connections["default"].settings_dict["NAME"])
        try:
            restore_backup(archive, database_path=target, media_root=media_root or Path(settings.MEDIA_ROOT))
        except (FileExistsError, ValueError, OSError, KeyError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"已恢复到 {target}；请运行 python manage.py verify_audit 校验审计链。")
        )
