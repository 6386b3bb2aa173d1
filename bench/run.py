"""`make bench`: build a synthetic city, serve it with gunicorn, measure pages from a second
process as ratios to a bare view, time the daily work and the imports, write bench/results.json.

Environment: BENCH_CHILDREN (default 1000000), BENCH_SECONDS per page (default 20),
BENCH_IMPORT_ROWS (default 100000), BENCH_LINKAGE_REGISTRY / BENCH_LINKAGE_FEED (default
1000000 / 100000), BENCH_SPLINK=0 to leave Splink out,
BENCH_CLIENTS (default 8), DATABASE_URL (PostgreSQL leg when set; SQLite otherwise),
BENCH_REUSE=1 to reuse an already built database of the same size, BENCH_LINKAGE=0 to leave
the linkage benchmark out, BENCH_LEGS=postgresql to run one database only, BENCH_TOGETHER=0 to
build the cities and run the linkage benchmark one after the other instead of side by side.
The figures are written after every stage, so an interrupted run keeps what it measured.
BENCH_ONLY=pages: measure only the pages on an already built database (implies BENCH_REUSE=1:
no seeding, daily work, imports or linkage), with BENCH_SQLITE=<path> to name the SQLite file
and BENCH_RESULTS=<path> to write the figures elsewhere than bench/results.json.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RESULTS = Path(os.environ.get("BENCH_RESULTS") or ROOT / "bench" / "results.json")
ONLY_PAGES = os.environ.get("BENCH_ONLY") == "pages"


class Job:
    """A command started now and collected later, with its own wall time and peak memory
    (``os.wait4`` gives the rusage of that one child, so jobs may run side by side). A thread
    reaps the child the moment it ends, so its time does not include waiting for the others."""

    def __init__(self, args: list[str], env: dict) -> None:
        self.args = args
        self.output = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in wait()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(  # noqa: S603
            args, env=env, cwd=ROOT, stdout=self.output, stderr=subprocess.STDOUT, text=True
        )
        self.ended: tuple[float, int, resource.struct_rusage] | None = None
        self.reaper = threading.Thread(target=self._reap, daemon=True)
        self.reaper.start()

    def _reap(self) -> None:
        _pid, status, usage = os.wait4(self.proc.pid, 0)
        self.ended = (time.perf_counter(), status, usage)

    def wait(self) -> tuple[float, float, str]:
        """(seconds, peak RSS MiB, output tail); RuntimeError when the command failed."""
        self.reaper.join()
        assert self.ended is not None
        finished, status, usage = self.ended
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.output.seek(0)
        text = self.output.read()
        self.output.close()
        if self.proc.returncode != 0:
            raise RuntimeError(f"{' '.join(self.args)} failed ({self.proc.returncode}):\n{text[-3000:]}")
        return finished - self.started, usage.ru_maxrss / 1024, text[-2000:]


def sh(args: list[str], env: dict) -> tuple[float, float, str]:
    """Run a command; return (seconds, peak RSS MiB of that command, output tail)."""
    return Job(args, env).wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(database_url: str | None) -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.prod"
    env.setdefault("SECRET_KEY", "bench-" + "x" * 60)
    env.setdefault("FIELD_ENCRYPTION_KEY", "YmVuY2gtb25seS1rZXktMDEyMzQ1Njc4OWFiY2RlZmc=")
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env["SECURE_SSL_REDIRECT"] = "0"
    env["THROTTLE_PUBLIC_RATE"] = "100000000/minute"
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def measure_pages(env: dict, children: int, seconds: float, clients: int) -> dict:
    port = free_port()
    workers = os.cpu_count() or 2
    server = subprocess.Popen(  # noqa: S603
        [
            PY,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "2",
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        targets = subprocess.run(  # noqa: S603
            [PY, "-m", "bench.targets", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        plan = json.loads(targets.stdout)
        results = {}
        for name, spec in plan.items():
            if "skip" in spec:
                results[name] = {"skipped": spec["skip"]}
                continue
            spec.update({"clients": clients, "seconds": seconds})
            out = subprocess.run(  # noqa: S603
                [PY, "-m", "bench.load", json.dumps(spec)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            results[name] = json.loads(out.stdout)
            print(f"  {name:<22} {results[name]}", flush=True)
        floor = results.get("bare_view", {})
        for figures in results.values():
            if floor.get("p95_ms") and figures.get("p95_ms"):
                figures["p95_ratio_to_bare"] = round(figures["p95_ms"] / floor["p95_ms"], 2)
                figures["throughput_ratio_to_bare"] = round(
                    figures["throughput_rps"] / floor["throughput_rps"], 3
                )
        return {
            "server": f"gunicorn gthread, {workers} workers × 2 threads",
            "clients": clients,
            "seconds_per_page": seconds,
            "pages": results,
        }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def start_build(env: dict, children: int) -> Job:
    """Migrate (quick) and start the seeding of one database's city; the caller collects it."""
    sh([PY, "manage.py", "migrate", "--no-input", "-v", "0"], env)
    return Job([PY, "manage.py", "seed_demo", "--children", str(children), "--quiet"], env)


