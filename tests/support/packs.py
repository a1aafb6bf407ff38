"""Real packs for the install tests: envs made by `create` from the local test channel and
packed by `pack` (conda-pack underneath), a pack made by the plain `conda-pack` command line,
and hostile tarballs built with tarfile."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from conda_pack_ext.create import create_env
from conda_pack_ext.pack import pack_env
from tests.support.channel import TEST_APP, TEST_LIB
from tests.support.channel import create_env as create_channel_env
from tests.support.envfiles import settings_for, write_env_file

PYTHON_SPECS = ("python", "ipykernel", TEST_APP)
SHIPPED_KERNEL = "cpe-echo"


def build_env(channel: Path, work: Path, slug: str, specs=PYTHON_SPECS) -> Path:
    """A real env made by `create` from the local channel, with its manifest."""
    name, _, version = slug.rpartition("_v")
    env_file = write_env_file(
        work / "envfiles" / slug,
        name,
        [channel],
        list(specs),
        variables={"CPE_TEST_VARIABLE": "from-the-manifest"},
        manifest={"name": name, "version": version.replace("_", "."), "slug": slug},
    )
    return Path(create_env(settings_for(work / "conda"), env_file, no_kernel=True)["prefix"])


def ship_kernelspecs(prefix: Path) -> None:
    """Kernelspecs inside the env, as packages install them: ipykernel's own `python3`
    (replaced by ours on install) and another kernel run by a bare program name."""
    shipped = prefix / "share" / "jupyter" / "kernels"
    launcher = ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (shipped / "python3").mkdir(parents=True, exist_ok=True)
    if not (shipped / "python3" / "kernel.json").exists():
        (shipped / "python3" / "kernel.json").write_text(
            json.dumps({"argv": launcher, "display_name": "Python 3", "language": "python"})
        )
    (shipped / SHIPPED_KERNEL).mkdir()
    (shipped / SHIPPED_KERNEL / "kernel.json").write_text(
        json.dumps({"argv": launcher, "display_name": "Echo", "language": "python",
                    "env": {"MPLBACKEND": "agg"}})
    )  # fmt: skip
    (shipped / SHIPPED_KERNEL / "logo-64x64.png").write_bytes(b"\x89PNG\r\n\x1a\n")


def make_pack(channel: Path, work: Path, slug: str, specs=PYTHON_SPECS, kernelspecs=False) -> Path:
    """A pack of a fresh env made by `create` and packed by `pack`: `.packs/<slug>.tar.gz`."""
    prefix = build_env(channel, work, slug, specs)
    if kernelspecs:
        ship_kernelspecs(prefix)
    return Path(pack_env(settings_for(work / "conda"), slug, compress_level=1)["pack_path"])


# bin/conda-unpack as conda-pack writes it for an env without prefix files
NO_PREFIX_RECORDS = "#!/usr/bin/env python\n_prefix_records = [\n\n]\n"


def tiny_pack(path: Path, slug: str, conda_unpack: str | None = NO_PREFIX_RECORDS) -> Path:
    """A small pack-shaped tarball (manifest, conda-meta, a conda-unpack script) for tests
    of failures around a real install, e.g. prefix records that cannot be read."""
    document = {"name": slug, "manifest": {"name": slug, "version": "1.0", "slug": slug}}
    with tarfile.open(path, "w:gz") as tar:
        _add_file(tar, f"{slug}_manifest.yaml", yaml.safe_dump(document).encode())
        _add_file(tar, "conda-meta/history", b"")
        _add_file(tar, "share/tiny/data.txt", b"tiny\n")
        if conda_unpack is not None:
            _add_file(tar, "bin/conda-unpack", conda_unpack.encode(), mode=0o755)
    return path


def make_plain_conda_pack(channel: Path, work: Path, slug: str) -> Path:
    """A pack made by the `conda-pack` command line from an env solved and installed by
    rattler alone: no manifest anywhere."""
    prefix = work / "plain" / slug
    create_channel_env(prefix, list(PYTHON_SPECS), channel=channel, package_cache=work / "pkgs")
    output = work / f"{slug}.tar.gz"
    conda_pack_cli = Path(sys.executable).with_name("conda-pack")
    subprocess.run(
        [str(conda_pack_cli), "-p", str(prefix), "-o", str(output), "--compress-level", "1"],
        check=True,
        capture_output=True,
    )
    return output


# ---- hostile tarballs ---------------------------------------------------------------------


def hostile_tarball(path: Path, kind: str) -> Path:
    """A gzip tarball that starts like a real pack and then holds one hostile member."""
    with tarfile.open(path, "w:gz") as tar:
        _add_file(tar, "evil_v1_manifest.yaml", b"manifest: {name: evil, version: '1'}\n")
        _add_file(tar, "lib/ok.txt", b"harmless\n")
        if kind == "traversal":
            _add_file(tar, "../escaped.txt", b"outside\n")
        elif kind == "nested-traversal":
            _add_file(tar, "lib/../../escaped.txt", b"outside\n")
        elif kind == "absolute":
            _add_file(tar, "/tmp/cpe-absolute-escape.txt", b"outside\n")
        elif kind == "symlink-escape":
            _add_link(tar, "lib/outside", "../../..", tarfile.SYMTYPE)
        elif kind == "symlink-absolute":
            _add_link(tar, "lib/etc", "/etc", tarfile.SYMTYPE)
        elif kind in ("symlink-chain", "write-through-chain"):
            # each link resolves inside when made; together `lib/s` leads to the parent
            _add_link(tar, "lib/s", "x/../..", tarfile.SYMTYPE)
            _add_link(tar, "lib/x", ".", tarfile.SYMTYPE)
            if kind == "write-through-chain":
                _add_file(tar, "lib/s/escaped.txt", b"outside\n")
        elif kind == "hardlink-escape":
            _add_link(tar, "lib/passwd", "../../../../../etc/passwd", tarfile.LNKTYPE)
        elif kind == "device":
            member = tarfile.TarInfo("dev/sda")
            member.type, member.devmajor, member.devminor = tarfile.BLKTYPE, 8, 0
            tar.addfile(member)
        elif kind == "fifo":
            member = tarfile.TarInfo("lib/pipe")
            member.type = tarfile.FIFOTYPE
            tar.addfile(member)
        elif kind == "setuid":
            _add_file(tar, "bin/rootshell", b"#!/bin/sh\n", mode=0o4755)
        else:
            raise ValueError(kind)
    return path


def _add_file(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    member = tarfile.TarInfo(name)
    member.size, member.mode = len(data), mode
    tar.addfile(member, io.BytesIO(data))


def _add_link(tar: tarfile.TarFile, name: str, target: str, kind: bytes) -> None:
    member = tarfile.TarInfo(name)
    member.type, member.linkname = kind, target
    tar.addfile(member)


HOSTILE_KINDS = (
    "traversal",
    "nested-traversal",
    "absolute",
    "symlink-escape",
    "symlink-absolute",
    "symlink-chain",
    "write-through-chain",
    "hardlink-escape",
    "device",
    "fifo",
    "setuid",
)


# ---- session fixtures: import `<name>_fixture` into a test module, then use `<name>` -------


@pytest.fixture(scope="session", name="packs_dir")
def packs_dir_fixture(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("packs")


@pytest.fixture(scope="session", name="python_pack")
def python_pack_fixture(conda_channel, packs_dir) -> Path:
    """python + ipykernel + the prefix-writing test packages, with shipped kernelspecs."""
    return make_pack(conda_channel, packs_dir, "testenv_v1_0", kernelspecs=True)


@pytest.fixture(scope="session", name="bare_pack")
def bare_pack_fixture(conda_channel, packs_dir) -> Path:
    """python and cpe-testlib, without ipykernel."""
    return make_pack(conda_channel, packs_dir, "bare_v1_0", specs=("python", TEST_LIB))


@pytest.fixture(scope="session", name="plain_pack")
def plain_pack_fixture(conda_channel, packs_dir) -> Path:
    """Made by the plain `conda-pack` command: no manifest."""
    return make_plain_conda_pack(conda_channel, packs_dir, "plainenv_v2_1")
