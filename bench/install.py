"""Install speed and memory: `conda-pack-ext install` against ADS's way and the floor.

On each benchmark env (bench/envs.py: base, file-heavy, large), packs it once with
`conda-pack-ext pack`, then installs that same tarball alternately, N runs each, every run
a fresh process into a fresh folder, timed from start to exit, with its peak RSS:
  ours        `conda-pack-ext install -u PACK` (streamed: sha256 + ISA-L gzip in a thread +
              safe tar extraction with batched writer threads, relocation from conda-unpack's
              records, kernel registration)
  ads         `tar -xf PACK -C <folder>/<slug>` then `<folder>/<slug>/bin/conda-unpack` with
              the env's python, which is what installing by hand or with ADS amounts to
  decompress  the pack decompressed to nowhere (ISA-L, one thread)
  extract     `tar -xf` of the already-decompressed pack
The floor is the slower of decompress and extract. The installed trees are deleted after
all runs (see benchlib: deleting between runs would slow whichever run follows). Targets,
per env: ours <= 0.5x ADS's time and <= 1.3x the floor; on the large env, peak RSS <= 300 MB.

Usage: python bench/install.py [--envs base,files,large] [--runs 3] [--work DIR]
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
    Folders,
    load_note,
    measured,
    median,
    tree_bytes,
    verdict,
    wait_after_deletions,
)
from envs import KINDS, prepare_env  # noqa: E402
from floor import decompress_floor, decompress_to, extract_floor  # noqa: E402

from conda_pack_ext.pack import find_pack, pack_env  # noqa: E402


def prepare_pack(work: Path, kind: str) -> Path:
    """The env packed once by `conda-pack-ext pack` (default level), copied aside so that
    bench/pack.py rewriting its pack does not disturb these runs."""
    settings, prefix = prepare_env(work, kind)
    slug = prefix.name
    copy = work / "install" / f"{slug}.tar.gz"
    pack = find_pack(settings, slug) or Path(pack_env(settings, slug, overwrite=True)["pack_path"])
    if not copy.exists() or copy.stat().st_mtime < pack.stat().st_mtime:
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pack, copy)
    return copy


def sides(pack: Path, tar: Path, slug: str) -> dict:
    """{side: function(folder) -> (seconds, peak RSS MB)}."""

    def ours(folder: Path):
        return measured([sys.executable, "-m", "conda_pack_ext", "install", "-u", str(pack),
                         "--conda-pack-folder", str(folder)])  # fmt: skip

    def ads(folder: Path):
        prefix = folder / slug
        prefix.mkdir(parents=True)
        seconds, rss = measured(["tar", "-xf", str(pack), "-C", str(prefix)])
        more, rss_unpack = measured(
            [str(prefix / "bin" / "python"), str(prefix / "bin" / "conda-unpack")]
        )
        return seconds + more, max(rss, rss_unpack)

    return {
        "ours": ours,
        "ads": ads,
        "decompress": lambda folder: measured(decompress_floor(pack)),
        "extract": lambda folder: measured(extract_floor(tar, folder / slug)),
    }


def bench_env(kind: str, args) -> list[str]:
    """Run one env's rounds, print its table; return its verdict lines."""
    work = Path(args.work)
    pack = prepare_pack(work, kind)
    slug = pack.name.removesuffix(".tar.gz")
    tar = pack.with_suffix("")  # .tar
    if not tar.exists() or tar.stat().st_mtime < pack.stat().st_mtime:
        decompress_to(pack, tar)
    folders = Folders(work / "install" / "folders")
    folders.remove()  # leftovers of an interrupted run
    wait_after_deletions()
    print(f"\n== {kind}: pack {pack.stat().st_size / 1e6:.0f} MB ({load_note()})", flush=True)
    actions = sides(pack, tar, slug)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in actions}
    unpacked = 0
    try:
        for round_number in range(args.runs):
            # alternate the order: no side always inherits another's writeback
            order = list(actions) if round_number % 2 == 0 else list(reversed(actions))
            for name in order:
                folder = folders.new(name)
                os.sync()
                results[name].append(actions[name](folder))
                if name == "ours":
                    unpacked = unpacked or tree_bytes(folder / slug)
                seconds, rss = results[name][-1]
                print(f"  run {round_number + 1} {name:10}: {seconds:7.2f} s  RSS {rss:6.0f} MB",
                      flush=True)  # fmt: skip
    finally:
        folders.remove()
    time_ = {n: median([t for t, _ in r]) for n, r in results.items()}
    rss = {n: max(m for _, m in r) for n, r in results.items()}
    floor = max(time_["decompress"], time_["extract"])
    print(f"unpacked {unpacked / 1e6:.0f} MB; floor = max(decompress, extract) = {floor:.2f} s")
    print(f"{'':26}{'time':>9}{'peak RSS':>10}{'/ADS':>7}{'/floor':>8}")
    for name in actions:
        print(f"{name:26}{time_[name]:8.2f}s{rss[name]:8.0f}MB"
              f"{time_[name] / time_['ads']:7.2f}{time_[name] / floor:8.2f}")  # fmt: skip
    lines = [
        verdict(f"{kind} install vs ADS", time_["ours"] / time_["ads"], 0.5),
        verdict(f"{kind} install vs floor", time_["ours"] / floor, 1.3),
    ]
    if kind == "large":
        lines.append(verdict("large install peak RSS", rss["ours"], 300, " MB"))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default=",".join(KINDS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench"))
    args = parser.parse_args()
    os.environ["JUPYTER_DATA_DIR"] = str(Path(args.work) / "install" / "jupyter")
    print(f"{os.cpu_count()} CPUs, {args.runs} runs each, medians")
    lines = []
    for kind in args.envs.split(","):
        lines += bench_env(kind, args)
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
