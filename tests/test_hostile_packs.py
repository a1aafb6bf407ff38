"""Every pack of the hostile corpus, installed by the `conda-pack-ext install` command over a
real installed env of the same slug (with --overwrite): each ends within seconds, in bounded
memory (the command runs under a 1 GiB address-space limit and reports its peak), with a clean
one-paragraph error; nothing is written outside the staging folder, nothing is left behind,
and the env and its kernel stay as they were."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conda_pack_ext.errors import PackError
from conda_pack_ext.extract_rules import PackTooLarge
from conda_pack_ext.install import LocalFileSource, install_pack
from conda_pack_ext.kernels import kernels_dir
from conda_pack_ext.settings import load_settings
from tests.support.disks import small_tmpfs
from tests.support.hostile_packs import HOSTILE_PACKS, gzip_bomb, hostile_pack
from tests.support.packs import (  # noqa: F401 (session fixtures)
    packs_dir_fixture,
    python_pack_fixture,
)
from tests.test_install import PREFIX_REPORT, env_python

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
ADDRESS_SPACE_LIMIT = 1 << 30
PEAK_RSS_LIMIT_MB = 400
TIME_LIMIT = 60  # seconds; most cases end in about one (the machine is shared)
# Runs the command line under an address-space limit, then reports its peak memory: the
# high-water mark of its own memory (VmHWM), not ru_maxrss, which on Linux keeps the size of
# the process it was forked from (the test runner) across exec.
LIMITED_CLI = f"""\
import re, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE_LIMIT}, {ADDRESS_SPACE_LIMIT}))
from conda_pack_ext.cli import main
code = main(sys.argv[1:])
status = open("/proc/self/status").read()
print("peak-rss-kb", re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1), file=sys.stderr)
sys.exit(code)
"""
ABSOLUTE_ESCAPE = Path("/tmp/cpe-absolute-escape.txt")
# what the error says (the classes of tests.support.packs say "refused unsafe member")
EXPECTED_ERRORS = {
    "pax-negative-size": "size '-1536'",
    "gnu-negative-size": "invalid size -1536",
    "pax-header-negative-size": "invalid size -1536",
    "huge-size": "invalid size 1208925819614629174706176",
    "pax-huge-size": "size '9999",
    "pax-size-with-sign": "size '+2000'",
    "pax-8mb-path": "extended headers of more than 1048576 bytes",
    "gnu-8mb-long-name": "GNU long name of 8388609 bytes",
    "pax-header-chain": "extended headers of more than 1048576 bytes",
    "pax-global-flood": "extended headers of more than 1048576 bytes",
    "deep-path": "path more than 128 directories deep",
    "long-component": "path component of 304 bytes",
    "path-over-path-max": "over the file system's limit",
    "long-link-target": "name of 6000 bytes, over the file system's limit",
    "pax-mtime-1e300": "mtime '1e300'",
    "pax-mtime-nan": "mtime 'nan'",
    "pax-mtime-inf": "mtime 'inf'",
    "pax-mtime-negative-huge": "mtime '-1e300'",
    "gnu-mtime-huge": "invalid header",
    "pax-uid-huge": "uid '9999",
    "pax-gid-negative": "gid '-5'",
    "bad-checksum": "bad checksum",
    "truncated": "unexpected end of data",
    "gzip-bomb": "more than its limit of 1,073.7 MB (reached at member 'lib/zeros-0.bin')",
}


@dataclass
class InstalledEnv:
    base: Path  # holds the pack folder and nothing else
    folder: Path
    prefix: Path
    kernel_json: Path
    jupyter_data: str


@pytest.fixture(scope="module")
def installed(tmp_path_factory, python_pack) -> InstalledEnv:
    """A real env with its kernel, installed once for the whole corpus."""
    base = tmp_path_factory.mktemp("hostile")
    folder = base / "conda"
    result = install_pack(LocalFileSource(python_pack), load_settings(conda_pack_folder=folder))
    kernel_json = kernels_dir() / result["kernels"][0] / "kernel.json"
    return InstalledEnv(
        base, folder, Path(result["prefix"]), kernel_json, os.environ["JUPYTER_DATA_DIR"]
    )


def tree(env: InstalledEnv) -> dict[str, tuple]:
    """Every path beside and in the pack folder with its kind, size and mtime; lock files
    aside, and the pack folder's mtime, which its staging folders change."""
    entries = {}
    for root, dirs, files in os.walk(env.base):
        for name in dirs + files:
            path = os.path.join(root, name)
            if "/.locks" in path:
                continue
            info = os.lstat(path)
            mtime = 0 if path == str(env.folder) else info.st_mtime_ns
            entries[os.path.relpath(path, env.base)] = (info.st_mode, info.st_size, mtime)
    return entries


