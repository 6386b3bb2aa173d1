"""The linkage benchmark through the real import pipeline, against a registry in the database.

    DATABASE_URL=sqlite:///var/bench/exchange.sqlite3 python manage.py migrate
    DATABASE_URL=sqlite:///var/bench/exchange.sqlite3 \\
        python manage.py bench_exchange --registry 1000000 --feed 100000 --seed 1 [--splink] [--json OUT]

1. builds (once per database) a synthetic registry of ``--registry`` children with known
   truth (``exchange.matching.synth``: households, twins, same-name children, noisy rows),
   written with the registry's encryption and blind indexes;
2. writes a ``--feed``-row noisy feed as CSV and runs it through ``import_feed`` in a
   separate process (source ``bench``: matching only, no effects, no registrations), so
   that rows/s and peak memory are the import's own;
3. scores the outcome against the truth: precision (automatic links), recall, F1, review
   rate; and, with ``--splink``, Splink (DuckDB) on the same data beside it.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from exchange.matching import synth
from exchange.matching.evaluate import metrics


class Command(BaseCommand):
    help = "Benchmark the department-feed linkage against a generated registry (precision, recall, rows/s, memory)."

    def add_arguments(self, parser):
        parser.add_argument("--registry", type=int, default=1_000_000)
        parser.add_argument("--feed", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--splink", action="store_true", help="also run Splink on the same data")
        parser.add_argument("--json", default="", help="write the results to this file")
        parser.add_argument(
            "--partial", action="store_true", help="score against the children already in the database"
        )
        parser.add_argument("--workdir", default=str(Path(settings.BASE_DIR) / "var" / "bench"))

    def handle(
        self,
        *args,
        registry: int,
        feed: int,
        seed: int,
        splink: bool,
        json: str,
        workdir: str,
        partial: bool,
        **options,
    ):
        import json as jsonlib

        from exchange.models import FeedRow
        from registry.models import Child

        work = Path(workdir)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        data = synth.generate(registry, feed, seed=seed)
        self.stdout.write(
            f"合成数据：登记 {registry} 名，部门数据 {feed} 行（{time.perf_counter() - started:.0f} 秒）"
        )
        present = Child.objects.count()
        if present != registry:
            if present and not partial:
                self.stderr.write(
                    "数据库中的儿童数与 --registry 不符：请使用新的基准数据库（DATABASE_URL），"
                    "或以 --partial 按库中已写入的部分评分"
                )
                return
            if not present:
                t = time.perf_counter()
                _insert_registry(data.registry)
                self.stdout.write(f"写入登记库：{time.perf_counter() - t:.0f} 秒")
        _bench_source()
        feed_path = work / f"feed-{feed}-{seed}.csv"
        _write_feed(feed_path, data.feed)
        report_path = work / f"report-{feed}-{seed}.json"
        t = time.perf_counter()
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py, arguments built here
            [sys.executable, "manage.py", "import_feed", "--source", "bench", str(feed_path),
             "--report", str(report_path), "--quiet"],
            check=True, cwd=settings.BASE_DIR, env=os.environ.copy(),
        )  # fmt: skip
        wall = time.perf_counter() - t
        report = jsonlib.loads(report_path.read_text(encoding="utf-8"))
        batch_id = report["summary"]["batch"]
        key_of = dict(Child.objects.values_list("pk", "file_no").iterator(chunk_size=20000))
        outcomes: list[tuple[str, str | None]] = []
        for outcome, child_id in (
            FeedRow.objects.filter(batch_id=batch_id).order_by("number").values_list("outcome", "child_id")
        ):
            outcomes.append((outcome, key_of.get(child_id) if outcome == "linked" else None))
        # Rows whose child is not in the database (a partial build) are new children.
        in_database = set(key_of.values())
        truth = [key if key in in_database else None for key in data.truth]
        ours = metrics(outcomes, truth)
        ours.update(
            import_seconds=report["summary"]["seconds"],
            rows_per_second=report["summary"]["rows_per_second"],
            peak_memory_mb=report["summary"]["peak_memory_mb"],
            wall_seconds_with_startup=round(wall, 1),
        )
        results = {"registry": len(in_database), "feed": feed, "seed": seed, "pipeline": ours}
        if splink:
            from exchange.matching.evaluate import run_splink

            results["splink"] = {k: v for k, v in run_splink(data).items() if k != "errors"}
        text = jsonlib.dumps(results, ensure_ascii=False, indent=1)
        if json:
            Path(json).write_text(text, encoding="utf-8")
        self.stdout.write(text)


def _bench_source():
    from exchange.models import Effect, FeedSource
    from exchange.sources import fixture
    from network.models import Department

    FeedSource.objects.update_or_create(
        code="bench",
        defaults={
            "name": "基准测试（仅比对）",
            "department": Department.objects.get(code="civil_affairs"),
            "fields": fixture()["common_fields"],
            "effect": Effect.NONE,
            "registers_new": False,
        },
    )


HEADERS = ["姓名", "性别", "出生日期", "身份证号", "户籍地区划代码", "监护人姓名", "联系电话", "现居住地址"]


def _write_feed(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for p in rows:
            writer.writerow(
                [p.name, {"M": "男", "F": "女"}.get(p.sex or "", ""), p.birth_date.isoformat() if p.birth_date else "",
                 p.id_number or "", p.hukou_county or "", p.guardian_name or "", p.guardian_phone or "", p.address or ""]
            )  # fmt: skip


def _insert_registry(people, chunk: int = 5000) -> None:
    """Bulk insert with the registry's encryption and blind indexes; one household per
    guardian phone and address (siblings and twins share it)."""
    from common import crypto, idnumber
    from places.models import County, Unit
    from registry import identity
    from registry.models import Child, Guardian, Household

    counties = set(County.objects.values_list("code", flat=True))
    townships = list(
        Unit.objects.filter(level=Unit.Level.TOWNSHIP).order_by("code").values_list("pk", flat=True)
    )
    households: dict[tuple[str, str], int] = {}
    for start in range(0, len(people), chunk):
        part = people[start : start + chunk]
        with transaction.atomic():
            new_keys = []
            for p in part:
                key = (p.guardian_phone or "", p.address or "")
                if key not in households and key not in new_keys:
                    new_keys.append(key)
            created = Household.objects.bulk_create(
                [Household(address=a[:200], township_id=townships[i % len(townships)]) for i, (_ph, a) in enumerate(new_keys)]
            )  # fmt: skip
            guardians = []
            for key, household, p in zip(new_keys, created, _first_people(part, new_keys), strict=True):
                households[key] = household.pk
                phone = p.guardian_phone or ""
                guardians.append(
                    Guardian(
                        household=household, name=p.guardian_name or "监护人", relationship="父亲",
                        phone=phone, phone_hash=identity.phone_hash(phone) if phone else "",
                        phone_masked=idnumber.mask_phone(phone) if phone else "",
                    )
                )  # fmt: skip
            Guardian.objects.bulk_create(guardians)
            children = []
            for p in part:
                number = p.id_number or ""
                household_id = households[(p.guardian_phone or "", p.address or "")]
                children.append(
                    Child(
                        file_no=p.key, name=p.name, name_pinyin=identity.name_pinyin(p.name),
                        sex={"M": "男", "F": "女"}[p.sex], birth_date=p.birth_date,
                        id_number=number, id_hash=crypto.blind_index(number, kind="id") if number else "",
                        id_masked=idnumber.mask(number) if number else "",
                        household_id=household_id,
                        hukou_county_id=p.hukou_county if p.hukou_county in counties else None,
                        township_id=townships[household_id % len(townships)], address=(p.address or "")[:200],
                        migrant_status="migrant",
                    )
                )  # fmt: skip
            Child.objects.bulk_create(children)


def _first_people(part, keys):
    wanted = {k: None for k in keys}
    for p in part:
        k = (p.guardian_phone or "", p.address or "")
        if k in wanted and wanted[k] is None:
            wanted[k] = p
    return [wanted[k] for k in keys]
