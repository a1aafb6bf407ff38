"""Safe streaming extraction: hostile members are refused, damaged streams fail cleanly,
and the whole install leaves nothing behind."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import threading
import time
from pathlib import Path

import pytest

from conda_pack_ext import extract, extract_source
from conda_pack_ext.errors import Cancelled, InvalidInput
from conda_pack_ext.extract import DamagedPack, UnsafeMember, extract_stream
from conda_pack_ext.install import LocalFileSource, install_pack
from conda_pack_ext.progress import Progress
from conda_pack_ext.settings import load_settings
from tests.support.hostile_packs import archive, member, raw_header
from tests.support.packs import HOSTILE_KINDS, hostile_tarball, tiny_pack


class OneWayStream(io.RawIOBase):
    """A stream that cannot seek, like a download."""

    def __init__(self, data: bytes):
        self._inner = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._inner.read(min(len(buffer), 4096))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def folder_entries(folder: Path) -> list[str]:
    """What an install left in the pack folder, ignoring the lock folder."""
    return sorted(p.name for p in folder.iterdir() if p.name != ".locks") if folder.exists() else []


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
def test_hostile_member_is_refused_and_nothing_is_left(tmp_path, kind):
    pack = hostile_tarball(tmp_path / "evil_v1.tar.gz", kind)
    folder = tmp_path / "conda"
    settings = load_settings(conda_pack_folder=str(folder))
    with pytest.raises(UnsafeMember) as refused:
        install_pack(LocalFileSource(pack), settings)
    assert "refused unsafe member" in str(refused.value)
    assert refused.value.member in str(refused.value)
    assert folder_entries(folder) == []
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/tmp/cpe-absolute-escape.txt").exists()


def test_extraction_streams_without_seeking_and_hashes(tmp_path):
    data = _small_tar_gz()
    destination = tmp_path / "out"
    destination.mkdir()
    result = extract_stream(OneWayStream(data), destination, Progress())
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.compressed_bytes == len(data)
    assert (destination / "lib" / "a.txt").read_text() == "a\n"
    assert (destination / "lib" / "link").readlink() == Path("a.txt")


@pytest.mark.parametrize("compression", ["", "bz2", "xz"])
def test_other_tar_formats_extract(tmp_path, compression):
    archive = tmp_path / "pack.tar"
    with tarfile.open(archive, f"w:{compression}" if compression else "w") as tar:
        tar.add(_write(tmp_path / "src" / "f.txt", "x\n"), arcname="f.txt")
    destination = tmp_path / "out"
    destination.mkdir()
    with open(archive, "rb") as stream:
        extract_stream(stream, destination, Progress())
    assert (destination / "f.txt").read_text() == "x\n"


def test_not_a_tarball_is_refused(tmp_path):
    destination = tmp_path / "out"
    destination.mkdir()
    with pytest.raises(DamagedPack, match="not a tar archive"):
        extract_stream(io.BytesIO(b"PK\x03\x04 a zip file" * 50), destination, Progress())


def test_truncated_and_corrupted_packs_fail_cleanly(tmp_path):
    good = tiny_pack(tmp_path / "tiny_v1.tar.gz", "tiny_v1").read_bytes()
    # a bigger member makes the truncation land inside the data
    bigger = _small_tar_gz(payload=bytes(range(256)) * 4096)
    folder = tmp_path / "conda"
    settings = load_settings(conda_pack_folder=str(folder))
    for name, data in {
        "truncated.tar.gz": bigger[: len(bigger) // 2],
        "corrupted.tar.gz": good[:40] + bytes(b ^ 0x5A for b in good[40:80]) + good[80:],
        "no-trailer.tar.gz": good[:-6],
    }.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(DamagedPack, match="damaged or truncated"):
            install_pack(LocalFileSource(path), settings)
        assert folder_entries(folder) == []


def test_cancel_during_extraction_leaves_nothing(tmp_path):
    class CancelOnFirstMember(Progress):
        def update(self, done, total=None):
            super().update(done, total)
            self.cancel_event.set()

    pack = tiny_pack(tmp_path / "tiny_v1.tar.gz", "tiny_v1")
    folder = tmp_path / "conda"
    with pytest.raises(Cancelled):
        install_pack(
            LocalFileSource(pack),
            load_settings(conda_pack_folder=str(folder)),
            progress=CancelOnFirstMember(),
        )
    assert folder_entries(folder) == []


def test_empty_file_is_refused(tmp_path):
    empty = tmp_path / "empty.tar.gz"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInput, match="empty"):
        install_pack(LocalFileSource(empty), load_settings(conda_pack_folder=str(tmp_path / "c")))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _small_tar_gz(payload: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (("lib/a.txt", b"a\n"), ("lib/big.bin", payload)):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
        link = tarfile.TarInfo("lib/link")
        link.type, link.linkname = tarfile.SYMTYPE, "a.txt"
        tar.addfile(link)
    return gzip.compress(buffer.getvalue())


def test_a_replaced_symlink_leads_later_members_to_its_new_target(tmp_path):
    def link(name: str, target: str) -> bytes:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = tarfile.SYMTYPE, target
        return info.tobuf(tarfile.USTAR_FORMAT)

    data = archive(
        raw_header("lib/a", kind=tarfile.DIRTYPE, mode=0o755),
        raw_header("lib/b", kind=tarfile.DIRTYPE, mode=0o755),
        link("lib/current", "a"),
        member("lib/current/one.txt", b"1"),
        link("lib/current", "b"),
        member("lib/current/two.txt", b"2"),
    )
    destination = tmp_path / "out"
    destination.mkdir()
    extract_stream(io.BytesIO(data), destination, Progress())
    assert sorted(p.name for p in (destination / "lib" / "a").iterdir()) == ["one.txt"]
    assert sorted(p.name for p in (destination / "lib" / "b").iterdir()) == ["two.txt"]


class CountingStream(io.RawIOBase):
    def __init__(self, data: bytes):
        self._inner = io.BytesIO(data)
        self.count = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        size = self._inner.readinto(buffer)
        self.count += size
        return size


def test_files_waiting_for_slow_writers_are_bounded(tmp_path, monkeypatch):
    """Empty files cost no data, yet the reader must not queue a whole pack of them for
    writers that lag behind (a slow disk)."""
    monkeypatch.setattr(extract, "MAX_BYTES_IN_FLIGHT", 64 << 10)
    monkeypatch.setattr(extract_source, "READ_AHEAD_BLOCKS", 1)
    release = threading.Event()
    write_batch = extract._write_batch
    monkeypatch.setattr(
        extract, "_write_batch", lambda batch, umask: release.wait(60) and write_batch(batch, umask)
    )
    files = 16_000  # 8 MB of headers; the reader reads 2 MB ahead, the pack's reading
    # thread one block in its queue and one in hand
    data = archive(*(member(f"lib/empty-{index}") for index in range(files)))
    stream = CountingStream(data)
    destination = tmp_path / "out"
    destination.mkdir()
    results = []
    worker = threading.Thread(
        target=lambda: results.append(extract_stream(stream, destination, Progress()))
    )
    worker.start()
    try:
        seen = -1
        while stream.count != seen:  # until the reader waits for the writers
            seen = stream.count
            time.sleep(0.5)
        assert stream.count < 5 << 20
    finally:
        release.set()
        worker.join(60)
    assert results[0].files == files + 2
