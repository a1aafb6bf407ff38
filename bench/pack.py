"""Pack speed and size: conda-pack-ext against conda-pack's defaults and ADS's settings.

Builds (or reuses) an environment of at least 300 MB from the local test channel (python
plus `cpe-large`, real numpy/scipy/pandas files), then packs it alternately, N runs each:
  ours      `conda-pack-ext pack` (default level, multi-threaded isal gzip)
  cli       the `conda-pack` command with its defaults (zlib level 4, one thread)
  ads       `conda_pack.pack(compress_level=7, n_threads=-1, ignore_missing_files=True)`,
            what `ads opctl conda publish` runs
Each run is a fresh process, timed from start to exit. Targets: ours <= 0.5x ADS's time and
<= 1.15x its size.

Usage: python bench/pack.py [--runs 3] [--size-mb 300] [--sweep] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO, SLUG, median, prepare, run, verdict  # noqa: E402

from conda_pack_ext.pack import DEFAULT_COMPRESS_LEVEL, pack_path  # noqa: E402
from conda_pack_ext.settings import Settings  # noqa: E402


def commands(settings: Settings, prefix: Path, work: Path, level: int) -> dict[str, tuple]:
    python = sys.executable
    ads = (
        "import conda_pack, sys; conda_pack.pack(prefix=sys.argv[1], output=sys.argv[2], "
        "compress_level=7, n_threads=-1, ignore_missing_files=True, force=True)"
    )
    return {
        "ours": (
            [python, "-m", "conda_pack_ext", "pack", "-s", SLUG, "-o", "--compress-level",
             str(level), "--conda-pack-folder", str(settings.pack_folder)],
            pack_path(settings, SLUG),
        ),
        "cli": (
            [str(Path(python).parent / "conda-pack"), "-p", str(prefix), "-o",
             str(work / "cli.tar.gz"), "--force", "-q"],
            work / "cli.tar.gz",
        ),
        "ads": ([python, "-c", ads, str(prefix), str(work / "ads.tar.gz")], work / "ads.tar.gz"),
    }  # fmt: skip


def timed(command: list[str], output: Path) -> tuple[float, int]:
    os.sync()  # a run's writeback must not land in the next run's time
    started = time.perf_counter()
    run(command)
    return time.perf_counter() - started, output.stat().st_size


def check_readable(output: Path) -> None:
    """GNU tar reads the whole pack (listing it: extracting and deleting 16,000 files would
    slow the next bench's file creation, see benchlib)."""
    subprocess.run(["tar", "-tzf", str(output)], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--level", type=int, default=DEFAULT_COMPRESS_LEVEL)
    parser.add_argument("--sweep", action="store_true", help="also time our levels 0-6")
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench"))
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    settings, prefix = prepare(work, args.size_mb)
    env_bytes = sum(
        os.lstat(os.path.join(root, name)).st_size
        for root, _, files in os.walk(prefix)
        for name in files
    )
    print(f"environment: {prefix} ({env_bytes / 1e6:.0f} MB, {os.cpu_count()} CPUs)")

    runs = commands(settings, prefix, work, args.level)
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in runs}
    for round_number in range(args.runs):
        for name, (command, output) in runs.items():
            results[name].append(timed(command, output))
            seconds, size = results[name][-1]
            print(f"  run {round_number + 1} {name:4}: {seconds:6.2f} s  {size / 1e6:7.1f} MB")
    check_readable(runs["ours"][1])

    median_time = {n: median([t for t, _ in r]) for n, r in results.items()}
    size = {n: r[-1][1] for n, r in results.items()}
    print(f"\n{'':22}{'time (median)':>14}{'size':>12}{'time/ADS':>10}{'size/ADS':>10}")
    labels = {
        "ours": f"conda-pack-ext (lvl {args.level})",
        "cli": "conda-pack CLI default",
        "ads": "ADS (zlib 7, all CPUs)",
    }
    for name in runs:
        print(
            f"{labels[name]:22}{median_time[name]:13.2f}s{size[name] / 1e6:10.1f}MB"
            f"{median_time[name] / median_time['ads']:10.2f}{size[name] / size['ads']:10.2f}"
        )

    if args.sweep:
        print("\nour levels (one run each):")
        for level in range(0, 7):
            command, output = commands(settings, prefix, work, level)["ours"]
            seconds, nbytes = timed(command, output)
            print(
                f"  level {level}: {seconds:6.2f} s  {nbytes / 1e6:7.1f} MB"
                f"  time/ADS {seconds / median_time['ads']:.2f}  size/ADS {nbytes / size['ads']:.2f}"
            )

    print()
    print(verdict("pack time vs ADS", median_time["ours"] / median_time["ads"], 0.5))
    print(verdict("pack size vs ADS", size["ours"] / size["ads"], 1.15))


if __name__ == "__main__":
    main()
