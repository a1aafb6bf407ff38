"""`pack`: real packs of real environments, unpacked elsewhere and relocated by conda-unpack."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import yaml

from conda_pack_ext.cli import main
from conda_pack_ext.create import create_env
from conda_pack_ext.errors import BuildFailed, Cancelled, Conflict, InvalidInput, NotFound
from conda_pack_ext.manifest import read_manifest
from conda_pack_ext.pack import find_pack, pack_env, pack_info, pack_path
from conda_pack_ext.progress import Progress
from tests.support.channel import TEST_APP, TEST_LIB, package_cache_for
from tests.support.disks import small_tmpfs
from tests.support.envfiles import settings_for, write_env_file
from tests.support.progress import RecordingProgress

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(conda_channel, tmp_path_factory):
    """One environment for the module (python and the prefix-writing test packages)."""
    root = tmp_path_factory.mktemp("pack")
    settings = settings_for(root / "conda")
    path = write_env_file(root, "Pack Test", [conda_channel], ["python", TEST_APP])
    created = create_env(settings, path, no_kernel=True)
    return settings, created["slug"], Path(created["prefix"])


@pytest.fixture(scope="module")
def packed(env):
    """The module env packed through the CLI with --json."""
    settings, slug, _ = env
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            ["--ads-config", settings.ads_config_dir, "pack", "-s", slug,
             "--conda-pack-folder", str(settings.pack_folder), "--json"]
        )  # fmt: skip
    assert code == 0
    return json.loads(out.getvalue())


def test_cli_json_answer(env, packed):
    settings, slug, _ = env
    assert set(packed) == {"slug", "pack_path", "sha256", "size"}
    path = Path(packed["pack_path"])
    assert path == pack_path(settings, slug) == settings.pack_folder / ".packs" / f"{slug}.tar.gz"
    assert packed["size"] == path.stat().st_size
    assert packed["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_checksum_recorded_in_manifest_and_sidecar(env, packed):
    settings, slug, prefix = env
    manifest = read_manifest(prefix)["manifest"]
    assert manifest["sha256"] == packed["sha256"]
    assert manifest["size_mb"] == round(packed["size"] / 2**20, 2)
    sidecar = json.loads(Path(packed["pack_path"] + ".json").read_text())
    assert sidecar["sha256"] == packed["sha256"] and sidecar["size"] == packed["size"]
    assert pack_info(settings, slug)["current"] is True
    assert find_pack(settings, slug) == Path(packed["pack_path"])


def test_tarball_holds_manifest_and_conda_unpack(env, packed):
    _, slug, _ = env
    with tarfile.open(packed["pack_path"], "r:gz") as archive:  # Python's reader
        names = set(archive.getnames())
        manifest = yaml.safe_load(archive.extractfile(f"{slug}_manifest.yaml").read())
    assert {"bin/conda-unpack", "bin/python", f"{slug}_manifest.yaml"} <= names
    assert manifest["manifest"]["slug"] == slug
    # a tarball cannot carry its own checksum
    assert "sha256" not in manifest["manifest"] and "size_mb" not in manifest["manifest"]


def test_unpacked_elsewhere_relocates(packed, tmp_path):
    target = tmp_path / "moved env"
    target.mkdir()
    subprocess.run(["tar", "xzf", packed["pack_path"], "-C", str(target)], check=True)
    clean = {"PATH": os.environ["PATH"]}
    subprocess.run([str(target / "bin" / "python"), str(target / "bin" / "conda-unpack")],
                   check=True, env=clean)  # fmt: skip
    code = (
        "import sys, cpe_testlib, cpe_testapp; "
        "print(sys.prefix); print(cpe_testlib.text_prefix()); print(cpe_testlib.binary_prefix()); "
        "print(cpe_testapp.INSTALL_PREFIX)"
    )
    result = subprocess.run(
        [str(target / "bin" / "python"), "-c", code], capture_output=True, text=True, env=clean
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(target)] * 4


def test_existing_current_pack_needs_overwrite(env, packed):
    settings, slug, _ = env
    with pytest.raises(Conflict, match="already exists"):
        pack_env(settings, slug)
    again = pack_env(settings, slug, overwrite=True)
    assert Path(again["pack_path"]).stat().st_size == again["size"]
    assert read_manifest(env[2])["manifest"]["sha256"] == again["sha256"]


def test_rebuilt_env_makes_the_pack_stale(conda_channel, tmp_path):
    settings = settings_for(tmp_path / "conda")
    path = write_env_file(tmp_path, "stale", [conda_channel], [TEST_LIB])
    slug = create_env(settings, path, no_kernel=True)["slug"]
    pack_env(settings, slug, compress_level=1)
    create_env(settings, path, overwrite=True, no_kernel=True)
    assert find_pack(settings, slug) is None
    assert pack_info(settings, slug)["current"] is False
    replaced = pack_env(settings, slug)  # a stale pack is replaced without --overwrite
    assert find_pack(settings, slug) == Path(replaced["pack_path"])


def test_files_clobbered_by_pip_are_warnings(conda_channel, tmp_path):
    settings = settings_for(tmp_path / "conda")
    path = write_env_file(tmp_path, "clobbered", [conda_channel], [TEST_LIB])
    created = create_env(settings, path, no_kernel=True)
    (Path(created["prefix"]) / f"share/{TEST_LIB}/prefix.txt").unlink()
    result = pack_env(settings, created["slug"])
    assert any(f"share/{TEST_LIB}/prefix.txt" in w for w in result["warnings"])
    with tarfile.open(result["pack_path"]) as archive:
        assert f"share/{TEST_LIB}/prefix.bin" in archive.getnames()


class CancelWhilePacking(Progress):
    def advance(self, amount: float = 1) -> None:
        super().advance(amount)
        if self.done > 1_000_000:
            self.cancel_event.set()


def test_partial_pack_file_is_reported(env):
    settings, slug, _ = env
    progress = RecordingProgress()
    packed = pack_env(settings, slug, overwrite=True, progress=progress)
    (partial,) = progress.temp_paths
    assert partial.parent == Path(packed["pack_path"]).parent
    assert partial.name.startswith(f".{slug}.tar.gz.") and partial.name.endswith(".part")
    assert not partial.exists()


def test_cancel_leaves_no_pack(env):
    settings, slug, _ = env
    before = sorted(os.listdir(settings.pack_folder / ".packs"))
    with pytest.raises(Cancelled):
        pack_env(settings, slug, overwrite=True, progress=CancelWhilePacking())
    assert sorted(os.listdir(settings.pack_folder / ".packs")) == before


def test_bad_requests(env, tmp_path):
    settings, slug, _ = env
    with pytest.raises(InvalidInput, match="invalid slug"):
        pack_env(settings, "../etc")
    with pytest.raises(NotFound, match="no environment"):
        pack_env(settings, "absent_v1_0")
    with pytest.raises(InvalidInput, match="out of range"):
        pack_env(settings, slug, compress_level=12)


def test_full_disk_is_a_clear_error(env, tmp_path):
    settings, slug, _ = env
    with small_tmpfs(tmp_path / "small", "4m") as small:
        # the env stays where it is; only the packs folder is on the small disk
        packs = settings.pack_folder / ".packs"
        os.rename(packs, tmp_path / "packs-aside")
        packs.symlink_to(small)
        try:
            with pytest.raises(BuildFailed, match="disk is full"):
                pack_env(settings, slug, overwrite=True)
            assert os.listdir(small) == []
        finally:
            packs.unlink()
            os.rename(tmp_path / "packs-aside", packs)


def test_cleaned_package_cache_entry_is_a_clear_error(conda_channel, tmp_path, monkeypatch):
    # a private copy of the channel's package cache (hard links), so that cleaning it here
    # leaves the cache of every other test intact
    cache = tmp_path / "package-cache"
    shutil.copytree(package_cache_for(conda_channel), cache, symlinks=True, copy_function=os.link)
    monkeypatch.setenv("RATTLER_CACHE_DIR", str(cache))
    settings = settings_for(tmp_path / "conda")
    path = write_env_file(tmp_path, "cleaned", [conda_channel], ["python", TEST_LIB])
    created = create_env(settings, path, no_kernel=True)
    (record,) = Path(created["prefix"]).glob(f"conda-meta/{TEST_LIB}-*.json")
    entry = Path(json.loads(record.read_text())["link"]["source"])
    assert entry.is_relative_to(cache)

    # a cleaner that kept the entry's metadata but removed its files
    for item in entry.iterdir():
        if item.name != "info":
            shutil.rmtree(item)
    with pytest.raises(BuildFailed) as failed:
        pack_env(settings, created["slug"])
    message = str(failed.value)
    assert f"package cache entry of {TEST_LIB}" in message and str(entry) in message
    assert "conda-pack-ext create -o" in message and "No such file" not in message
    assert os.listdir(settings.pack_folder / ".packs") == []

    # an entry removed whole: conda-pack packs the env's own files and says so
    shutil.rmtree(entry)
    packed = pack_env(settings, created["slug"])
    assert Path(packed["pack_path"]).is_file()
    assert any(TEST_LIB in warning for warning in packed["warnings"])


def test_a_pack_killed_outright_leaves_a_part_file_that_the_next_pack_removes(env):
    settings, slug, _ = env
    packs = settings.pack_folder / ".packs"
    command = [sys.executable, "-m", "conda_pack_ext", "--ads-config", settings.ads_config_dir,
               "pack", "-s", slug, "-o", "--compress-level", "9",
               "--conda-pack-folder", str(settings.pack_folder)]  # fmt: skip
    env_vars = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    packer = subprocess.Popen(command, env=env_vars, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(packs.glob(f".{slug}.tar.gz.{packer.pid}.part")):
        assert packer.poll() is None and time.monotonic() < deadline, "no .part appeared"
        time.sleep(0.02)
    packer.send_signal(signal.SIGKILL)
    packer.wait()
    (left,) = packs.glob(f".{slug}.tar.gz.*.part")
    with subprocess.Popen(["sleep", "60"]) as alive:  # a .part whose writer still runs
        alive_part = packs / f".{slug}.tar.gz.{alive.pid}.part"
        alive_part.write_bytes(b"being written")
        progress = RecordingProgress()
        pack_env(settings, slug, overwrite=True, progress=progress)
        alive.kill()
    assert not left.exists()
    assert any(left.name in line for line in progress.lines)
    assert alive_part.exists()
    alive_part.unlink()
