"""Time the statistics: the summary rebuild, every measure, and the dashboard page per persona.

DATABASE_URL=sqlite:////tmp/stats-bench.sqlite3 .venv/bin/python manage.py stats_bench
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test import Client
from django.utils import timezone

from accounts.models import User
from registry.models import Child
from stats import selectors
from stats.services import refresh_aggregates


class Command(BaseCommand):
    help = "Time the statistics summary rebuild, each measure and the dashboard (demo personas)."

    def add_arguments(self, parser):
        parser.add_argument("--no-refresh", action="store_true", help="skip the timed summary rebuild")
        parser.add_argument("--repeat", type=int, default=3, help="page loads per persona (best is shown)")

    def handle(self, *args, no_refresh: bool, repeat: int, **options):
        self.stdout.write(
            f"儿童档案：{Child.objects.count()} 份，数据库：{settings.DATABASES['default']['ENGINE']}"
        )
        if not no_refresh:
            started = time.perf_counter()
            refresh_aggregates(actor=None)
            self.stdout.write(f"汇总重建（全市）：{time.perf_counter() - started:.2f} s")
        on = timezone.localdate()
        for username in ("leader", "yuekou_supervisor"):
            user = User.objects.get(username=username)
            scope = selectors.scope_for(user)
            period = selectors.default_period(on)
            total = 0.0
            cached_total = 0.0
            for spec in selectors.measures_for(scope):
                started = time.perf_counter()
                spec.function(scope=scope, on=on, period=period)
                elapsed = time.perf_counter() - started
                total += elapsed
                selectors.run(spec, scope=scope, on=on, period=period)  # fills the day cache if used
                started = time.perf_counter()
                selectors.run(spec, scope=scope, on=on, period=period)
                served = time.perf_counter() - started
                cached_total += served
                self.stdout.write(
                    f"  {username:<18} {spec.name:<20} {elapsed * 1000:8.1f} ms"
                    + (f"   (from the day cache: {served * 1000:.1f} ms)" if spec.cached else "")
                )
            self.stdout.write(
                f"  {username:<18} {'all measures':<20} {total * 1000:8.1f} ms computed, "
                f"{cached_total * 1000:.1f} ms as the page reads them"
            )
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            for url in ("/stats/", "/stats/export.xlsx", "/api/v1/stats/measures/age_groups"):
                best = None
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = client.get(url)
                    elapsed = time.perf_counter() - started
                    best = elapsed if best is None else min(best, elapsed)
                self.stdout.write(
                    f"  {username:<18} GET {url:<36} {response.status_code} {best * 1000:8.1f} ms"
                )
