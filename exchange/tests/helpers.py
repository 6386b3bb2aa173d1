import csv
import json
from pathlib import Path

from django.core.management import call_command


def write_csv(path: Path, rows: list[list], *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def run_feed(path: Path, source: str, tmp_path: Path, **options) -> dict:
    out = tmp_path / f"report-{path.stem}.json"
    call_command("import_feed", str(path), source=source, report=str(out), quiet=True, **options)
    return json.loads(out.read_text(encoding="utf-8"))
