"""A backup restores into an empty instance with every child, visit and audit row, and the
audit chain still verifies. Runs the real commands in subprocesses on file databases."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,  # noqa: S603
        text=True,
        timeout=600,
    )


def counts(path):
    with sqlite3.connect(path) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        wanted = [t for t in tables if t in ("registry_child", "audit_auditevent", "care_visit")]
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in wanted}  # noqa: S608


@pytest.mark.django_db
def test_backup_then_restore_into_an_empty_instance(tmp_path):
    source_db, media = tmp_path / "source.sqlite3", tmp_path / "media"
    (media / "documents" / "1").mkdir(parents=True)
    (media / "documents" / "1" / "a.pdf").write_bytes(b"%PDF-1.4 synthetic")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{source_db}",
        "MEDIA_ROOT": str(media),
    }
    assert manage("migrate", "-v", "0", env=env).returncode == 0
    seeded = manage("seed_demo", "--children", "60", "--quiet", env=env)
    assert seeded.returncode == 0, seeded.stderr
    before = counts(source_db)  # the backup's own audit row comes after the snapshot
    archive = tmp_path / "backup.tar.gz"
    made = manage("backup", "--output", str(archive), env=env)
    assert made.returncode == 0, made.stderr

    target_db, target_media = tmp_path / "restored.sqlite3", tmp_path / "restored-media"
    env2 = {**env, "DATABASE_URL": f"sqlite:///{target_db}", "MEDIA_ROOT": str(target_media)}
    restored = manage("restore", str(archive), env=env2)
    assert restored.returncode == 0, restored.stderr
    assert (target_media / "documents" / "1" / "a.pdf").read_bytes() == b"%PDF-1.4 synthetic"

    after = counts(target_db)
    assert before == after and after["registry_child"] >= 60 and after["audit_auditevent"] >= 1
    verified = manage("verify_audit", env=env2)
    assert verified.returncode == 0 and "完整" in verified.stdout


@pytest.mark.django_db
def test_restore_refuses_a_non_empty_target(tmp_path):
    existing = tmp_path / "existing.sqlite3"
    existing.write_bytes(b"not empty")
    archive = tmp_path / "x.tar.gz"
    import tarfile

    with tarfile.open(archive, "w:gz"):
        pass
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{existing}",
    }
    result = manage("restore", str(archive), env=env)
    assert result.returncode != 0 and "已存在" in result.stderr
