"""A corpus of hostile packs: gzip tarballs that attack the reader and the extractor with
numbers and names no honest archive has. tarfile refuses to write most of them, so their
headers are built byte by byte here (`raw_header`, then fields patched and the checksum
made again).

Each pack starts like a real one (a manifest and a file), then holds the attack. Build one
with `hostile_pack(path, kind)`; `HOSTILE_PACKS` names every kind, with the classes
`tests.support.packs.hostile_tarball` makes (traversal, links, devices, ...) and damaged
streams."""

from __future__ import annotations

import gzip
import tarfile
from pathlib import Path

from tests.support.packs import HOSTILE_KINDS, hostile_tarball

BLOCK = tarfile.BLOCKSIZE
SIZE_FIELD = slice(124, 136)
CHECKSUM_FIELD = slice(148, 156)
MANIFEST = b"manifest: {name: testenv, version: '1.0', slug: testenv_v1_0}\n"


# ---- building blocks ------------------------------------------------------------------------


def raw_header(name: str, size: int = 0, kind: bytes = tarfile.REGTYPE, mode=0o644) -> bytes:
    """A ustar header (names up to 100 bytes)."""
    info = tarfile.TarInfo(name)
    info.size, info.type, info.mode, info.mtime = size, kind, mode, 1_700_000_000
    return info.tobuf(tarfile.USTAR_FORMAT)


def patched(header: bytes, field: slice, value: bytes) -> bytes:
    """`header` (and any data after it) with `field` set to `value` and a correct checksum."""
    block = bytearray(header[:BLOCK])
    block[field] = value.ljust(field.stop - field.start, b"\0")
    block[CHECKSUM_FIELD] = b" " * 8
    block[CHECKSUM_FIELD] = b"%06o\0 " % sum(block)
    return bytes(block) + header[BLOCK:]


def base256(value: int, width: int = 12) -> bytes:
    """GNU's base-256 number: the top bit of the first byte set, two's complement."""
    raw = value.to_bytes(width, "big", signed=True)
    return bytes([raw[0] | 0x80]) + raw[1:] if value >= 0 else raw


def padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % BLOCK)


def member(name: str, data: bytes = b"", mode: int = 0o644) -> bytes:
    return raw_header(name, len(data), mode=mode) + padded(data)


def pax_record(key: str, value: str | bytes) -> bytes:
    """One "<length> <key>=<value>\\n" record (the length counts itself)."""
    body = b" " + key.encode() + b"=" + (value if isinstance(value, bytes) else value.encode())
    body += b"\n"
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length += 1
    return str(length).encode() + body


def pax_header(records: dict, kind: bytes = tarfile.XHDTYPE) -> bytes:
    data = b"".join(pax_record(key, value) for key, value in records.items())
    return raw_header("././@PaxHeader", len(data), kind) + padded(data)


def long_name_header(name: bytes) -> bytes:
    data = name + b"\0"
    return raw_header("././@LongLink", len(data), tarfile.GNUTYPE_LONGNAME) + padded(data)


def archive(*parts: bytes) -> bytes:
    """A tar stream: a pack-like start, the given parts, the end marker."""
    start = member("testenv_v1_0_manifest.yaml", MANIFEST) + member("lib/ok.txt", b"fine\n")
    return start + b"".join(parts) + bytes(2 * BLOCK)


def _pax_member(records: dict, name: str = "lib/evil.txt", data: bytes = b"x" * 2000) -> bytes:
    return archive(pax_header(records), member(name, data))


# ---- the corpus -------------------------------------------------------------------------------


def _deep_path() -> str:
    return "d/" * 1200 + "f.txt"