def collect_build(job: Job, leg: dict, alongside: list[str]) -> None:
    elapsed, peak, tail = job.wait()
    leg["seed_demo"] = {"seconds": round(elapsed, 1), "peak_rss_mib": round(peak), "output": tail[-400:]}
    if alongside:
        leg["seed_demo"]["ran_alongside"] = alongside
    print(f"  {leg['database']} seed_demo: {elapsed:.0f} s, peak {peak:.0f} MiB", flush=True)


DAILY_STEP = re.compile(r"（(\w+)）：([\d.]+) 秒，(.+)")


def measure_daily(env: dict) -> dict:
    """The next business day's run, as the deployment's timer starts it: ``run_daily`` (all steps
    in one process), with each step's seconds from its output."""
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    try:
        elapsed, peak, tail = sh([PY, "manage.py", "run_daily", "--on", tomorrow, "--force"], env)
    except RuntimeError as exc:
        return {"error": str(exc)[-500:]}
    steps = {m[1]: {"seconds": float(m[2]), "outcome": m[3].strip()} for m in DAILY_STEP.finditer(tail)}
    return {"on": tomorrow, "seconds": round(elapsed, 1), "peak_rss_mib": round(peak), "steps": steps}


def run_leg(
    label: str, database_url: str | None, children: int, seconds: float, clients: int, leg: dict, save
) -> dict:
    """Measure one database's built city; ``leg`` is filled stage by stage and ``save()`` writes
    the figures."""
    env = environment(database_url)
    print(f"== {label}: measuring a city of {children} children", flush=True)
    sh([PY, "manage.py", "collectstatic", "--no-input", "-v", "0"], env)
    if not ONLY_PAGES:
        leg["daily"] = measure_daily(env)
        print(f"  run_daily: {leg['daily']}", flush=True)
        save()
        leg["imports"] = measure_imports(env)
        save()
    leg["http"] = measure_pages(env, children, seconds, clients)
    save()
    return leg


def measure_imports(env: dict) -> dict:
    rows_wanted = os.environ.get("BENCH_IMPORT_ROWS", "100000")
    out: dict = {}
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        ledger = tmp / "ledger.xlsx"
        try:
            sh([PY, "-m", "bench.make_files", "ledger", str(ledger), rows_wanted], env)
            elapsed, peak, tail = sh(
                [PY, "manage.py", "import_children", str(ledger), "--report", str(tmp / "ledger.json")], env
            )
            rows = len(json.loads((tmp / "ledger.json").read_text())["rows"])
            out["ledger"] = {
                "seconds": round(elapsed, 1),
                "rows_per_s": round(rows / elapsed),
                "peak_rss_mib": round(peak),
            }
        except Exception as exc:  # noqa: BLE001 - report and go on
            out["ledger"] = {"error": str(exc)[-300:]}
        feed = tmp / "feed.xlsx"
        try:
            sh([PY, "-m", "bench.make_files", "feed", str(feed), rows_wanted], env)
            elapsed, peak, tail = sh(
                [
                    PY,
                    "manage.py",
                    "import_feed",
                    "--source",
                    "education",
                    str(feed),
                    "--report",
                    str(tmp / "feed.json"),
                ],
                env,
            )
            rows = len(json.loads((tmp / "feed.json").read_text())["rows"])
            out["feed"] = {
                "seconds": round(elapsed, 1),
                "rows_per_s": round(rows / elapsed),
                "peak_rss_mib": round(peak),
            }
        except Exception as exc:  # noqa: BLE001
            out["feed"] = {"error": str(exc)[-300:]}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"  imports: {out}", flush=True)
    return out


def start_linkage() -> list[tuple[str, Job, Path]]:
    """The linkage engine and Splink (DuckDB) on the same synthetic registry and noisy feed, each
    in its own process (its own peak memory); the caller collects them with ``collect_linkage``."""
    registry = os.environ.get("BENCH_LINKAGE_REGISTRY", "1000000")
    feed = os.environ.get("BENCH_LINKAGE_FEED", "100000")
    engines = ["ours", "splink"] if os.environ.get("BENCH_SPLINK", "1") == "1" else ["ours"]
    out = Path(tempfile.mkdtemp(prefix="linkage-"))
    jobs = []
    for engine in engines:
        args = [PY, "-m", "exchange.matching.evaluate", "--registry", registry, "--feed", feed]
        args += ["--seed", "1", "--engines", engine, "--json", str(out / f"{engine}.json")]
        jobs.append((engine, Job(args, dict(os.environ)), out / f"{engine}.json"))
    return jobs


