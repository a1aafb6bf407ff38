"""What the benchmarks share: the benchmark env, timing, folders for installs, verdicts.

File-system note. These machines run ext4 without a journal, where the kernel skips inodes
deleted in the last minute (six minutes once their inode table block is written again)
when it allocates new ones, scanning past each of them: creating 16,000 files after
deleting as many takes 5-20 s instead of about one. Whichever run followed a deletion would
lose. So installs go into fresh folders, trees are deleted only after the timed runs
(`remove_trees`, which records when), and a bench that creates many files first waits
until earlier deletions are old enough (`wait_after_deletions`, BENCH_SETTLE_SECONDS,
default 400). Other users of the machine still add noise: compare medians.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from conda_pack_ext.create import create_env  # noqa: E402
from conda_pack_ext.settings import Settings  # noqa: E402
from tests.support.channel import (  # noqa: E402
    build_channel,
    build_large_package,
    package_cache_for,
)

SLUG = "bench_v1_0"
CACHE = REPO / ".cache"
DELETIONS_MARK = CACHE / "bench-deleted-at"
# The kernel skips inodes deleted less than 60 s ago, or 360 s when their inode table block
# is dirty, which allocating a neighbour makes it: wait out the longer span, and a margin.
MANY_FILES = 1000
SETTLE_SECONDS = float(os.environ.get("BENCH_SETTLE_SECONDS", 400))


def prepare(
    work: Path, size_mb: int, name: str = "bench", large: bool = True
) -> tuple[Settings, Path]:
    """The benchmark env `name` (python plus, if `large`, `cpe-large`: at least `size_mb` MB
    of real files from the local test channel), built once and reused while the channel
    stays the same. Its slug is `<name>_v1_0`, the prefix's name.

    The package cache is the channel's own (RATTLER_CACHE_DIR, set for this process and
    the commands it starts): conda-pack reads prefix-bearing files back from the package
    cache, and a cache shared with other channel builds can be replaced under the env."""
    channel = build_channel()
    build_large_package(channel, size_mb)
    os.environ["RATTLER_CACHE_DIR"] = str(package_cache_for(channel))
    work = work.absolute()
    settings = Settings(conda_pack_folder=str(work / "conda"), ads_config_dir=str(work / "ads"))
    prefix = settings.pack_folder / f"{name}_v1_0"
    env_file = work / f"{name}.environment.yaml"
    packages = f"python, cpe-large={size_mb}" if large else "python"
    wanted = f"name: {name}\nchannels: [{channel}]\ndependencies: [{packages}]\n"
    current = env_file.read_text() if env_file.exists() else ""
    if current != wanted or not (prefix / f"{prefix.name}_manifest.yaml").exists():
        env_file.parent.mkdir(parents=True, exist_ok=True)
        env_file.write_text(wanted)
        create_env(settings, env_file, overwrite=True, no_kernel=True)
    return settings, prefix


def tree_bytes(folder: Path) -> int:
    return sum(
        os.lstat(os.path.join(root, name)).st_size
        for root, _, files in os.walk(folder)
        for name in files
    )


def run(command: list[str], env: dict | None = None) -> None:
    """Run a command to its end; its output is dropped, its errors are shown on failure."""
    result = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    if result.returncode:
        sys.stderr.write(result.stderr[-4000:])
        raise subprocess.CalledProcessError(result.returncode, command[:3])


def measured(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run a command to its end, as `run` does, and return (seconds, peak RSS in MB): the
    largest resident set of the command or of any process it waited for, as GNU time
    reports it (this process's own rusage of a child would count this process's size too:
    a vforked child's peak starts from its parent's)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        started = time.perf_counter()
        run(["/usr/bin/time", "-f", "%M", "-o", report.name, *command], env=env)
        seconds = time.perf_counter() - started
        kilobytes = int(report.read().split()[-1])
    return seconds, kilobytes / 1024


def timed(action) -> float:
    """Seconds `action()` takes, after writing back dirty pages (not timed), so that one
    run's writeback does not land in the next run's time."""
    os.sync()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


class Folders:
    """Fresh folders for the runs of one bench, deleted together by `remove`."""

    def __init__(self, base: Path):
        self.base = base
        self.made: list[Path] = []

    def new(self, label: str) -> Path:
        folder = self.base / f"{label}-{len(self.made)}-{time.time_ns()}"
        self.made.append(folder)
        return folder

    def remove(self) -> None:
        remove_trees([self.base])
        self.made.clear()


def remove_trees(paths) -> None:
    """Delete trees after the timed runs, and note when if they held many files (see the
    module docstring)."""
    removed = 0
    for path in paths:
        if Path(path).exists():
            removed += sum(len(files) for _, _, files in os.walk(path))
            shutil.rmtree(path, ignore_errors=True)
    if removed > MANY_FILES:
        os.sync()  # the kernel waits longer for dirty inode tables
        DELETIONS_MARK.parent.mkdir(parents=True, exist_ok=True)
        DELETIONS_MARK.write_text(f"{time.time()}\n")


def wait_after_deletions() -> None:
    """Wait until an earlier bench's deletions no longer slow file creation."""
    try:
        deleted_at = float(DELETIONS_MARK.read_text())
    except (OSError, ValueError):
        return
    wait = deleted_at + SETTLE_SECONDS - time.time()
    if wait > 0:
        print(f"(waiting {wait:.0f} s: a recent deletion would slow file creation)", flush=True)
        time.sleep(wait)


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(label: str, value: float, limit: float, unit: str = "x", below: bool = False) -> str:
    """One summary line: `target <label>: <value> (<= limit): met` or `NOT met`."""
    ok = value < limit if below else value <= limit
    sign = "<" if below else "<="
    return (
        f"target {label}: {value:.2f}{unit} ({sign} {limit:g}{unit}): {'met' if ok else 'NOT met'}"
    )


def load_note() -> str:
    """The machine's load averages (1, 5, 15 min), to print beside timings."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f}, {five:.1f}, {fifteen:.1f} on {os.cpu_count()} CPUs"
