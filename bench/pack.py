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
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from conda_pack_ext.create import create_env  # noqa: E402
from conda_pack_ext.pack import DEFAULT_COMPRESS_LEVEL, pack_path  # noqa: E402
from conda_pack_ext.settings import Settings  # noqa: E402
from tests.support.channel import build_channel, build_large_package  # noqa: E402

SLUG = "bench_v1_0"


def prepare(work: Path, size_mb: int) -> tuple[Settings, Path]:
    """The benchmark env, built once and reused."""
    channel = build_channel()
    build_large_package(channel, size_mb)
    settings = Settings(conda_pack_folder=str(work / "conda"), ads_config_dir=str(work / "ads"))
    prefix = settings.pack_folder / SLUG
    if not (prefix / f"{SLUG}_manifest.yaml").exists():
        env_file = work / "environment.yaml"
        env_file.write_text(
            f"name: bench\nchannels: [{channel}]\ndependencies: [python, cpe-large={size_mb}]\n"
        )
        create_env(settings, env_file, overwrite=True, no_kernel=True)
    return settings, prefix


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
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, output.stat().st_size


def check_readable(output: Path, work: Path) -> None:
    """tar reads the pack, and its conda-unpack runs."""
    target = work / "unpacked"
    subprocess.run(["rm", "-rf", str(target)], check=True)
    target.mkdir()
    subprocess.run(["tar", "xzf", str(output), "-C", str(target)], check=True)
    subprocess.run([str(target / "bin/python"), str(target / "bin/conda-unpack")], check=True)
    subprocess.run(["rm", "-rf", str(target)], check=True)


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
    check_readable(runs["ours"][1], work)

    median = {n: statistics.median(t for t, _ in r) for n, r in results.items()}
    size = {n: r[-1][1] for n, r in results.items()}
    print(f"\n{'':22}{'time (median)':>14}{'size':>12}{'time/ADS':>10}{'size/ADS':>10}")
    labels = {
        "ours": f"conda-pack-ext (lvl {args.level})",
        "cli": "conda-pack CLI default",
        "ads": "ADS (zlib 7, all CPUs)",
    }
    for name in runs:
        print(
            f"{labels[name]:22}{median[name]:13.2f}s{size[name] / 1e6:10.1f}MB"
            f"{median[name] / median['ads']:10.2f}{size[name] / size['ads']:10.2f}"
        )
    ok = median["ours"] <= 0.5 * median["ads"] and size["ours"] <= 1.15 * size["ads"]
    print(f"\ntarget (time <= 0.5x ADS, size <= 1.15x ADS): {'met' if ok else 'NOT met'}")

    if args.sweep:
        print("\nour levels (one run each):")
        for level in range(0, 7):
            command, output = commands(settings, prefix, work, level)["ours"]
            seconds, nbytes = timed(command, output)
            print(
                f"  level {level}: {seconds:6.2f} s  {nbytes / 1e6:7.1f} MB"
                f"  time/ADS {seconds / median['ads']:.2f}  size/ADS {nbytes / size['ads']:.2f}"
            )


if __name__ == "__main__":
    main()
