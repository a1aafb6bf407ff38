"""Before an install goes live, the pack is compared with the host: a pack for another
platform or a newer glibc is refused unless forced (nothing is installed), a GPU pack on a
host without an NVIDIA driver is installed with a warning."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
import yaml

from conda_pack_ext import preflight
from tests.support.cli import cli_error, cli_run
from tests.support.packs import NO_PREFIX_RECORDS

OTHER_SUBDIR = "linux-aarch64" if preflight.host_subdir() != "linux-aarch64" else "linux-64"


def pack_with_record(path: Path, slug: str, record: dict, arch: str = "CPU") -> Path:
    """A small pack whose one package record says what platform and glibc it needs."""
    manifest = {"name": slug, "manifest": {"name": slug, "version": "1.0", "slug": slug,
                                           "arch_type": arch}}  # fmt: skip
    files = {
        f"{slug}_manifest.yaml": yaml.safe_dump(manifest).encode(),
        "conda-meta/history": b"",
        "conda-meta/cpe-native-1.0-0.json": json.dumps(record).encode(),
        "bin/conda-unpack": NO_PREFIX_RECORDS.encode(),
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            member = tarfile.TarInfo(name)
            member.size, member.mode = len(data), 0o755 if name.startswith("bin/") else 0o644
            tar.addfile(member, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"name": "cpe-native", "subdir": OTHER_SUBDIR, "depends": []},
         f"the pack is built for {OTHER_SUBDIR}, and this host is {preflight.host_subdir()}"),
        ({"name": "cpe-native", "subdir": preflight.host_subdir(),
          "depends": ["python >=3", "__glibc >=99.1"]},
         "the pack needs glibc 99.1 or newer, and this host has glibc"),
    ],
    ids=["platform", "glibc"],
)  # fmt: skip
def test_unfit_pack_is_refused_unless_forced(capsys, tmp_path, record, reason):
    pack = pack_with_record(tmp_path / "native_v1_0.tar.gz", "native_v1_0", record)
    folder = ["--conda-pack-folder", str(tmp_path / "conda")]
    err = cli_error(capsys, "install", "-u", str(pack), "--no-kernel", *folder)
    assert "the pack does not suit this host" in err and reason in err and "--force" in err
    assert [p.name for p in (tmp_path / "conda").iterdir()] == []  # nothing left behind
    result, err = cli_run(capsys, "install", "-u", str(pack), "--no-kernel", "--force", *folder)
    assert reason in err and result["warnings"] and (tmp_path / "conda" / "native_v1_0").is_dir()


def test_gpu_pack_without_driver_warns(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(preflight, "NVIDIA_DRIVER_FILE", tmp_path / "no-driver")
    record = {"name": "cpe-native", "subdir": preflight.host_subdir(), "depends": []}
    pack = pack_with_record(tmp_path / "gpu_v1_0.tar.gz", "gpu_v1_0", record, arch="GPU")
    folder = ["--conda-pack-folder", str(tmp_path / "conda")]
    result, err = cli_run(capsys, "install", "-u", str(pack), "--no-kernel", *folder)
    assert "warning: this is a GPU pack and no NVIDIA driver is loaded on this host" in err
    assert (tmp_path / "conda" / "gpu_v1_0").is_dir()
    # with a driver there is nothing to say
    (tmp_path / "no-driver").write_text("NVRM version: 550\n")
    result, err = cli_run(capsys, "install", "-u", str(pack), "--no-kernel", "-o", *folder)
    assert "GPU pack" not in err and result["warnings"] == []
