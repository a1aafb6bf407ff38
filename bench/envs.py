"""The three benchmark envs, built once and reused (under `<work>/conda/<slug>`):

  base   python plus `cpe-large` (real numpy/scipy/pandas files, replicated to `size_mb`):
         about 650 MB in 16,000 files, 25 files per MB, no large file.
  files  python plus about 20,000 small real files (the source, data and metadata files of
         this project's virtual environment, 1-48 KB each): a file-heavy env of >= 40 files
         per MB and <= 25 KB per file, like a numpy/pandas/sklearn stack.
  large  the base env plus twelve 220 MB shared libraries in lib/, like a GPU pack: >= 3 GB.

The extra files of `files` and `large` are added to the built env as pip adds its files:
no conda package owns them, and conda-pack and ADS pack them as they are. The libraries
hold real bytes written once (no sparse files): each 1 MiB block is 256 KiB of random bytes
followed by 768 KiB cut from the env's own shared libraries, so that they compress about as
much as real ones (about 1.6x at our level) and the pack reads every byte from disk.
A file `.bench-complete` in the prefix records that the extras were written to the end.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from benchlib import prepare

KINDS = ("base", "files", "large")
SMALL_FILES = 20_000
SMALL_FILE_BYTES = (1024, 48 * 1024)
LIBRARIES = 12
LIBRARY_MB = 220
COMPLETE = ".bench-complete"


def prepare_env(work: Path, kind: str, size_mb: int = 300):
    """(settings, prefix) of the benchmark env `kind` (see the module docstring), built
    once; the prefix's name is the env's slug."""
    if kind not in KINDS:
        raise SystemExit(f"unknown env {kind!r}: use one of {', '.join(KINDS)}")
    name = {"base": "bench", "files": "benchfiles", "large": "benchlarge"}[kind]
    settings, prefix = prepare(work, size_mb, name=name, large=kind != "files")
    marker = prefix / COMPLETE
    wanted = _recipe(kind)
    if kind != "base" and (not marker.exists() or marker.read_text() != wanted):
        if kind == "files":
            _add_small_files(prefix / "share" / "cpe-files")
        else:
            _add_libraries(prefix)
        marker.write_text(wanted)
    return settings, prefix


def _recipe(kind: str) -> str:
    if kind == "files":
        return f"files {SMALL_FILES} {SMALL_FILE_BYTES}\n"
    return f"libraries {LIBRARIES} x {LIBRARY_MB} MB\n"


def _add_small_files(target: Path) -> None:
    """Copy up to SMALL_FILES files of 1-48 KB from this interpreter's site-packages, in
    a stable order, keeping their relative paths."""
    shutil.rmtree(target, ignore_errors=True)
    source = Path(next(p for p in sys.path if p.endswith("site-packages")))
    low, high = SMALL_FILE_BYTES
    copied = 0
    for root, folders, files in os.walk(source):
        folders.sort()
        for name in sorted(files):
            path = Path(root, name)
            if path.is_symlink() or not low <= path.stat().st_size <= high:
                continue
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            copied += 1
            if copied == SMALL_FILES:
                return


def _add_libraries(prefix: Path) -> None:
    """Write LIBRARIES files of LIBRARY_MB MB each into lib/ (see the module docstring)."""
    real = b"".join(path.read_bytes()[: 8 << 20] for path in sorted(prefix.rglob("*.so"))[:40])
    random_part, real_part = 256 << 10, 768 << 10
    for number in range(LIBRARIES):
        path = prefix / "lib" / f"libcpe-gpu-{number}.so"
        with open(path, "wb") as file:
            offset = number * 7919
            for _ in range(LIBRARY_MB):
                file.write(os.urandom(random_part))
                start = offset % max(1, len(real) - real_part)
                file.write(real[start : start + real_part])
                offset += real_part + 4099
