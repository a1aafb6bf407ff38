"""A pack written by our tar writer holds the members that conda-pack's own writer (tarfile)
writes for the same env: the same names, types, modes, sizes, contents and link targets,
and the same conda-unpack records. GNU tar, tarfile, our install and conda-unpack read it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from collections import defaultdict
from pathlib import Path

import conda_pack
import pytest

from conda_pack_ext.create import create_env
from conda_pack_ext.install import LocalFileSource, install_pack
from conda_pack_ext.lock import LOCK_SUFFIX
from conda_pack_ext.pack import pack_env
from conda_pack_ext.sbom import SBOM_SUFFIX
from tests.support.channel import SITE_PACKAGES, TEST_APP, package_cache_for
from tests.support.envfiles import settings_for, write_env_file

pytestmark = pytest.mark.slow

UNOWNED = f"{SITE_PACKAGES}/pip_like"  # files no conda package owns, as pip installs them
LONG_NAME = f"{UNOWNED}/" + "a-long-module-name-" * 6 + ".py"  # > 100 bytes
DEEP_NAME = f"{UNOWNED}/" + "/".join(["ünïcödé-sub-folder"] * 14) + "/données.txt"  # > 255
SPARSE_SIZE = 9 * (1 << 20) + 5  # streamed from disk (over pack_stream.STREAM_ABOVE)
TEXT_RECORD = f"{UNOWNED}/installed-in.txt"


def add_unowned_files(prefix: Path) -> None:
    """What pip leaves in an env, with the names and kinds tar writers trip over."""
    files = {
        LONG_NAME: f"PREFIX = {str(prefix)!r}\n".encode(),
        DEEP_NAME: "é\n".encode(),
        TEXT_RECORD: f"installed in {prefix}\n".encode() * 3,
        f"{UNOWNED}/binary.so": b"\x7fELF\xff\xfe" + str(prefix).encode() + b"\x00" * 100,
        f"{UNOWNED}/empty.txt": b"",
        "bin/pip-like-tool": f"#!{prefix}/bin/python\nprint('tool')\n".encode(),
    }
    for name, data in files.items():
        (prefix / name).parent.mkdir(parents=True, exist_ok=True)
        (prefix / name).write_bytes(data)
    (prefix / "bin/pip-like-tool").chmod(0o755)
    (prefix / f"{UNOWNED}/empty-folder").mkdir()
    os.symlink("binary.so", prefix / f"{UNOWNED}/link-to-file.so")
    os.symlink("ünïcödé-sub-folder", prefix / f"{UNOWNED}/link-to-folder")
    os.symlink("nowhere", prefix / f"{UNOWNED}/dangling")
    with open(prefix / f"{UNOWNED}/sparse.bin", "wb") as sparse:
        sparse.write(b"\xff\xfe binary")
        sparse.truncate(SPARSE_SIZE)


def hard_link_equal_files(cache_entry: Path) -> list[str]:
    """Make files of equal contents in a package cache entry one inode, as packages that
    ship hard links are (conda-pack reads package files from the cache); returns them."""
    paths = json.loads((cache_entry / "info/paths.json").read_text())["paths"]
    by_content = defaultdict(list)
    for entry in paths:
        if entry.get("path_type") == "hardlink" and "prefix_placeholder" not in entry:
            by_content[entry["sha256"]].append(entry["_path"])
    group = max(by_content.values(), key=len)
    assert len(group) >= 2
    for name in group[1:]:
        (cache_entry / name).unlink()
        os.link(cache_entry / group[0], cache_entry / name)
    return group


def read_members(path: Path) -> dict[str, tuple]:
    """{name: (type, mode, size, sha256 of the data, link target)}, as tarfile reads them."""
    found = {}
    with tarfile.open(path, "r:gz") as tar:
        for m in tar:
            data = tar.extractfile(m).read() if m.isreg() else b""
            found[m.name] = (m.type, m.mode, m.size, hashlib.sha256(data).hexdigest(), m.linkname)
    return found


def read_member(path: Path, name: str) -> str:
    with tarfile.open(path, "r:gz") as tar:
        return tar.extractfile(name).read().decode()


@pytest.fixture(scope="module")
def packs(conda_channel, tmp_path_factory):
    """(settings, slug, prefix, our pack, conda-pack's pack, the hard-linked names)."""
    root = tmp_path_factory.mktemp("members")
    # a private package cache (hard links of the channel's), whose files this test changes
    cache = root / "package-cache"
    if package_cache_for(conda_channel).is_dir():  # else this env fills its own
        shutil.copytree(
            package_cache_for(conda_channel), cache, symlinks=True, copy_function=os.link
        )
    settings = settings_for(root / "conda")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RATTLER_CACHE_DIR", str(cache))
        path = write_env_file(root, "Members", [conda_channel], ["python", TEST_APP])
        created = create_env(settings, path, no_kernel=True)
    prefix = Path(created["prefix"])
    (record,) = prefix.glob("conda-meta/python-3*.json")
    linked = hard_link_equal_files(Path(json.loads(record.read_text())["link"]["source"]))
    add_unowned_files(prefix)
    ours = Path(pack_env(settings, created["slug"], compress_level=1)["pack_path"])
    theirs = root / "conda-pack.tar.gz"
    conda_pack.pack(prefix=str(prefix), output=str(theirs), compress_level=1, force=True)
    return settings, created["slug"], prefix, ours, theirs, linked


def test_members_are_conda_packs(packs):
    _, slug, prefix, ours, theirs, linked = packs
    our_members, their_members = read_members(ours), read_members(theirs)
    # ours adds the lock and the SBOM, and the manifest it carries is rewritten
    assert set(our_members) - set(their_members) == {f"{slug}{LOCK_SUFFIX}", f"{slug}{SBOM_SUFFIX}"}
    assert set(their_members) <= set(our_members)
    manifest = f"{slug}_manifest.yaml"
    assert our_members.pop(manifest)[:2] == their_members.pop(manifest)[:2]
    # conda-pack also records the manifest for conda-unpack: ours holds no prefix
    unpack_scripts = [read_member(pack, "bin/conda-unpack") for pack in (ours, theirs)]
    manifest_record = f"({manifest!r}, {str(prefix)!r}, 'text'),\n"
    assert unpack_scripts[0] == unpack_scripts[1].replace(manifest_record, "")
    del our_members["bin/conda-unpack"], their_members["bin/conda-unpack"]
    different = {
        name: (our_members[name], member)
        for name, member in their_members.items()
        if our_members[name] != member
    }
    assert different == {}
    # the cases this env was given: all present, as conda-pack writes them
    assert their_members[LONG_NAME][0] == tarfile.REGTYPE
    assert their_members[DEEP_NAME][0] == tarfile.REGTYPE
    assert their_members[f"{UNOWNED}/sparse.bin"][2] == SPARSE_SIZE
    assert their_members[f"{UNOWNED}/link-to-folder"][0] == tarfile.SYMTYPE
    assert their_members[f"{UNOWNED}/empty-folder"][0] == tarfile.DIRTYPE
    assert [their_members[name][0] for name in linked].count(tarfile.LNKTYPE) == len(linked) - 1


def test_gnu_tar_lists_and_extracts_it_and_conda_unpack_relocates(packs, tmp_path):
    _, _, prefix, ours, _, _ = packs
    listed = subprocess.run(["tar", "-tzf", str(ours)], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == len(read_members(ours))
    target = tmp_path / "moved env"
    target.mkdir()
    subprocess.run(["tar", "-xzf", str(ours), "-C", str(target)], check=True)
    clean = {"PATH": os.environ["PATH"]}
    subprocess.run([str(target / "bin/python"), str(target / "bin/conda-unpack")],
                   check=True, env=clean)  # fmt: skip
    check_relocated(target, prefix, clean)


def test_our_install_reads_it(packs, tmp_path):
    settings, slug, prefix, ours, _, _ = packs
    installed = install_pack(
        LocalFileSource(ours), settings_for(tmp_path / "elsewhere"), no_kernel=True
    )
    assert installed["slug"] == slug
    check_relocated(Path(installed["prefix"]), prefix, {"PATH": os.environ["PATH"]})


def check_relocated(target: Path, prefix: Path, env: dict) -> None:
    """The moved env runs where it is, and its files hold its new prefix, not the old."""
    code = "import sys, cpe_testlib; print(sys.prefix); print(cpe_testlib.text_prefix())"
    result = subprocess.run(
        [str(target / "bin/python"), "-c", code], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(target)] * 2
    assert (target / TEXT_RECORD).read_text() == f"installed in {target}\n" * 3
    assert (target / LONG_NAME).read_text() == f"PREFIX = {str(target)!r}\n"
    assert (target / DEEP_NAME).read_text() == "é\n"
    assert os.readlink(target / f"{UNOWNED}/link-to-folder") == "ünïcödé-sub-folder"
    assert (target / f"{UNOWNED}/empty-folder").is_dir()
    sparse = (target / f"{UNOWNED}/sparse.bin").read_bytes()
    assert len(sparse) == SPARSE_SIZE and sparse.startswith(b"\xff\xfe binary")
    tool = subprocess.run([str(target / "bin/pip-like-tool")], capture_output=True, text=True)
    assert tool.stdout == "tool\n", tool.stderr
    assert str(prefix) not in (target / "bin/pip-like-tool").read_text()
