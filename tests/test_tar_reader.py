"""The lean tar reader used by extraction reads what tarfile writes, in every format, the
same way tarfile reads it; damaged headers anywhere are errors."""

from __future__ import annotations

import io
import tarfile

import pytest

from conda_pack_ext.extract import UnsafeMember, extract_stream
from conda_pack_ext.progress import Progress
from conda_pack_ext.tar_reader import MAX_PAX_BYTES, TarReader, UnsupportedMember
from tests.support.hostile_packs import BLOCK, BUILDERS, archive, member, pax_header

LONG_DIR = "lib/python3.11/site-packages/" + "a-rather-long-package-name/" * 5
MEMBERS = [
    ("dir", "lib", None),
    ("file", "lib/empty.txt", b""),
    ("file", "lib/one-block.bin", bytes(range(256)) * 2),
    ("file", "lib/odd.bin", b"x" * 1001),
    ("file", LONG_DIR + "module_with_a_long_name.py", b"print('long')\n"),
    ("file", "share/ünïcödé/名前.txt", b"non-ASCII\n"),
    ("file", "lib/big.bin", bytes(range(251)) * 9000),  # spans the reader's chunks
    ("symlink", "lib/link-to-odd", "odd.bin"),
    ("symlink", "lib/long-link", "../" + LONG_DIR + "module_with_a_long_name.py"),
    ("hardlink", "lib/hard", "lib/odd.bin"),
    ("dir", "share/empty-dir", None),
]


def build_tar(fmt: int, members=MEMBERS) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for kind, name, payload in members:
            member = tarfile.TarInfo(name)
            member.mtime = 1_700_000_000.25 if fmt == tarfile.PAX_FORMAT else 1_700_000_000
            if kind == "dir":
                member.type, member.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(member)
            elif kind == "file":
                member.size, member.mode = len(payload), 0o640
                tar.addfile(member, io.BytesIO(payload))
            else:
                member.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                member.linkname = payload
                tar.addfile(member)
    return buffer.getvalue()


def read_with_tarfile(data: bytes) -> list[tuple]:
    seen = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
        for m in tar:
            content = tar.extractfile(m).read() if m.isreg() else None
            seen.append((m.name, m.type, m.mode, m.size, m.mtime, m.linkname, content))
    return seen


def read_with_reader(data: bytes, chunk_size: int) -> list[tuple]:
    reader = TarReader(io.BytesIO(data), chunk_size=chunk_size)
    seen = []
    for m in reader:
        content = reader.read_data() if m.isreg() else None
        seen.append((m.name, m.type, m.mode, m.size, m.mtime, m.linkname, content))
    return seen


@pytest.mark.parametrize(
    "fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT], ids=str
)
@pytest.mark.parametrize("chunk_size", [512, 4096, 1 << 20])
def test_reads_every_format_as_tarfile_does(fmt, chunk_size):
    members = MEMBERS
    if fmt == tarfile.USTAR_FORMAT:  # ustar has no room for long link names
        members = [m for m in MEMBERS if m[1] != "lib/long-link"]
    data = build_tar(fmt, members)
    assert read_with_reader(data, chunk_size) == read_with_tarfile(data)


def test_unread_data_is_skipped_and_iter_data_streams():
    data = build_tar(tarfile.PAX_FORMAT)
    reader = TarReader(io.BytesIO(data), chunk_size=4096)
    names, big = [], b""
    for m in reader:
        names.append(m.name)
        if m.name == "lib/big.bin":
            # each chunk is valid until the next is asked for: copied as they come
            big = b"".join(bytes(chunk) for chunk in reader.iter_data(chunk_size=10_000))
    assert names == [name.rstrip("/") for _, name, _ in MEMBERS]
    assert big == bytes(range(251)) * 9000


def test_damaged_header_in_the_middle_is_an_error():
    data = bytearray(build_tar(tarfile.PAX_FORMAT))
    second = data.index(b"lib/empty.txt")  # a header's name field, after the first members
    data[second + 3] ^= 0x20
    with pytest.raises(tarfile.ReadError, match="bad checksum"):
        read_with_reader(bytes(data), 4096)


@pytest.mark.parametrize("cut", [700, 1024 + 100])
def test_truncation_is_an_error(cut):
    data = build_tar(tarfile.GNU_FORMAT)
    with pytest.raises(tarfile.ReadError):
        read_with_reader(data[:cut], 4096)


def test_empty_stream_is_an_error():
    with pytest.raises(tarfile.ReadError, match="empty"):
        read_with_reader(b"", 4096)
    with pytest.raises(tarfile.ReadError, match="empty"):
        read_with_reader(bytes(1024), 4096)


def test_sparse_member_is_refused(tmp_path):
    member = tarfile.TarInfo("lib/sparse.bin")
    member.type = tarfile.GNUTYPE_SPARSE
    header = member.tobuf(tarfile.GNU_FORMAT)
    with pytest.raises(UnsupportedMember, match="sparse"):
        read_with_reader(header + bytes(1024), 4096)
    destination = tmp_path / "out"
    destination.mkdir()
    with pytest.raises(UnsafeMember, match="sparse"):
        extract_stream(io.BytesIO(header + bytes(1024)), destination, Progress())
    assert list(destination.iterdir()) == []


# ---- hostile headers: refused at once, in bounded memory ------------------------------------

REFUSED_BY_THE_READER = {
    "pax-negative-size": "invalid pax header",
    "gnu-negative-size": "invalid size -1536",
    "pax-header-negative-size": "invalid size -1536",
    "huge-size": "invalid size",
    "pax-huge-size": "invalid pax header",
    "pax-size-with-sign": "invalid pax header",
    "pax-8mb-path": "extended headers of more than",
    "gnu-8mb-long-name": "GNU long name of 8388609 bytes",
    "pax-header-chain": "extended headers of more than",
    "pax-global-flood": "extended headers of more than",
    "pax-mtime-1e300": "invalid pax header",
    "pax-mtime-nan": "invalid pax header",
    "pax-mtime-inf": "invalid pax header",
    "pax-mtime-negative-huge": "invalid pax header",
    "gnu-mtime-huge": "invalid header",
    "pax-uid-huge": "invalid pax header",
    "pax-gid-negative": "invalid pax header",
}


@pytest.mark.timeout(10)  # a negative size used to send the reader backwards forever
@pytest.mark.parametrize("kind", REFUSED_BY_THE_READER)
def test_hostile_numbers_and_oversized_headers_are_refused(kind):
    with pytest.raises(tarfile.ReadError, match=REFUSED_BY_THE_READER[kind]):
        read_with_reader(BUILDERS[kind](), 4096)


def test_capped_headers_still_read_at_their_limits():
    long_name = "lib/" + "n" * 200 + "/" + "m" * 200  # a long GNU name is fine
    members = [("file", long_name, b"data"), ("file", "lib/plain.txt", b"x")]
    assert [m[0] for m in read_with_reader(build_tar(tarfile.GNU_FORMAT, members), 512)] == [
        long_name,
        "lib/plain.txt",
    ]
    # PAX records just under the cap, global ones kept for the next member
    records = {"comment": "c" * (MAX_PAX_BYTES - 64)}
    data = archive(pax_header(records, tarfile.XGLTYPE), pax_header({"mtime": "12.5"}))
    data = data[: -2 * BLOCK] + member("lib/after.txt", b"ok") + bytes(2 * BLOCK)
    seen = {m[0]: m for m in read_with_reader(data, 4096)}
    assert seen["lib/after.txt"][6] == b"ok"
    assert seen["lib/after.txt"][4] == 12.5