def collect_linkage(jobs: list[tuple[str, Job, Path]], alongside: list[str]) -> dict:
    report: dict = {"results": {}, "seconds": {}, "peak_rss_mib": {}}
    for engine, job, path in jobs:
        try:
            elapsed, peak, _tail = job.wait()
            part = json.loads(path.read_text())
            report.update({k: part[k] for k in ("registry", "feed", "seed")})
            report["results"].update(part["results"])
            report["seconds"][engine] = round(elapsed, 1)
            report["peak_rss_mib"][engine] = round(peak)
            print(f"  linkage ({engine}): {elapsed:.0f} s, peak {peak:.0f} MiB", flush=True)
        except Exception as exc:  # noqa: BLE001 - report and go on
            report["results"][engine] = {"error": str(exc)[-500:]}
    if alongside:
        report["ran_alongside"] = alongside
    return report


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total = re.search(r"MemTotal:\s+(\d+)", meminfo)
    cpu = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", cpu)
    return {
        "cpus": os.cpu_count(),
        "cpu": model.group(1) if model else platform.processor(),
        "memory_gib": round(int(total.group(1)) / 1024 / 1024, 1) if total else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main() -> None:
    children = int(os.environ.get("BENCH_CHILDREN", "1000000"))
    seconds = float(os.environ.get("BENCH_SECONDS", "20"))
    clients = int(os.environ.get("BENCH_CLIENTS", "8"))
    reuse = os.environ.get("BENCH_REUSE") == "1" or ONLY_PAGES
    linkage = not ONLY_PAGES and os.environ.get("BENCH_LINKAGE", "1") == "1"
    started = time.perf_counter()
    results = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "legs": [],
    }
    sqlite_dir = ROOT / "var" / "bench"
    sqlite_dir.mkdir(parents=True, exist_ok=True)
    sqlite_path = Path(os.environ.get("BENCH_SQLITE") or sqlite_dir / f"bench-{children}.sqlite3")
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)

    def save() -> None:
        results["seconds"] = round(time.perf_counter() - started, 1)
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2))

    legs = [("sqlite", f"sqlite:///{sqlite_path}")]
    if os.environ.get("DATABASE_URL"):
        legs.append(("postgresql", os.environ["DATABASE_URL"]))
    wanted = os.environ.get("BENCH_LEGS", "sqlite,postgresql").split(",")
    legs = [(label, url) for label, url in legs if label in wanted]
    for label, _url in legs:
        results["legs"].append({"database": label, "children": children})

    # Stage 1, side by side: the cities' builds and the linkage benchmark use the two cores
    # together (each job's own time and peak are recorded, with what ran beside it). The
    # measurements that follow — daily work, imports, pages — run one at a time.
    together = os.environ.get("BENCH_TOGETHER", "1") == "1"
    jobs: list = []
    names = [f"seed_demo ({label})" for label, _ in legs] if not reuse else []
    if linkage and together:
        names.append("linkage")
    if not reuse:
        print(
            f"== building cities of {children} children: {', '.join(label for label, _ in legs)}", flush=True
        )
        for (label, url), leg in zip(legs, results["legs"], strict=True):
            job = start_build(environment(url), children)
            if together:
                jobs.append((leg, job, label))
            else:
                collect_build(job, leg, [])
                save()
    linkage_jobs = start_linkage() if linkage and together else []
    for leg, job, label in jobs:
        collect_build(job, leg, [n for n in names if label not in n] if len(names) > 1 else [])
        save()
    if linkage_jobs:
        results["linkage"] = collect_linkage(linkage_jobs, [n for n in names if n != "linkage"])
        save()
    for (label, url), leg in zip(legs, results["legs"], strict=True):
        run_leg(label, url, children, seconds, clients, leg, save)
    if linkage and not together:
        results["linkage"] = collect_linkage(start_linkage(), [])
    save()
    print_table(results)
    print(f"figures written to {RESULTS} ({results['seconds']:.0f} s in all)")


def print_table(results: dict) -> None:
    for leg in results["legs"]:
        print(f"\n{leg['database']} — {leg['children']} children")
        seed = leg.get("seed_demo", {})
        if seed:
            print(f"seed_demo: {seed.get('seconds')} s, peak {seed.get('peak_rss_mib')} MiB")
        daily = leg.get("daily", {})
        if daily:
            steps = ", ".join(f"{k} {v['seconds']} s" for k, v in daily.get("steps", {}).items())
            print(f"run_daily: {daily.get('seconds', daily.get('error'))} s ({steps})")
        for kind, figures in leg.get("imports", {}).items():
            print(f"import {kind}: {figures}")
        print(f"{'page':<24}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>9}{'p95×bare':>10}")
        for name, f in leg.get("http", {}).get("pages", {}).items():
            if "p95_ms" in f:
                print(
                    f"{name:<24}{f['p50_ms']:>9}{f['p95_ms']:>9}{f['throughput_rps']:>9}"
                    f"{f.get('p95_ratio_to_bare', ''):>10}"
                )
            else:
                print(f"{name:<24} {f}")
    for engine, figures in results.get("linkage", {}).get("results", {}).items():
        keys = ("precision", "recall", "f1", "review_rate", "peak_rss_mb")
        print(f"linkage {engine}: " + ", ".join(f"{k} {figures.get(k)}" for k in keys))


if __name__ == "__main__":
    main()
