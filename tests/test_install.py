"""Installing real packs (from the local test channel, packed by conda-pack) through the CLI
and the core: relocation, checksums, overwrite, locking, plain conda-pack packs, uninstall
and list."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from conda_pack_ext.cleanup import clean_pack_folder
from conda_pack_ext.errors import Conflict, InvalidInput, PackError
from conda_pack_ext.extract import UnsafeMember
from conda_pack_ext.install import LocalFileSource, install_pack
from conda_pack_ext.kernels import kernels_dir
from conda_pack_ext.local_envs import list_local
from conda_pack_ext.settings import load_settings
from tests.support.channel import TEST_APP, TEST_LIB
from tests.support.cli import cli_error, cli_json, cli_run
from tests.support.disks import small_tmpfs
from tests.support.packs import (  # noqa: F401 (session fixtures)
    bare_pack_fixture,
    hostile_tarball,
    packs_dir_fixture,
    plain_pack_fixture,
    python_pack_fixture,
    tiny_pack,
)
from tests.support.progress import RecordingProgress

pytestmark = pytest.mark.slow


def env_python(prefix: Path, code: str) -> str:
    """Run code with the env's own python (as a kernel would) and return its output."""
    result = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


PREFIX_REPORT = (
    "import json, sys, {lib}, {app}; print(json.dumps([sys.prefix, {app}.INSTALL_PREFIX, "
    "{lib}.text_prefix(), {lib}.binary_prefix()]))"
).format(lib=TEST_LIB.replace("-", "_"), app=TEST_APP.replace("-", "_"))


def folder_entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != ".locks")


def test_install_relocates_into_another_folder(tmp_path, capsys, python_pack):
    folder = tmp_path / "other place" / "conda"
    result = cli_json(capsys, "install", "-u", str(python_pack), "--conda-pack-folder", str(folder))
    prefix = folder / "testenv_v1_0"
    assert result["slug"] == "testenv_v1_0"
    assert result["prefix"] == str(prefix)
    assert "conda-pack-testenv_v1_0" in result["kernels"]
    assert json.loads(env_python(prefix, PREFIX_REPORT)) == [str(prefix)] * 4
    assert folder_entries(folder) == ["testenv_v1_0"]
    assert oct(prefix.stat().st_mode & 0o777) == oct(0o755)

    manifest = yaml.safe_load((prefix / "testenv_v1_0_manifest.yaml").read_text())["manifest"]
    assert manifest["pack_uri"] == str(python_pack)
    assert manifest["sha256"] == hashlib.sha256(python_pack.read_bytes()).hexdigest()
    assert manifest["python"] == env_python(
        prefix, "import platform; print(platform.python_version())"
    )


def test_file_url_and_matching_sha256(tmp_path, capsys, python_pack):
    digest = hashlib.sha256(python_pack.read_bytes()).hexdigest()
    folder = tmp_path / "conda"
    result = cli_json(
        capsys,
        "install",
        "-u",
        python_pack.as_uri(),
        "--sha256",
        digest.upper(),
        "--conda-pack-folder",
        str(folder),
        "--no-kernel",
    )
    assert result["sha256"] == digest
    assert result["kernels"] == []
    assert not kernels_dir().exists() or not list(kernels_dir().iterdir())


def test_sha256_mismatch_is_refused(tmp_path, capsys, python_pack):
    folder = tmp_path / "conda"
    error = cli_error(
        capsys, "install", "-u", str(python_pack), "--sha256", "0" * 64,
        "--conda-pack-folder", str(folder),
    )  # fmt: skip
    assert "checksum mismatch" in error
    assert folder_entries(folder) == []


def test_existing_slug_needs_overwrite(tmp_path, capsys, python_pack):
    folder = tmp_path / "conda"
    cli_json(capsys, "install", "-u", str(python_pack), "--conda-pack-folder", str(folder))
    error = cli_error(capsys, "install", "-u", str(python_pack), "--conda-pack-folder", str(folder))
    assert "already installed" in error and "--overwrite" in error
    result = cli_json(
        capsys, "install", "-u", str(python_pack), "--conda-pack-folder", str(folder), "-o"
    )
    assert result["overwritten"] is True
    assert folder_entries(folder) == ["testenv_v1_0"]
    assert json.loads(env_python(folder / "testenv_v1_0", PREFIX_REPORT))[0] == str(
        folder / "testenv_v1_0"
    )


