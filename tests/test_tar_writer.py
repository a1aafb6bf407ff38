"""Our tar writer writes what tarfile writes for the same files (names, types, modes, sizes,
contents, link targets, owners, hard links), and GNU tar, tarfile and our reader read it."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from conda_pack_ext.tar_reader import TarReader
from conda_pack_ext.tar_writer import RECORD, TarWriter, pax_records, ustar_header

LONG_DIR = "lib/python3.11/site-packages/" + "a-rather-long-package-name/" * 4  # > 100
DEEP_DIR = "share/" + "/".join(["ünïcödé-folder-name-" * 3] * 5)  # > 255 bytes, not ASCII
LONG_COMPONENT = "share/" + "a-file-name-of-more-than-100-bytes-" * 3  # no ustar split
SPARSE_SIZE = 5 * (1 << 20) + 123  # several of the writer's buffers, not a whole block


def make_tree(root: Path) -> list[str]:
    """Files of every kind the writer meets in an env; returns their names, parents first."""
    files = {
        "bin/tool": (b"#!/bin/sh\necho tool\n", 0o755),
        "lib/empty.txt": (b"", 0o644),
        "lib/odd.bin": (bytes(range(256)) * 4 + b"x" * 7, 0o600),
        f"{LONG_DIR}module_with_a_long_name.py": (b"print('long')\n", 0o644),
        f"{DEEP_DIR}/名前.txt": (b"non-ASCII\n", 0o644),
        "share/exactly-100/" + "n" * 82: (b"a name of 100 bytes\n", 0o644),
        LONG_COMPONENT: (b"", 0o644),
        LONG_DIR[:-1] + "/" + "x" * 100: (b"a name of exactly 100 bytes after the prefix", 0o644),
    }
    for name, (data, mode) in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
    (root / "share/empty-dir").mkdir(parents=True)
    os.link(root / "lib/odd.bin", root / "lib/hard-link-of-odd.bin")
    os.symlink("odd.bin", root / "lib/link-to-odd")
    os.symlink("../" + LONG_DIR + "module_with_a_long_name.py", root / "lib/long-link")
    os.symlink("does-not-exist", root / "lib/dangling")
    os.symlink("../lib", root / "share/link-to-folder")
    os.mkfifo(root / "share/fifo")
    with open(root / "lib/sparse.bin", "wb") as sparse:  # read whole, but costs no disk
        sparse.write(b"\xffstart")
        sparse.truncate(SPARSE_SIZE)
    names = []
    for folder, dirs, files_here in os.walk(root):
        dirs.sort()
        for name in sorted(dirs) + sorted(files_here):
            names.append(os.path.relpath(os.path.join(folder, name), root))
    return names


def write_ours(root: Path, names: list[str], fileobj) -> None:
    with TarWriter(fileobj) as writer:
        for name in names:
            writer.add(str(root / name), name)
        writer.add_bytes(str(root / "bin/tool"), b"#!/bin/sh\necho rewritten\n", "bin/rewritten")


def write_tarfile(root: Path, names: list[str], fileobj) -> None:
    with tarfile.open(fileobj=fileobj, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            tar.add(str(root / name), name, recursive=False)
        info = tar.gettarinfo(str(root / "bin/tool"), "bin/rewritten")
        data = b"#!/bin/sh\necho rewritten\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def members(data: bytes) -> list[tuple]:
    """What a reader of the pack sees of each member, as tarfile reads it."""
    seen = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
        for m in tar:
            content = tar.extractfile(m).read() if m.isreg() else b""
            seen.append(
                (m.name, m.type, m.mode, m.size, m.linkname, m.uid, m.gid, m.uname, m.gname,
                 int(m.mtime), hashlib.sha256(content).hexdigest())
            )  # fmt: skip
    return seen


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree") / "env"
    names = make_tree(root)
    ours, theirs = io.BytesIO(), io.BytesIO()
    write_ours(root, names, ours)
    write_tarfile(root, names, theirs)
    return root, names, ours.getvalue(), theirs.getvalue()


def test_members_are_tarfiles(tree):
    _, names, ours, theirs = tree
    assert len(members(ours)) == len(names) + 1
    assert members(ours) == members(theirs)


def fits_ustar(name: str) -> bool:
    """Whether ustar holds the name: ASCII, and 100 bytes or a folder prefix of up to 155
    bytes and the rest in 100 (tarfile's rule)."""
    if not name.isascii():
        return False
    parts = name.split("/")
    return len(name) <= 100 or any(
        len("/".join(parts[:i])) <= 155 and 0 < len("/".join(parts[i:])) <= 100
        for i in range(1, len(parts))
    )


def test_pax_headers_only_where_ustar_has_no_room(tree):
    _, _, ours, theirs = tree
    with tarfile.open(fileobj=io.BytesIO(ours)) as tar:
        extended = {m.name for m in tar if m.pax_headers}
        needed = {
            m.name for m in tar if not fits_ustar(m.name + "/" * m.isdir()) or len(m.linkname) > 100
        }
    assert extended == needed
    assert {f"{DEEP_DIR}/名前.txt", "lib/long-link", LONG_COMPONENT} <= needed
    assert f"{LONG_DIR}module_with_a_long_name.py" not in needed  # in the prefix field
    # tarfile writes a PAX header for every member (a float mtime): ours is smaller
    assert len(ours) < len(theirs) and len(ours) % RECORD == 0


def test_gnu_tar_reads_and_extracts_it(tree, tmp_path):
    root, names, ours, _ = tree
    archive = tmp_path / "ours.tar"
    archive.write_bytes(ours)
    listed = subprocess.run(["tar", "-tf", str(archive)], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == len(names) + 1
    target = tmp_path / "out"
    target.mkdir()
    subprocess.run(["tar", "-xf", str(archive), "-C", str(target)], check=True)
    for name in names:
        original, extracted = root / name, target / name
        assert os.lstat(extracted).st_mode == os.lstat(original).st_mode, name
        if original.is_symlink():
            assert os.readlink(extracted) == os.readlink(original)
        elif original.is_file():
            assert extracted.read_bytes() == original.read_bytes(), name
            assert int(extracted.stat().st_mtime) == int(original.stat().st_mtime)
    assert os.path.samefile(target / "lib/odd.bin", target / "lib/hard-link-of-odd.bin")


def test_our_reader_reads_it(tree):
    _, _, ours, _ = tree
    reader = TarReader(io.BytesIO(ours))
    seen = []
    for m in reader:
        content = reader.read_data() if m.isreg() else b""
        seen.append(
            (m.name, m.type, m.mode, m.size, m.linkname, hashlib.sha256(content).hexdigest())
        )
    expected = [(m[0], m[1], m[2], m[3], m[4], m[10]) for m in members(ours)]
    assert seen == expected


def test_a_hard_link_of_rewritten_bytes_stays_a_file(tmp_path):
    # tarfile writes a hard link header followed by data here, which readers then misread
    (tmp_path / "a").write_bytes(b"original")
    os.link(tmp_path / "a", tmp_path / "b")
    out = io.BytesIO()
    with TarWriter(out) as writer:
        writer.add_bytes(str(tmp_path / "a"), b"rewritten a", "a")
        writer.add_bytes(str(tmp_path / "b"), b"rewritten b", "b")
        writer.add(str(tmp_path / "b"), "c")
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        found = {m.name: (m.type, m.linkname) for m in tar}
        assert tar.extractfile("b").read() == b"rewritten b"
    assert found == {"a": (b"0", ""), "b": (b"0", ""), "c": (b"1", "a")}


class RecordingFile:
    def __init__(self):
        self.writes: list[int] = []
        self.sha256 = hashlib.sha256()

    def write(self, data) -> int:
        self.writes.append(len(data))
        self.sha256.update(data)
        return len(data)


def test_large_files_stream_in_whole_blocks(tree):
    root, names, ours, _ = tree
    recording = RecordingFile()
    write_ours(root, names, recording)
    assert recording.sha256.hexdigest() == hashlib.sha256(ours).hexdigest()
    assert max(recording.writes) == 1 << 20 and set(recording.writes[:-1]) == {1 << 20}


def test_a_file_that_shrank_is_an_error(tmp_path):
    path = tmp_path / "shrinking"
    path.write_bytes(b"x" * 5000)
    info = os.lstat(path)
    path.write_bytes(b"x" * 10)
    with pytest.raises(OSError, match="shrank"):
        with TarWriter(io.BytesIO(), stats={str(path): info}) as writer:
            writer.add(str(path), "shrinking")


def test_conda_unpack_gets_the_pack_time(tmp_path):
    (tmp_path / "conda-unpack").write_text("#!/usr/bin/env python\n")
    out = io.BytesIO()
    with TarWriter(out, mtime=1_800_000_000.7) as writer:
        writer.add(str(tmp_path / "conda-unpack"), "bin/conda-unpack")
        writer.add(str(tmp_path / "conda-unpack"), "bin/other")
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        assert tar.getmember("bin/conda-unpack").mtime == 1_800_000_000
        assert tar.getmember("bin/other").mtime == int(os.stat(tmp_path / "conda-unpack").st_mtime)


def test_headers_hold_what_ustar_cannot_in_pax_records():
    records = pax_records({"path": "é".encode() * 60, "size": b"10000000000"})
    parsed = {}
    while records:
        length = int(records.split(b" ", 1)[0])
        record, records = records[:length], records[length:]
        key, value = record.split(b" ", 1)[1][:-1].split(b"=", 1)
        parsed[key] = value
    assert parsed == {b"path": "é".encode() * 60, b"size": b"10000000000"}
    assert pax_records({"path": b"\xff\xfe"}).startswith(b"21 hdrcharset=BINARY\n")
    header = ustar_header(b"name", b"0", 0o644, 12, 1_700_000_000, 1000, 1000)
    assert tarfile.TarInfo.frombuf(header, "utf-8", "strict").size == 12
