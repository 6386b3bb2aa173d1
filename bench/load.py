"""A small load generator, run as a separate process: N client threads with keep-alive
connections request one URL for a fixed time and report latencies."""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit


def run(
    *, url: str, method: str, body: str | None, headers: dict, clients: int, seconds: float, warmup: int = 5
) -> dict:
    parts = urlsplit(url)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    # Every client warms its connection and the server's workers first; the clock starts after.
    clock: dict[str, float] = {}
    ready = threading.Barrier(clients, action=lambda: clock.update(start=time.perf_counter()))

    def worker():
        nonlocal errors
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        local: list[float] = []
        local_errors = 0
        for i in range(10**9):
            if i == warmup:
                ready.wait()
            if i >= warmup and time.perf_counter() > clock["start"] + seconds:
                break
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status < 400
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            elapsed = time.perf_counter() - started
            if i >= warmup:
                if ok:
                    local.append(elapsed)
                else:
                    local_errors += 1
        conn.close()
        with lock:
            latencies.extend(local)
            errors += local_errors

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - clock.get("start", time.perf_counter())
    latencies.sort()
    if not latencies:
        return {"requests": 0, "errors": errors}
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(p(0.50), 2),
        "p95_ms": round(p(0.95), 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "throughput_rps": round(len(latencies) / wall, 1),
    }


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    print(json.dumps(run(**spec)))
