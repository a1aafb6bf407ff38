"""Install speed: `conda-pack-ext install` against ADS's way of installing a pack.

Uses the benchmark env of bench/pack.py (python plus `cpe-large`, at least 300 MB of real
numpy/scipy/pandas files), packs it once with `conda-pack-ext pack`, then installs that same
tarball alternately, N runs each, every run a fresh process into an empty folder:
  ours  `conda-pack-ext install -u PACK` (streamed: sha256 + ISA-L gzip in a thread + safe
        tar extraction, conda-unpack, kernel registration)
  ads   `tar -xf PACK -C <folder>/<slug>` then `<folder>/<slug>/bin/conda-unpack` with the
        env's python, which is what installing by hand or with ADS amounts to
Removing the installed folder between runs is not timed, and each run waits --settle
seconds after it: ext4 scans past recently deleted inodes when it allocates new ones, which
would slow whichever run follows a deletion. Target: ours <= 0.6x ADS's time.

Usage: python bench/install.py [--runs 3] [--size-mb 300] [--settle 15] [--work DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from conda_pack_ext.pack import find_pack, pack_env  # noqa: E402


def bench_pack_module():
    """bench/pack.py, which builds (or reuses) the benchmark env."""
    spec = importlib.util.spec_from_file_location("bench_pack", REPO / "bench" / "pack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare_pack(work: Path, size_mb: int) -> Path:
    """The benchmark env packed once by `conda-pack-ext pack` (default level), copied aside
    so that bench/pack.py rewriting its pack does not disturb these runs."""
    bench_pack = bench_pack_module()
    settings, _ = bench_pack.prepare(work, size_mb)
    copy = work / "install" / f"{bench_pack.SLUG}.tar.gz"
    if not copy.exists():
        pack = find_pack(settings, bench_pack.SLUG) or Path(
            pack_env(settings, bench_pack.SLUG, overwrite=True)["pack_path"]
        )
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pack, copy)
    return copy


def run_ours(pack: Path, folder: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "conda_pack_ext", "install", "-u", str(pack),
         "--conda-pack-folder", str(folder)],
        check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def run_ads(pack: Path, folder: Path, slug: str) -> None:
    prefix = folder / slug
    prefix.mkdir(parents=True)
    subprocess.run(["tar", "-xf", str(pack), "-C", str(prefix)], check=True)
    subprocess.run(
        [str(prefix / "bin" / "python"), str(prefix / "bin" / "conda-unpack")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def tree_bytes(folder: Path) -> int:
    return sum(
        os.lstat(os.path.join(root, name)).st_size
        for root, _, files in os.walk(folder)
        for name in files
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--settle", type=float, default=15, help="seconds to wait after a delete")
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench"))
    args = parser.parse_args()
    work = Path(args.work)
    pack = prepare_pack(work, args.size_mb)
    slug = pack.name[: -len(".tar.gz")]
    target = work / "install" / "folders"
    os.environ["JUPYTER_DATA_DIR"] = str(work / "install" / "jupyter")  # kernels stay here

    times: dict[str, list[float]] = {"ours": [], "ads": []}
    actions = {
        "ours": lambda folder: run_ours(pack, folder),
        "ads": lambda folder: run_ads(pack, folder, slug),
    }
    unpacked = 0
    for round_number in range(args.runs):
        for name, action in actions.items():
            folder = target / name
            shutil.rmtree(folder, ignore_errors=True)
            os.sync()
            time.sleep(args.settle)
            times[name].append(timed(lambda a=action, f=folder: a(f)))
            unpacked = unpacked or tree_bytes(folder / slug)
            print(f"  run {round_number + 1} {name:4}: {times[name][-1]:6.2f} s", flush=True)
            shutil.rmtree(folder, ignore_errors=True)

    median = {name: statistics.median(values) for name, values in times.items()}
    ratio = median["ours"] / median["ads"]
    pairs = [f"{o / a:.2f}" for o, a in zip(times["ours"], times["ads"], strict=True)]
    print(
        f"\npack {pack.stat().st_size / 1e6:.0f} MB, unpacked {unpacked / 1e6:.0f} MB, "
        f"{os.cpu_count()} CPUs, {args.runs} runs each"
    )
    print(f"ratio of each round      {', '.join(pairs)}")
    print(f"conda-pack-ext install   {median['ours']:6.2f} s (median)")
    print(f"tar -xf + conda-unpack   {median['ads']:6.2f} s (median)")
    print(
        f"ratio ours/ADS           {ratio:6.2f}x  (target <= 0.6x: {'met' if ratio <= 0.6 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