def test_failed_overwrite_keeps_the_old_env(tmp_path, python_pack):
    folder = tmp_path / "conda"
    settings = load_settings(conda_pack_folder=str(folder))
    installed = install_pack(LocalFileSource(python_pack), settings)
    prefix = Path(installed["prefix"])
    kernel_json = kernels_dir() / installed["kernels"][0] / "kernel.json"
    before = kernel_json.read_text()

    # a pack of the same slug whose prefix records cannot be read as data
    failing = tiny_pack(
        tmp_path / "testenv_v1_0.tar.gz", "testenv_v1_0", "import sys\nsys.exit('no space')\n"
    )
    with pytest.raises(InvalidInput, match="no prefix records"):
        install_pack(LocalFileSource(failing), settings, overwrite=True)
    # a hostile pack
    hostile = hostile_tarball(tmp_path / "hostile.tar.gz", "symlink-escape")
    with pytest.raises(UnsafeMember):
        install_pack(LocalFileSource(hostile), settings, overwrite=True)

    assert folder_entries(folder) == ["testenv_v1_0"]
    assert json.loads(env_python(prefix, PREFIX_REPORT)) == [str(prefix)] * 4
    assert kernel_json.read_text() == before


def test_overwrite_never_replaces_a_folder_that_is_not_an_env(tmp_path, capsys):
    folder = tmp_path / "home"
    (folder / "Documents").mkdir(parents=True)
    (folder / "Documents" / "notes.txt").write_text("mine")
    (folder / "link").symlink_to(folder / "Documents")
    for slug in ("Documents", "link"):
        pack = tiny_pack(tmp_path / "mypack_v1.tar.gz", slug)
        error = cli_error(
            capsys, "install", "-u", str(pack), "-o", "--conda-pack-folder", str(folder)
        )
        assert f"{folder / slug} exists and is not a conda environment" in error
    assert (folder / "Documents" / "notes.txt").read_text() == "mine"
    assert folder_entries(folder) == ["Documents", "link"]


def test_pack_named_unlike_its_slug_is_reported(tmp_path, capsys):
    folder = tmp_path / "conda"
    pack = tiny_pack(tmp_path / "other_v2.tar.gz", "tiny_v1")
    for uri in (str(pack), pack.as_uri()):
        result, err = cli_run(
            capsys, "install", "-u", uri, "-o", "--conda-pack-folder", str(folder)
        )
        assert result["slug"] == "tiny_v1"
        (warning,) = [w for w in result["warnings"] if "other_v2" in w]
        assert "'other_v2.tar.gz'" in warning and "'tiny_v1'" in warning
        assert warning in err
    named = tiny_pack(tmp_path / "tiny_v1.tar.gz", "tiny_v1")
    result = cli_json(capsys, "install", "-u", str(named), "-o", "--conda-pack-folder", str(folder))
    assert not [w for w in result["warnings"] if "manifest's slug" in w]


