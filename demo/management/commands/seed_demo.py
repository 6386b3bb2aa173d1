"""Build the synthetic demo city of Tianmen (synthetic people only, never real data)."""

from __future__ import annotations

import datetime as dt
import random
import resource
import time
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from accounts.models import User
from audit.services import record
from demo import bulk
from demo.context import DemoContext
from demo.people import DEMO_PASSWORD, PERSONAS, seed_directors, seed_network, seed_personas, seed_schools
from demo.places import seed_villages
from registry.models import Child


def _app_seeders():
    seeders = []
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        seeders.append((getattr(module, "ORDER", 100), config.name, module.seed))
    return sorted(seeders)


def _planner_statistics() -> None:
    """Statistics for the query planner of the database just loaded, so that the daily run, the
    imports and the pages that follow are planned on what is there (PostgreSQL's autovacuum would
    catch up only later; SQLite gathers none unless asked). VACUUM also sets PostgreSQL's
    visibility map (index-only scans); it cannot run inside a transaction (tests), ANALYZE can."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = "Build the synthetic demo city: villages, schools, staff personas and N children (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--children", type=int, default=2000, help="number of children (default 2000)")
        parser.add_argument(
            "--seed", type=int, default=2025, help="random seed (same seed and date, same city)"
        )
        parser.add_argument(
            "--on", type=dt.date.fromisoformat, default=None, help="reference date (default today)"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bars")

    def handle(self, *args, children: int, seed: int, on, quiet: bool, **options):
        if children < 0:
            raise CommandError("--children 不能为负数")
        if User.objects.filter(username=PERSONAS["admin"][0]).exists() and Child.objects.exists():
            self.stdout.write(f"演示城市已存在（{Child.objects.count()} 名儿童），未重复生成。")
            self._print_logins()
            return
        started = time.perf_counter()
        on = on or dt.date.today()
        ctx = DemoContext(
            seed=seed, on=on, children=children, rng=random.Random(seed), stdout=self.stdout, progress=None
        )
        with transaction.atomic():
            seed_villages(ctx.child_rng("villages"))
            seed_network()
            seed_schools(ctx.child_rng("schools"))
            ctx.personas = seed_personas()
            seed_directors()
        progress = (
            None
            if quiet
            else Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeRemainingColumn(),
            )
        )
        ctx.progress = progress
        if progress:
            progress.start()
        try:
            with bulk.loading():
                for _order, name, seeder in _app_seeders():
                    step = time.perf_counter()
                    seeder(ctx)
                    if not quiet:
                        self.stdout.write(f"  {name}: {time.perf_counter() - step:.1f} s")
        finally:
            if progress:
                progress.stop()
        step = time.perf_counter()
        _planner_statistics()
        if not quiet:
            self.stdout.write(f"  planner statistics: {time.perf_counter() - step:.1f} s")
        record(
            actor=None,
            action="system",
            object_type="demo",
            object_id=str(seed),
            summary=f"生成演示城市：{children} 名儿童（种子 {seed}，基准日 {on.isoformat()}）",
        )
        elapsed = time.perf_counter() - started
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            self.style.SUCCESS(
                f"演示城市已生成：{children} 名儿童，用时 {elapsed:.1f} 秒，峰值内存 {peak_mib:.0f} MiB。"
            )
        )
        self._print_logins()

    def _print_logins(self):
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, full_name, role in PERSONAS.values():
            self.stdout.write(f"  {username:<20} {role.label:<8} {full_name}")
