"""Install speed: `conda-pack-ext install` against ADS's way of installing a pack.

Uses the benchmark env (python plus `cpe-large`, at least 300 MB of real numpy/scipy/pandas
files), packs it once with `conda-pack-ext pack`, then installs that same tarball
alternately, N runs each, every run a fresh process into a fresh folder:
  ours  `conda-pack-ext install -u PACK` (streamed: sha256 + ISA-L gzip in a thread + safe
        tar extraction with batched writer threads, relocation from conda-unpack's records,
        kernel registration)
  ads   `tar -xf PACK -C <folder>/<slug>` then `<folder>/<slug>/bin/conda-unpack` with the
        env's python, which is what installing by hand or with ADS amounts to
The installed trees are deleted after all runs (see benchlib: deleting between runs would
slow whichever run follows). Target: ours <= 0.6x ADS's time.

Usage: python bench/install.py [--runs 3] [--size-mb 300] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    REPO,
    SLUG,
    Folders,
    median,
    prepare,
    run,
    timed,
    tree_bytes,
    verdict,
    wait_after_deletions,
)

from conda_pack_ext.pack import find_pack, pack_env  # noqa: E402

TARGET = 0.6


def prepare_pack(work: Path, size_mb: int) -> Path:
    """The benchmark env packed once by `conda-pack-ext pack` (default level), copied aside
    so that bench/pack.py rewriting its pack does not disturb these runs."""
    settings, _ = prepare(work, size_mb)
    copy = work / "install" / f"{SLUG}.tar.gz"
    pack = find_pack(settings, SLUG) or Path(pack_env(settings, SLUG, overwrite=True)["pack_path"])
    if not copy.exists() or copy.stat().st_mtime < pack.stat().st_mtime:
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pack, copy)
    return copy


def run_ours(pack: Path, folder: Path) -> None:
    run([sys.executable, "-m", "conda_pack_ext", "install", "-u", str(pack),
         "--conda-pack-folder", str(folder)])  # fmt: skip


def run_ads(pack: Path, folder: Path) -> None:
    prefix = folder / SLUG
    prefix.mkdir(parents=True)
    run(["tar", "-xf", str(pack), "-C", str(prefix)])
    run([str(prefix / "bin" / "python"), str(prefix / "bin" / "conda-unpack")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench"))
    args = parser.parse_args()
    work = Path(args.work)
    pack = prepare_pack(work, args.size_mb)
    os.environ["JUPYTER_DATA_DIR"] = str(work / "install" / "jupyter")  # kernels stay here
    folders = Folders(work / "install" / "folders")
    folders.remove()  # leftovers of an interrupted run
    wait_after_deletions()

    actions = {"ours": run_ours, "ads": run_ads}
    times: dict[str, list[float]] = {name: [] for name in actions}
    unpacked = 0
    try:
        for round_number in range(args.runs):
            # alternate which side goes first: neither always inherits the other's writeback
            order = list(actions) if round_number % 2 == 0 else list(reversed(actions))
            for name in order:
                folder = folders.new(name)
                times[name].append(timed(lambda a=actions[name], f=folder: a(pack, f)))
                unpacked = unpacked or tree_bytes(folder / SLUG)
                print(f"  run {round_number + 1} {name:4}: {times[name][-1]:6.2f} s", flush=True)
    finally:
        folders.remove()

    ours, ads = median(times["ours"]), median(times["ads"])
    pairs = [f"{o / a:.2f}" for o, a in zip(times["ours"], times["ads"], strict=True)]
    print(
        f"\npack {pack.stat().st_size / 1e6:.0f} MB, unpacked {unpacked / 1e6:.0f} MB, "
        f"{os.cpu_count()} CPUs, {args.runs} runs each"
    )
    print(f"{'':26}{'median':>8}{'ratio':>8}")
    print(f"{'conda-pack-ext install':26}{ours:7.2f}s{ours / ads:8.2f}")
    print(f"{'tar -xf + conda-unpack':26}{ads:7.2f}s{1:8.2f}")
    print(f"ratio of each round: {', '.join(pairs)}")
    print()
    print(verdict("install vs ADS", ours / ads, TARGET))


if __name__ == "__main__":
    main()
