import csv
import json
from pathlib import Path

from django.core.management import call_command

from common import idnumber


def write_csv(path: Path, rows: list[list], *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def run_feed(path: Path, source: str, tmp_path: Path, **options) -> dict:
    out = tmp_path / f"report-{path.stem}.json"
    call_command("import_feed", str(path), source=source, report=str(out), quiet=True, **options)
    return json.loads(out.read_text(encoding="utf-8"))


def changed(number: str, position: int) -> str:
    """``number`` with the digit at ``position`` changed (a mistyping the check character catches)."""
    return number[:position] + str((int(number[position]) + 3) % 10) + number[position + 1 :]


def swapped(number: str, position: int) -> str:
    """``number`` with the digits at ``position`` and the next one swapped."""
    return number[:position] + number[position + 1] + number[position] + number[position + 2 :]


def mistyped_with_a_second_neighbour(number: str) -> tuple[str, str]:
    """A mistyping of ``number`` (one digit of the sequence changed) that is also one edit from
    another valid number of the same birth date and sex: two registered children alike."""
    for position in (14, 15):
        for digit in "0123456789":
            typed = number[:position] + digit + number[position + 1 :]
            if typed == number:
                continue
            for n in idnumber.one_edit_neighbours(typed):
                if n.number != number and set(n.positions) <= {14, 15} and idnumber.is_valid(n.number):
                    return typed, n.number
    raise AssertionError("no such mistyping")