def install_limited(pack: Path, env: InstalledEnv, ads_config: Path) -> tuple[int, str, float]:
    """Install `pack` over the env with the command line, in its own limited process:
    (exit code, stderr, seconds). Fails the test if it runs out of time."""
    command = [sys.executable, "-c", LIMITED_CLI, "install", "-u", str(pack), "--overwrite"]
    command += ["--conda-pack-folder", str(env.folder)]
    environ = dict(os.environ, PYTHONPATH=str(REPO), JUPYTER_DATA_DIR=env.jupyter_data)
    environ["ADS_OPS_CONFIG_DIR"] = str(ads_config)
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=environ, timeout=TIME_LIMIT
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"installing {pack.name} did not end within {TIME_LIMIT} s")
    return done.returncode, done.stderr, time.monotonic() - started


def assert_refused_cleanly(code: int, stderr: str) -> str:
    """The command failed with one of our errors (no traceback), in bounded memory; returns
    the error."""
    assert code == 1, stderr
    assert "Traceback" not in stderr and "MemoryError" not in stderr, stderr
    (error,) = [line for line in stderr.splitlines() if line.startswith("error: ")]
    peak_mb = int(stderr.rsplit("peak-rss-kb ", 1)[1].split()[0]) / 1024
    assert peak_mb < PEAK_RSS_LIMIT_MB, stderr
    return error


@pytest.mark.parametrize("kind", HOSTILE_PACKS)
def test_hostile_pack_is_refused_and_changes_nothing(tmp_path, installed, kind):
    pack = hostile_pack(tmp_path / "testenv_v1_0.tar.gz", kind)
    before = tree(installed)
    kernel_before = installed.kernel_json.read_text()

    code, stderr, _ = install_limited(pack, installed, tmp_path / "ads_ops")

    error = assert_refused_cleanly(code, stderr)
    assert EXPECTED_ERRORS.get(kind, "refused unsafe member") in error
    assert tree(installed) == before  # no leftovers, nothing written, env untouched
    assert installed.kernel_json.read_text() == kernel_before
    assert not ABSOLUTE_ESCAPE.exists()


def test_env_still_works_after_the_corpus(installed):
    assert json.loads(env_python(installed.prefix, PREFIX_REPORT)) == [str(installed.prefix)] * 4


def test_configured_limit_is_enforced_while_writing(tmp_path, installed):
    """Small files under the limit each, over it together: refused when the total passes
    it, before the next file is written."""
    ads_config = tmp_path / "ads_ops"
    (ads_config / "config.ini").write_text("[CONDA_PACK_EXT]\nmax_unpacked_size_gb = 0.02\n")
    pack = tmp_path / "testenv_v1_0.tar.gz"
    pack.write_bytes(gzip_bomb(64 << 20, files=64))
    before = tree(installed)
    code, stderr, _ = install_limited(pack, installed, ads_config)
    error = assert_refused_cleanly(code, stderr)
    assert "more than its limit of 20.0 MB" in error and "zeros-19.bin" in error
    assert "max_unpacked_size_gb" in stderr  # the hint
    assert tree(installed) == before


def test_limit_is_a_parameter_of_install(tmp_path):
    pack = tmp_path / "big_v1.tar.gz"
    pack.write_bytes(gzip_bomb(8 << 20, files=8))
    folder = tmp_path / "conda"
    settings = load_settings(conda_pack_folder=folder)
    with pytest.raises(PackTooLarge, match="more than its limit of 4.2 MB"):
        install_pack(LocalFileSource(pack), settings, max_unpacked_bytes=4 << 20)
    assert [p.name for p in folder.iterdir() if p.name != ".locks"] == []


def test_pack_larger_than_the_free_space_is_refused_before_filling_it(tmp_path):
    pack = tmp_path / "big_v1.tar.gz"
    pack.write_bytes(gzip_bomb(64 << 20, files=4))
    with small_tmpfs(tmp_path / "small", "8m") as disk:
        settings = load_settings(conda_pack_folder=disk / "conda")
        with pytest.raises(PackError, match="no space left on the device for this pack") as e:
            install_pack(LocalFileSource(pack), settings)
        assert "zeros-0.bin" in e.value.message  # refused before its first big file
        assert [p.name for p in (disk / "conda").iterdir() if p.name != ".locks"] == []
