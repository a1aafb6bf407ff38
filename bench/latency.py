"""Server responsiveness while a job runs: latency of GET /conda-pack-ext/status and
GET /api/status with no job, then while a `pack` job of each benchmark env of
bench/envs.py (`--envs`, default base: 650 MB; large: 3.4 GB, twelve 220 MB libraries)
runs in the same Jupyter server.

A real `jupyter server` (token auth, isolated data and config folders) runs in its own
process; this script sends one request at a time, every few milliseconds, and reports
p50/p99/max per route and phase. Target: p99 < 50 ms during the job.

Usage: python bench/latency.py [--envs base,large] [--work DIR] [--idle-requests 200]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO, load_note, tree_bytes, verdict  # noqa: E402
from envs import prepare_env  # noqa: E402

ROUTES = ("conda-pack-ext/status", "api/status")
TARGET_P99_MS = 50.0


class Server:
    """A Jupyter server with conda-pack-ext, in a subprocess."""

    def __init__(self, work: Path):
        self.work = work
        self.token = secrets.token_hex(16)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        env = dict(os.environ)
        env.update(
            JUPYTER_DATA_DIR=str(self.work / "jupyter_data"),
            JUPYTER_RUNTIME_DIR=str(self.work / "jupyter_runtime"),
            ADS_OPS_CONFIG_DIR=str(self.work / "ads"),
        )
        command = [
            sys.executable, "-m", "jupyter_server",
            f"--port={self.port}", "--ip=127.0.0.1", "--no-browser",
            f"--IdentityProvider.token={self.token}", "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={self.work}",
        ]  # fmt: skip
        log = open(self.work / "server.log", "w")  # noqa: SIM115 - kept open for the server
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log, cwd=self.work)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.get("api/status")
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not start: see {self.work / 'server.log'}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def get(self, path: str) -> dict:
        return self.request("GET", path)


def timed_get(server: Server, path: str) -> float:
    started = time.perf_counter()
    server.get(path)
    return (time.perf_counter() - started) * 1000


def sample(server: Server, keep_going, gap: float = 0.02) -> dict[str, list[float]]:
    """Latencies (ms) per route, alternating routes, until keep_going() is false."""
    latencies: dict[str, list[float]] = {route: [] for route in ROUTES}
    while keep_going():
        for route in ROUTES:
            latencies[route].append(timed_get(server, route))
        time.sleep(gap)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(label: str, latencies: dict[str, list[float]]) -> dict:
    rows = {}
    for route, values in latencies.items():
        rows[route] = {
            "n": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "p99_ms": round(percentile(values, 0.99), 1),
            "max_ms": round(max(values), 1),
        }
        print(
            f"{label:<12} {route:<22} n={len(values):<5} p50={rows[route]['p50_ms']:>6.1f} ms"
            f"  p99={rows[route]['p99_ms']:>6.1f} ms  max={rows[route]['max_ms']:>6.1f} ms"
        )
    return rows


def pack_job(server: Server, settings, slug: str) -> dict:
    """Latencies while a pack job of `slug` runs; the job's answer must be success."""
    job = server.request(
        "POST",
        "conda-pack-ext/jobs",
        {
            "kind": "pack",
            "params": {
                "slug": slug,
                "overwrite": True,
                "conda_pack_folder": str(settings.pack_folder),
            },
        },
    )
    job_path = f"conda-pack-ext/jobs/{job['id']}"
    started = time.monotonic()
    last_check = [0.0]
    state = [job["state"]]

    def job_running() -> bool:
        if time.monotonic() - last_check[0] > 0.5:  # the poll a frontend would do
            last_check[0] = time.monotonic()
            state[0] = server.get(job_path + "?log_offset=1000000")["state"]
        return state[0] in ("queued", "running")

    busy = sample(server, job_running)
    seconds = time.monotonic() - started
    final = server.get(job_path)
    print(f"pack job of {slug}: {final['state']} in {seconds:.1f} s")
    if final["state"] != "succeeded":
        raise SystemExit(f"the pack job did not succeed: {final['error']}")
    return busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default="base", help="envs of bench/envs.py, comma-separated")
    parser.add_argument("--work", type=Path, default=None, help="reused between runs")
    parser.add_argument("--idle-requests", type=int, default=200)
    args = parser.parse_args()
    work = (args.work or REPO / ".cache" / "bench-latency").absolute()
    work.mkdir(parents=True, exist_ok=True)
    envs = {kind: prepare_env(work, kind) for kind in args.envs.split(",")}
    for kind, (_, prefix) in envs.items():
        print(f"{kind} env {prefix}: {tree_bytes(prefix) / 1e6:.0f} MB")

    server = Server(work).start()
    try:
        count = iter(range(args.idle_requests))
        results = {"idle": report("no job", sample(server, lambda: next(count, None) is not None))}
        lines = []
        for kind, (settings, prefix) in envs.items():
            print(f"({load_note()})")
            results[kind] = report(f"pack {kind}", pack_job(server, settings, prefix.name))
            worst = max(row["p99_ms"] for row in results[kind].values())
            lines.append(
                verdict(f"status p99 during a {kind} pack job", worst, TARGET_P99_MS, " ms",
                        below=True)
            )  # fmt: skip
        (work / "latency.json").write_text(json.dumps(results, indent=2))
        print()
        print("\n".join(lines))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
