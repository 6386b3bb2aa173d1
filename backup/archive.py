"""Consistent backups of the SQLite database and the uploaded documents, and their restore.

SQLite: the online backup API copies a consistent snapshot while the site keeps running.
PostgreSQL: use `pg_dump -Fc` for the database (see README, "Backup and restore") and this
command's `--media-only` for the documents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connections

FORMAT = 1


def _sqlite_path(alias: str = "default") -> Path:
    conf = connections[alias].settings_dict
    if conf["ENGINE"] != "django.db.backends.sqlite3":
        raise ValueError(
            "数据库不是 SQLite：请用 pg_dump 备份 PostgreSQL（见 README），本命令可用 --media-only 备份附件"
        )
    return Path(conf["NAME"])


def make_backup(target: Path, *, media_only: bool = False) -> dict:
    target.parent.mkdir(parents=True, exist_ok=True)
    manifest: dict = {"format": FORMAT, "created": dt.datetime.now(dt.UTC).isoformat(), "database": None}
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(target, "w:gz") as archive:
        if not media_only:
            snapshot = Path(tmp) / "db.sqlite3"
            source = sqlite3.connect(_sqlite_path())
            dest = sqlite3.connect(snapshot)
            with dest:
                source.backup(dest)
            source.close()
            dest.close()
            manifest["database"] = {"file": "db.sqlite3", "sha256": _sha256(snapshot)}
            archive.add(snapshot, arcname="db.sqlite3")
        media = Path(settings.MEDIA_ROOT)
        files = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
        for path in files:
            archive.add(path, arcname=f"media/{path.relative_to(media)}")
        manifest["media_files"] = len(files)
        manifest_path = Path(tmp) / "manifest.json"
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        archive.add(manifest_path, arcname="manifest.json")
    return manifest


def restore_backup(source: Path, *, database_path: Path, media_root: Path) -> dict:
    """Restore into an EMPTY instance: refuses to overwrite an existing database file."""
    if database_path.exists() and database_path.stat().st_size > 0:
        raise FileExistsError(f"目标数据库 {database_path} 已存在；恢复只能在空实例中进行")
    with tarfile.open(source, "r:gz") as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
        if manifest.get("format") != FORMAT:
            raise ValueError("备份格式版本不受支持")
        for member in archive.getmembers():
            name = member.name
            if not member.isfile() or name.startswith("/") or ".." in Path(name).parts:
                continue
            if name == "db.sqlite3":
                database_path.parent.mkdir(parents=True, exist_ok=True)
                database_path.write_bytes(archive.extractfile(member).read())
                if _sha256(database_path) != manifest["database"]["sha256"]:
                    database_path.unlink()
                    raise ValueError("数据库文件校验失败：备份已损坏")
            elif name.startswith("media/"):
                out = media_root / Path(name).relative_to("media")
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(archive.extractfile(member).read())
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