BUILDERS = {
    # negative sizes move a naive reader backwards, forever
    "pax-negative-size": lambda: _pax_member({"size": "-1536"}),
    "gnu-negative-size": lambda: archive(
        patched(raw_header("lib/evil.txt"), SIZE_FIELD, base256(-1536)), bytes(4 * BLOCK)
    ),
    "pax-header-negative-size": lambda: archive(
        patched(pax_header({"path": "lib/x"}), SIZE_FIELD, base256(-1536)), bytes(4 * BLOCK)
    ),
    "huge-size": lambda: archive(
        patched(raw_header("lib/evil.txt"), SIZE_FIELD, base256(2**80)), bytes(4 * BLOCK)
    ),
    "pax-huge-size": lambda: _pax_member({"size": "9" * 30}),
    "pax-size-with-sign": lambda: _pax_member({"size": "+2000"}),
    # memory: names held in memory before anything checks them
    "pax-8mb-path": lambda: _pax_member({"path": "a" * (8 << 20)}),
    "gnu-8mb-long-name": lambda: archive(long_name_header(b"a" * (8 << 20)), member("x", b"x")),
    "pax-header-chain": lambda: archive(
        *(pax_header({f"comment{i}": "c" * 500_000}) for i in range(4)), member("lib/x", b"x")
    ),
    "pax-global-flood": lambda: archive(
        *(pax_header({f"k{i}": "v" * 900_000}, tarfile.XGLTYPE) for i in range(3)),
        member("lib/x", b"x"),
    ),
    # names the file system cannot take, or that recurse
    "deep-path": lambda: _pax_member({"path": _deep_path()}),
    "long-component": lambda: _pax_member({"path": "lib/" + "n" * 300 + ".txt"}),
    "path-over-path-max": lambda: _pax_member({"path": ("p" * 99 + "/") * 50 + "f.txt"}),
    "long-link-target": lambda: archive(
        pax_header({"linkpath": "a/" * 3000}), raw_header("lib/link", kind=tarfile.SYMTYPE)
    ),
    # numbers that overflow or are not numbers
    "pax-mtime-1e300": lambda: _pax_member({"mtime": "1e300"}),
    "pax-mtime-nan": lambda: _pax_member({"mtime": "nan"}),
    "pax-mtime-inf": lambda: _pax_member({"mtime": "inf"}),
    "pax-mtime-negative-huge": lambda: _pax_member({"mtime": "-1e300"}),
    "gnu-mtime-huge": lambda: archive(
        patched(raw_header("lib/evil.txt", 1), slice(136, 148), base256(2**80)) + padded(b"x")
    ),
    "pax-uid-huge": lambda: _pax_member({"uid": "9" * 40}),
    "pax-gid-negative": lambda: _pax_member({"gid": "-5"}),
    # damaged streams
    "bad-checksum": lambda: archive(b"X" + raw_header("lib/x")[1:]),
    "truncated": lambda: archive(raw_header("lib/big.bin", 100_000), b"x" * 3000)[: -2 * BLOCK],
}

GZIP_BOMB = "gzip-bomb"
HOSTILE_PACKS = (*BUILDERS, GZIP_BOMB, *HOSTILE_KINDS)


def hostile_pack(path: Path, kind: str) -> Path:
    """Write the hostile pack `kind` (one of HOSTILE_PACKS) to `path` as a .tar.gz."""
    if kind in HOSTILE_KINDS:
        return hostile_tarball(path, kind)
    if kind == GZIP_BOMB:
        path.write_bytes(gzip_bomb(3 << 29))
        return path
    path.write_bytes(gzip.compress(BUILDERS[kind](), compresslevel=1))
    return path


def gzip_bomb(size: int, files: int = 1) -> bytes:
    """A pack of `files` files of zeros, `size` bytes in all, as a few kilobytes of gzip per
    megabyte: gzip members (which readers join) of one compressed megabyte, repeated."""
    megabyte = 1 << 20
    zeros = gzip.compress(bytes(megabyte), compresslevel=9)
    per_file = size // files // megabyte
    parts = [gzip.compress(archive()[: -2 * BLOCK])]
    for index in range(files):
        parts.append(gzip.compress(raw_header(f"lib/zeros-{index}.bin", per_file * megabyte)))
        parts.extend([zeros] * per_file)
    parts.append(gzip.compress(bytes(2 * BLOCK)))
    return b"".join(parts)
