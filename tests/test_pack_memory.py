"""Packing large files no conda package owns (pip's CUDA libraries in a GPU env) takes memory
bounded by buffers, not by the size of the largest file, and packs them as conda-pack does."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tracemalloc
from pathlib import Path

import pytest

from conda_pack_ext.create import create_env
from conda_pack_ext.pack import pack_env
from tests.support.channel import SITE_PACKAGES, TEST_LIB
from tests.support.envfiles import settings_for, write_env_file

pytestmark = pytest.mark.slow

LIBRARY_MB = 96


def test_large_unowned_files_are_streamed(conda_channel, tmp_path):
    settings = settings_for(tmp_path / "conda")
    path = write_env_file(tmp_path, "gpu-like", [conda_channel], [TEST_LIB])
    created = create_env(settings, path, no_kernel=True)
    prefix = Path(created["prefix"])
    library = prefix / SITE_PACKAGES / "nvidia_like" / "libhuge.so"
    library.parent.mkdir(parents=True)
    with open(library, "wb") as file:
        for _ in range(LIBRARY_MB):
            file.write(os.urandom(1 << 20))
    library_sha256 = hashlib.sha256(library.read_bytes()).hexdigest()
    notes = prefix / "share" / "big-notes" / "paths.txt"  # text holding the prefix, > 1 MB
    notes.parent.mkdir(parents=True)
    notes.write_text(f"installed in {prefix}\n" * (2_000_000 // (len(str(prefix)) + 14)))

    tracemalloc.start()
    try:
        result = pack_env(settings, created["slug"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # about 40 MB go to the env's file list and the lock, whatever the size of its files
    assert peak < (LIBRARY_MB << 20) * 2 // 3, (
        f"packing a {LIBRARY_MB} MB file held {peak >> 20} MB"
    )

    # tar reads the pack, and conda-unpack relocates the text file elsewhere
    target = tmp_path / "moved"
    target.mkdir()
    subprocess.run(["tar", "xzf", result["pack_path"], "-C", str(target)], check=True)
    subprocess.run([str(target / "bin" / "python"), str(target / "bin" / "conda-unpack")],
                   check=True, env={"PATH": os.environ["PATH"]})  # fmt: skip
    moved_library = target / library.relative_to(prefix)
    assert hashlib.sha256(moved_library.read_bytes()).hexdigest() == library_sha256
    moved_notes = (target / notes.relative_to(prefix)).read_text()
    assert moved_notes.startswith(f"installed in {target}\n")
    assert str(prefix) not in moved_notes
