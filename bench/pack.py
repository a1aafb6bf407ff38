"""Pack speed, size and memory: conda-pack-ext against ADS's settings and the floor.

On each benchmark env (bench/envs.py: base, file-heavy, large), packs alternately, N runs
each, every run a fresh process timed from start to exit, with its peak RSS:
  ours      `conda-pack-ext pack` (default level, multi-threaded isal gzip)
  ads       `conda_pack.pack(compress_level=7, n_threads=-1, ignore_missing_files=True)`,
            what `ads opctl conda publish` runs
  floor     `tar -cf - <env> | ISA-L gzip` at our level and thread count (bench/floor.py)
  cli       (--cli) the `conda-pack` command with its defaults (zlib level 4, one thread)
The env's files are read once before the runs (into the page cache, untimed), so that the
first run does not pay alone for reading them from disk.
Targets, per env: ours <= 0.2x ADS's time and <= 1.3x the floor's, size <= 1.15x ADS's; on
the large env, peak RSS <= 300 MB.

Usage: python bench/pack.py [--envs base,files,large] [--runs 3] [--cli] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO, load_note, measured, median, tree_bytes, verdict  # noqa: E402
from envs import KINDS, prepare_env  # noqa: E402
from floor import pack_floor  # noqa: E402

from conda_pack_ext.pack import DEFAULT_COMPRESS_LEVEL, pack_path  # noqa: E402
from conda_pack_ext.settings import Settings  # noqa: E402

LABELS = {
    "ours": "conda-pack-ext",
    "ads": "ADS (zlib 7, all CPUs)",
    "floor": "tar | ISA-L gzip",
    "cli": "conda-pack CLI default",
}


def commands(settings: Settings, prefix: Path, work: Path, level: int, cli: bool) -> dict:
    """{side: (command, output)} for one env."""
    python = sys.executable
    ads = (
        "import conda_pack, sys; conda_pack.pack(prefix=sys.argv[1], output=sys.argv[2], "
        "compress_level=7, n_threads=-1, ignore_missing_files=True, force=True)"
    )
    slug = prefix.name
    sides = {
        "ours": (
            [python, "-m", "conda_pack_ext", "pack", "-s", slug, "-o", "--compress-level",
             str(level), "--conda-pack-folder", str(settings.pack_folder)],
            pack_path(settings, slug),
        ),
        "ads": ([python, "-c", ads, str(prefix), str(work / "ads.tar.gz")], work / "ads.tar.gz"),
        "floor": (pack_floor(prefix, work / "floor.tar.gz", level), work / "floor.tar.gz"),
    }  # fmt: skip
    if cli:
        sides["cli"] = (
            [str(Path(python).parent / "conda-pack"), "-p", str(prefix), "-o",
             str(work / "cli.tar.gz"), "--force", "-q"],
            work / "cli.tar.gz",
        )  # fmt: skip
    return sides


def timed(command: list[str], output: Path) -> tuple[float, int, float]:
    """(seconds, pack size, peak RSS MB) of one run."""
    os.sync()  # a run's writeback must not land in the next run's time
    seconds, rss = measured(command)
    return seconds, output.stat().st_size, rss


def warm_page_cache(prefix: Path) -> None:
    """Read every file of the env once, untimed. Other work on the machine pushes the env
    out of the page cache between benches, and the side that runs first in the first round
    (ours) would otherwise be the only one to read it from disk."""
    script = f"tar -cf - -C {shlex.quote(str(prefix))} . | cat > /dev/null"  # not -f /dev/null:
    # GNU tar then skips reading the files
    subprocess.run(["bash", "-c", script], check=True)


def check_readable(output: Path) -> None:
    """GNU tar reads the whole pack (listing it: extracting and deleting 16,000 files would
    slow the next bench's file creation, see benchlib)."""
    subprocess.run(["tar", "-tzf", str(output)], check=True, stdout=subprocess.DEVNULL)


def bench_env(kind: str, args) -> list[str]:
    """Run one env's rounds, print its table; return its verdict lines."""
    work = Path(args.work)
    settings, prefix = prepare_env(work, kind)
    files = sum(len(names) for _, _, names in os.walk(prefix))
    print(f"\n== {kind}: {prefix.name}, {tree_bytes(prefix) / 1e6:.0f} MB in {files} files "
          f"({load_note()})", flush=True)  # fmt: skip
    out = work / "pack-out" / kind
    out.mkdir(parents=True, exist_ok=True)
    runs = commands(settings, prefix, out, args.level, args.cli)
    results: dict[str, list[tuple[float, int, float]]] = {name: [] for name in runs}
    warm_page_cache(prefix)
    for round_number in range(args.runs):
        order = list(runs) if round_number % 2 == 0 else list(reversed(runs))
        for name in order:
            command, output = runs[name]
            results[name].append(timed(command, output))
            seconds, size, rss = results[name][-1]
            print(f"  run {round_number + 1} {name:5}: {seconds:7.2f} s  {size / 1e6:8.1f} MB"
                  f"  RSS {rss:6.0f} MB", flush=True)  # fmt: skip
    check_readable(runs["ours"][1])
    for name in ("ads", "floor", "cli"):
        if name in runs:
            runs[name][1].unlink(missing_ok=True)

    time_ = {n: median([t for t, _, _ in r]) for n, r in results.items()}
    size = {n: r[-1][1] for n, r in results.items()}
    rss = {n: max(m for _, _, m in r) for n, r in results.items()}
    print(f"{'':24}{'time':>9}{'size':>10}{'peak RSS':>10}{'/ADS':>7}{'/floor':>8}{'size/ADS':>9}")
    for name in runs:
        print(f"{LABELS[name]:24}{time_[name]:8.2f}s{size[name] / 1e6:8.1f}MB{rss[name]:8.0f}MB"
              f"{time_[name] / time_['ads']:7.2f}{time_[name] / time_['floor']:8.2f}"
              f"{size[name] / size['ads']:9.2f}")  # fmt: skip
    lines = [
        verdict(f"{kind} pack time vs ADS", time_["ours"] / time_["ads"], 0.2),
        verdict(f"{kind} pack time vs floor", time_["ours"] / time_["floor"], 1.3),
        verdict(f"{kind} pack size vs ADS", size["ours"] / size["ads"], 1.15),
    ]
    if kind == "large":
        lines.append(verdict("large pack peak RSS", rss["ours"], 300, " MB"))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default=",".join(KINDS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--level", type=int, default=DEFAULT_COMPRESS_LEVEL)
    parser.add_argument("--cli", action="store_true", help="also time the conda-pack CLI")
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench"))
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, {args.runs} runs each, medians; level {args.level}")
    lines = []
    for kind in args.envs.split(","):
        lines += bench_env(kind, args)
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