def test_concurrent_installs_of_one_slug_end_in_one_env(tmp_path, python_pack):
    folder = tmp_path / "conda"
    settings = load_settings(conda_pack_folder=str(folder))
    outcomes = []

    def install():
        try:
            outcomes.append(install_pack(LocalFileSource(python_pack), settings))
        except Conflict as error:
            outcomes.append(error)

    threads = [threading.Thread(target=install) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    installed = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(installed) == 1 and len(refused) == 1
    assert "already installed" in refused[0].message
    assert folder_entries(folder) == ["testenv_v1_0"]
    assert json.loads(env_python(folder / "testenv_v1_0", PREFIX_REPORT))[0] == str(
        folder / "testenv_v1_0"
    )


def test_install_waits_for_the_slug_lock(tmp_path):
    folder = tmp_path / "conda"
    (folder / ".locks").mkdir(parents=True)
    pack = tiny_pack(tmp_path / "tiny_v1.tar.gz", "tiny_v1")
    progress = RecordingProgress()
    result = {}
    with open(folder / ".locks" / "tiny_v1.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        worker = threading.Thread(
            target=lambda: result.update(
                install_pack(
                    LocalFileSource(pack),
                    load_settings(conda_pack_folder=str(folder)),
                    progress=progress,
                )
            )
        )
        worker.start()
        time.sleep(1.0)
        assert not (folder / "tiny_v1").exists()
    worker.join(timeout=30)
    assert result["waited"] is True
    assert any("waiting for another operation" in line for line in progress.lines)
    assert (folder / "tiny_v1" / "share" / "tiny" / "data.txt").is_file()
    # the staging folder was reported (a job runner removes it if the process dies)
    (staging,) = progress.temp_paths
    assert staging.parent == folder and staging.name.startswith(".tiny_v1.installing-")
    assert not staging.exists()


def test_plain_conda_pack_installs_with_a_written_manifest(tmp_path, capsys, plain_pack):
    folder = tmp_path / "conda"
    result, err = cli_run(
        capsys, "install", "-u", str(plain_pack), "--conda-pack-folder", str(folder)
    )
    assert "no *_manifest.yaml" in err
    prefix = folder / "plainenv_v2_1"
    assert result["slug"] == "plainenv_v2_1"
    document = yaml.safe_load((prefix / "plainenv_v2_1_manifest.yaml").read_text())
    manifest = document["manifest"]
    assert (manifest["name"], manifest["version"]) == ("plainenv", "2.1")
    assert manifest["python"] == env_python(
        prefix, "import platform; print(platform.python_version())"
    )
    assert manifest["pack_uri"] == str(plain_pack)
    assert json.loads(env_python(prefix, PREFIX_REPORT)) == [str(prefix)] * 4


def test_uninstall_removes_env_and_kernels_and_list_reports(tmp_path, capsys, python_pack):
    folder = tmp_path / "conda"
    installed = cli_json(
        capsys, "install", "-u", str(python_pack), "--conda-pack-folder", str(folder)
    )
    listed = cli_json(capsys, "list", "--conda-pack-folder", str(folder))
    assert [entry["slug"] for entry in listed] == ["testenv_v1_0"]
    entry = listed[0]
    assert entry["name"] == "testenv" and entry["version"] == "1.0"
    assert entry["kernels"] == sorted(installed["kernels"])
    assert entry["pack_uri"] == str(python_pack)
    assert {"python", "arch_type", "size_mb", "prefix"} <= set(entry)

    removed = cli_json(
        capsys, "uninstall", "-s", "testenv_v1_0", "--conda-pack-folder", str(folder)
    )
    assert sorted(removed["kernels"]) == sorted(installed["kernels"])
    assert folder_entries(folder) == []
    assert all(not (kernels_dir() / name).exists() for name in installed["kernels"])
    assert cli_json(capsys, "list", "--local", "--conda-pack-folder", str(folder)) == []
    error = cli_error(capsys, "uninstall", "-s", "testenv_v1_0", "--conda-pack-folder", str(folder))
    assert "not installed" in error


def test_env_without_ipykernel_gets_no_kernel(tmp_path, capsys, bare_pack):
    folder = tmp_path / "conda"
    result, err = cli_run(
        capsys, "install", "-u", str(bare_pack), "--conda-pack-folder", str(folder)
    )
    assert "no kernel: add ipykernel to the environment file" in err
    assert result["kernels"] == []
    assert not kernels_dir().exists() or not list(kernels_dir().iterdir())


def test_bad_arguments_are_refused(tmp_path, capsys):
    assert "not found" in cli_error(capsys, "install", "-u", str(tmp_path / "missing.tar.gz"))
    assert "bad sha256" in cli_error(
        capsys, "install", "-u", __file__, "--sha256", "xyz", "--conda-pack-folder", str(tmp_path)
    )
    assert "invalid slug" in cli_error(capsys, "uninstall", "-s", "../etc")


def test_leftovers_of_a_killed_install_are_cleaned_up(tmp_path):
    folder = tmp_path / "conda"
    finished = subprocess.Popen(["true"])
    finished.wait()
    dead = finished.pid  # a process id that no longer runs
    staging = folder / f".half_v1.installing-{dead}-x1"
    (staging / "conda-meta").mkdir(parents=True)
    aside = folder / f".old_v1.previous-{dead}-1"
    (aside / "conda-meta").mkdir(parents=True)
    running = folder / f".busy_v1.installing-{os.getpid()}-x2"
    running.mkdir()
    settings = load_settings(conda_pack_folder=str(folder))
    clean_pack_folder(settings)
    listed = list_local(settings)
    assert [entry["slug"] for entry in listed] == ["old_v1"]  # the old env was put back
    assert not staging.exists()
    assert running.is_dir()  # its process still runs


def test_full_disk_is_a_clear_error_and_keeps_the_old_env(tmp_path, python_pack):
    # 24 MB: room for a small env, not for the test python (about 130 MB installed)
    with small_tmpfs(tmp_path / "small", "24m") as disk:
        settings = load_settings(conda_pack_folder=str(disk / "conda"))
        old = tiny_pack(tmp_path / "testenv_v1_0.tar.gz", "testenv_v1_0")
        install_pack(LocalFileSource(old), settings)
        with pytest.raises(PackError, match="no space left") as failed:
            install_pack(LocalFileSource(python_pack), settings, overwrite=True)
        assert "Traceback" not in str(failed.value)
        assert folder_entries(disk / "conda") == ["testenv_v1_0"]  # no staging folder left
        data = disk / "conda" / "testenv_v1_0" / "share" / "tiny" / "data.txt"
        assert data.read_text() == "tiny\n"
        assert not kernels_dir().exists() or not list(kernels_dir().iterdir())
