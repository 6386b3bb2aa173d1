"""`make bench`: build a synthetic city, serve it with gunicorn, measure pages from a second
process as ratios to a bare view, time the daily work and the imports, write bench/results.json.

Environment: BENCH_CHILDREN (default 1000000), BENCH_SECONDS per page (default 20),
BENCH_IMPORT_ROWS (default 100000), BENCH_LINKAGE_REGISTRY / BENCH_LINKAGE_FEED (default
1000000 / 100000), BENCH_SPLINK=0 to leave Splink out,
BENCH_CLIENTS (default 8), DATABASE_URL (PostgreSQL leg when set; SQLite otherwise),
BENCH_REUSE=1 to reuse an already built database of the same size, BENCH_LINKAGE=0 to leave
the linkage benchmark out, BENCH_LEGS=postgresql to run one database only. The figures are written after every stage, so an interrupted run
keeps what it measured.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RESULTS = Path(os.environ.get("BENCH_RESULTS") or ROOT / "bench" / "results.json")
ONLY_PAGES = os.environ.get("BENCH_ONLY") == "pages"


def sh(args: list[str], env: dict, **kw) -> tuple[float, float, str]:
    """Run a command; return (seconds, peak RSS MiB of the child, output tail)."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, **kw)  # noqa: S603
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    # ru_maxrss of children is the maximum over all children so far: report it only when it grew.
    return elapsed, max(peak, before) / 1024, (proc.stdout + proc.stderr)[-2000:]


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


def run_leg(
    label: str, database_url: str | None, children: int, seconds: float, clients: int, leg: dict, save
) -> dict:
    """Measure one database; ``leg`` is filled stage by stage and ``save()`` writes the figures."""
    env = environment(database_url)
    leg.update({"database": label, "children": children})
    print(f"== {label}: building a city of {children} children", flush=True)
    reuse = os.environ.get("BENCH_REUSE") == "1" or ONLY_PAGES
    sh([PY, "manage.py", "collectstatic", "--no-input", "-v", "0"], env)
    if ONLY_PAGES:
        leg["http"] = measure_pages(env, children, seconds, clients)
        return leg
    if not reuse:
        sh([PY, "manage.py", "migrate", "--no-input", "-v", "0"], env)
        elapsed, peak, tail = sh([PY, "manage.py", "seed_demo", "--children", str(children), "--quiet"], env)
        leg["seed_demo"] = {"seconds": round(elapsed, 1), "peak_rss_mib": round(peak), "output": tail[-400:]}
        print(f"  seed_demo: {elapsed:.0f} s, peak {peak:.0f} MiB", flush=True)
        save()
    leg["daily"] = {}
    for command in ("recompute_status", "care_daily", "recompute_entitlements", "stats_refresh"):
        try:
            elapsed, peak, _ = sh([PY, "manage.py", command], env)
            leg["daily"][command] = {"seconds": round(elapsed, 1), "peak_rss_mib": round(peak)}
        except RuntimeError as exc:
            leg["daily"][command] = {"error": str(exc)[-300:]}
        print(f"  {command}: {leg['daily'][command]}", flush=True)
    # The same four steps as the deployment runs them: one process, one after the other.
    try:
        elapsed, peak, _ = sh([PY, "manage.py", "run_daily", "--force"], env)
        leg["daily"]["run_daily"] = {"seconds": round(elapsed, 1), "peak_rss_mib": round(peak)}
    except RuntimeError as exc:
        leg["daily"]["run_daily"] = {"error": str(exc)[-300:]}
    print(f"  run_daily: {leg['daily']['run_daily']}", flush=True)
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


def measure_linkage() -> dict:
    """The linkage engine against Splink (DuckDB) on the same synthetic registry and noisy feed."""
    registry = os.environ.get("BENCH_LINKAGE_REGISTRY", "1000000")
    feed = os.environ.get("BENCH_LINKAGE_FEED", "100000")
    out = Path(tempfile.mkdtemp(prefix="linkage-")) / "linkage.json"
    args = [
        PY,
        "-m",
        "exchange.matching.evaluate",
        "--registry",
        registry,
        "--feed",
        feed,
        "--seed",
        "1",
        "--json",
        str(out),
    ]
    if os.environ.get("BENCH_SPLINK", "1") == "1":
        args.append("--splink")
    try:
        elapsed, peak, _tail = sh(args, dict(os.environ))
        report = json.loads(out.read_text())
        report["seconds"] = round(elapsed, 1)
        print(f"  linkage: {registry} registry / {feed} feed in {elapsed:.0f} s", flush=True)
        return report
    except Exception as exc:  # noqa: BLE001 - report and go on
        return {"error": str(exc)[-500:]}


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
    results = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "legs": [],
    }
    sqlite_dir = ROOT / "var" / "bench"
    sqlite_dir.mkdir(parents=True, exist_ok=True)
    sqlite_path = Path(os.environ.get("BENCH_SQLITE") or sqlite_dir / f"bench-{children}.sqlite3")
    if os.environ.get("BENCH_REUSE") != "1" and not ONLY_PAGES:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)

    def save() -> None:
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2))

    legs = [("sqlite", f"sqlite:///{sqlite_path}")]
    if os.environ.get("DATABASE_URL"):
        legs.append(("postgresql", os.environ["DATABASE_URL"]))
    wanted = os.environ.get("BENCH_LEGS", "sqlite,postgresql").split(",")
    legs = [(label, url) for label, url in legs if label in wanted]
    for label, url in legs:
        leg: dict = {}
        results["legs"].append(leg)
        run_leg(label, url, children, seconds, clients, leg, save)
    if not ONLY_PAGES and os.environ.get("BENCH_LINKAGE", "1") == "1":
        results["linkage"] = measure_linkage()
    save()
    print_table(results)
    print(f"figures written to {RESULTS}")


def print_table(results: dict) -> None:
    for leg in results["legs"]:
        print(f"\n{leg['database']} — {leg['children']} children")
        print(f"{'page':<24}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>9}{'p95×bare':>10}")
        for name, f in leg.get("http", {}).get("pages", {}).items():
            if "p95_ms" in f:
                print(
                    f"{name:<24}{f['p50_ms']:>9}{f['p95_ms']:>9}{f['throughput_rps']:>9}"
                    f"{f.get('p95_ratio_to_bare', ''):>10}"
                )
            else:
                print(f"{name:<24} {f}")


if __name__ == "__main__":
    main()
