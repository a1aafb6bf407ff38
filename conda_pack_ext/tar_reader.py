"""A one-pass reader of tar streams (ustar, GNU and PAX headers) for pack extraction.

tarfile's stream mode spends most of an install's main-thread time on bookkeeping: each
header goes through several small buffered reads, two checksum variants computed with
struct, a regular expression per PAX record and a file object per member. conda-pack
writes a PAX header before nearly every member (its mtimes are floats), so a pack of 16,000
files means 32,000 headers. This reader parses the same headers with a few slices and
`int()` calls (checksums through zlib.adler32; of an extension header only its type and
size, the fields it uses) and yields `tarfile.TarInfo` objects, so callers keep tarfile's
vocabulary (`isreg()`, `linkname`, ...). It never seeks, and hands a large file's data out
in chunks read into one reused buffer.

It is stricter than tarfile, which silently stops at a damaged header in the middle of a
stream: a bad checksum, a truncated header or bad PAX records raise `tarfile.ReadError`
anywhere. Sparse members (which conda-pack never writes) raise `UnsupportedMember`.

Packs come from buckets anyone may write to, so every number in a header is checked before
it moves the reader: sizes are never negative nor absurd, the headers that carry long names
and PAX records are capped (they are held in memory), and PAX numbers must be finite and in
range. The reader's memory is its buffer plus at most one capped extension header.
"""

from __future__ import annotations

import struct
import tarfile
from collections.abc import Iterator
from zlib import adler32

BLOCK = tarfile.BLOCKSIZE
ZERO_BLOCK = bytes(BLOCK)
REGULAR_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE)
# members whose data blocks follow their header (tarfile's rule: regular files and types
# it does not know)
KNOWN_TYPES = frozenset(tarfile.SUPPORTED_TYPES) - {tarfile.GNUTYPE_SPARSE}
PAX_TYPES = (tarfile.XHDTYPE, tarfile.SOLARIS_XHDTYPE)
USTAR_MAGIC = b"ustar\x00"  # POSIX; GNU tar writes "ustar  \0" and has no name prefix
CHECKSUM_SPACES = 8 * ord(" ")
SIGNED_BYTES = struct.Struct("148b8x356b")
READ_CHUNK = 1 << 20
# A GNU long name or link is a path: a few times Linux's PATH_MAX (4096) is plenty.
MAX_LONG_NAME = 4 * 4096
# PAX records before one member (and all global records together); conda-pack writes a
# few dozen bytes, tarfile at most a few kilobytes of names and extended attributes.
MAX_PAX_BYTES = 1 << 20
# Larger than any file of a conda env (and than tar's 8 GiB octal limit) by far; sizes
# above are damage or an attack, refused before they are used.
MAX_MEMBER_SIZE = 1 << 42
# mtimes must fit the nanoseconds of utime (int64): about +-292 years from 1970.
MAX_MTIME = 9e9
USED_PAX_KEYS = frozenset({"path", "linkpath", "size", "mtime", "uid", "gid"})


class UnsupportedMember(tarfile.TarError):
    """A member this reader does not extract (sparse files)."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class TarReader:
    """Members of the tar archive read from `stream` (anything with `read(n)`), in order.

    Iterate to get each member; read a regular member's data with `read_data` or
    `iter_data` before asking for the next member (unread data is skipped)."""

    def __init__(self, stream, chunk_size: int = READ_CHUNK):
        self._stream = stream
        self._chunk_size = chunk_size
        self._buffer = b""
        self._position = 0
        self._skip_before_header = 0  # unread data and padding of the current member
        self._data_left = 0
        self._global_pax: dict[str, str] = {}
        self.headers = 0
        self.extension_bytes = 0  # data of PAX and GNU long-name headers, all members

    # ---- bytes ------------------------------------------------------------------------

    def _read(self, size: int) -> bytes:
        """Up to `size` bytes from the stream; short only at its end."""
        data = self._stream.read(size)
        if len(data) == size or not data:
            return data
        parts = [data]
        missing = size - len(data)
        while missing:
            more = self._stream.read(missing)
            if not more:
                break
            parts.append(more)
            missing -= len(more)
        return b"".join(parts)

    def _take(self, size: int, short_ok: bool = False) -> bytes:
        """The next `size` bytes (fewer only at the end of the stream when `short_ok`)."""
        start = self._position
        end = start + size
        if end <= len(self._buffer):
            self._position = end
            return self._buffer[start:end]
        head = self._buffer[start:]
        missing = size - len(head)
        if missing >= self._chunk_size:
            tail = self._read(missing)  # large data: straight from the stream, no buffering
            self._buffer, self._position = b"", 0
        else:
            self._buffer = self._read(self._chunk_size)
            tail = self._buffer[:missing]
            self._position = len(tail)
        if len(tail) < missing and not short_ok:
            raise tarfile.ReadError("unexpected end of data")
        return head + tail if head else tail

    def _skip(self, size: int) -> None:
        available = len(self._buffer) - self._position
        if size <= available:
            self._position += size
            return
        size -= available
        self._buffer, self._position = b"", 0
        while size:
            data = self._stream.read(min(size, self._chunk_size))
            if not data:
                raise tarfile.ReadError("unexpected end of data")
            size -= len(data)

    def _take_padded(self, size: int) -> bytes:
        data = self._take(size)
        self._skip(-size % BLOCK)
        return data

    # ---- data of the current member -----------------------------------------------------

    def read_data(self) -> bytes:
        """All data of the current member (a regular file)."""
        data = self._take(self._data_left)
        self._skip_before_header -= self._data_left
        self._data_left = 0
        return data

    def iter_data(self, chunk_size: int = READ_CHUNK) -> Iterator[memoryview]:
        """The current member's data in chunks, for files too large to hold in memory.
        Each chunk is valid until the next one is asked for (the reader reuses its memory:
        no new buffer and no extra copy per chunk of a large file)."""
        available = min(len(self._buffer) - self._position, self._data_left)
        if available:
            start = self._position
            self._position += available
            self._consumed(available)
            yield memoryview(self._buffer)[start : start + available]
        if not self._data_left:
            return
        self._buffer, self._position = b"", 0
        chunk = bytearray(min(chunk_size, self._data_left))
        view = memoryview(chunk)
        while self._data_left:
            size = min(len(chunk), self._data_left)
            filled = 0
            while filled < size:
                count = self._stream.readinto(view[filled:size])
                if not count:
                    raise tarfile.ReadError("unexpected end of data")
                filled += count
            self._consumed(size)
            yield view[:size]

    def _consumed(self, size: int) -> None:
        self._data_left -= size
        self._skip_before_header -= size

    # ---- headers ------------------------------------------------------------------------

    def __iter__(self) -> Iterator[tarfile.TarInfo]:
        while (member := self.next()) is not None:
            yield member

    def next(self) -> tarfile.TarInfo | None:
        """The next member, or None at the end of the archive."""
        if self._skip_before_header:
            self._skip(self._skip_before_header)
            self._skip_before_header = self._data_left = 0
        pax = dict(self._global_pax) if self._global_pax else {}
        long_name = long_link = None
        extension_bytes = 0  # of the extension headers before this member
        sparse = False  # whether this member's PAX records may name a sparse file
        while True:
            block = self._take(BLOCK, short_ok=True)
            if len(block) < BLOCK:
                if not block and self.headers:
                    return None  # no end-of-archive marker: tarfile accepts that too
                raise tarfile.ReadError("empty file" if not block else "truncated header")
            if block == ZERO_BLOCK:
                if not self.headers:
                    raise tarfile.ReadError("empty file")
                return None
            self.headers += 1
            kind, size = _kind_and_size(block)
            if kind in PAX_TYPES or kind == tarfile.XGLTYPE:
                extension_bytes += size
                if extension_bytes > MAX_PAX_BYTES:
                    raise tarfile.ReadError(
                        f"extended headers of more than {MAX_PAX_BYTES} bytes for one member"
                    )
                raw = self._take_padded(size)
                records = _pax_records(raw)
                if kind == tarfile.XGLTYPE:
                    # kept for every later member: only the keys this reader uses, so
                    # that copying them per member stays cheap
                    if b"GNU.sparse." in raw and _sparse(records):
                        raise UnsupportedMember(_header_name(block), "sparse file")
                    self._global_pax.update(
                        (key, value) for key, value in records.items() if key in USED_PAX_KEYS
                    )
                else:
                    sparse = sparse or b"GNU.sparse." in raw
                pax.update(records)
            elif kind in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK):
                extension_bytes += size
                if size > MAX_LONG_NAME:
                    raise tarfile.ReadError(f"GNU long name of {size} bytes (over {MAX_LONG_NAME})")
                text = _text(self._take_padded(size).split(b"\0", 1)[0])
                if kind == tarfile.GNUTYPE_LONGNAME:
                    long_name = text
                else:
                    long_link = text
            else:
                break
        self.extension_bytes += extension_bytes
        name, mode, mtime, linkname = _member_fields(block)
        name = pax.get("path") or long_name or name
        if kind == tarfile.GNUTYPE_SPARSE or (sparse and _sparse(pax)):
            raise UnsupportedMember(name, "sparse file")
        member = tarfile.TarInfo(name)
        member.mode = mode
        member.type = kind
        member.linkname = pax.get("linkpath") or long_link or linkname
        member.size = size
        member.mtime = mtime
        if pax:
            _apply_pax_numbers(member, pax)
        if kind == tarfile.AREGTYPE and name.endswith("/"):
            member.type = tarfile.DIRTYPE
        if member.type == tarfile.DIRTYPE:
            member.name = name.rstrip("/")
        if member.type in REGULAR_TYPES or member.type not in KNOWN_TYPES:
            self._data_left = member.size
            self._skip_before_header = member.size + (-member.size % BLOCK)
        return member


def _apply_pax_numbers(member: tarfile.TarInfo, pax: dict[str, str]) -> None:
    """Set the member's size and mtime from PAX records, refusing values no real archive
    has (negative, huge, nan or infinite); uid and gid are checked though not used."""
    key = ""
    try:
        if "size" in pax:
            key = "size"
            member.size = _checked_size(_decimal(pax["size"]), member.name)
        if "mtime" in pax:
            key = "mtime"
            member.mtime = float(pax["mtime"])
            if not -MAX_MTIME < member.mtime < MAX_MTIME:  # also false for nan
                raise ValueError
        for key in ("uid", "gid"):
            if key in pax and _decimal(pax[key]) >= 1 << 63:
                raise ValueError
    except (ValueError, tarfile.ReadError):
        value = pax[key][:40] + ("..." if len(pax[key]) > 40 else "")
        raise tarfile.ReadError(
            f"invalid pax header for {member.name!r}: {key} {value!r}"
        ) from None


def _decimal(text: str) -> int:
    """A PAX number: ASCII digits only (int() would also take signs, spaces, "_" and other
    scripts' digits), at most 20 of them."""
    if not (text.isascii() and text.isdigit() and len(text) <= 20):
        raise ValueError(text)
    return int(text)


def _checked_size(size: int, name: str) -> int:
    if not 0 <= size <= MAX_MEMBER_SIZE:
        raise tarfile.ReadError(f"invalid size {size} for {name!r}")
    return size


def _kind_and_size(block: bytes) -> tuple[bytes, int]:
    """(type, size) of a 512-byte header, its checksum checked; the size is never negative
    nor absurd."""
    try:
        checksum = _number(block[148:156])
        if checksum != _unsigned_sum(block) + CHECKSUM_SPACES:
            # some old tars summed signed bytes
            if checksum != sum(SIGNED_BYTES.unpack(block)) + CHECKSUM_SPACES:
                raise tarfile.ReadError("bad checksum")
        size = _number(block[124:136])
    except ValueError:
        raise tarfile.ReadError("invalid header") from None
    if not 0 <= size <= MAX_MEMBER_SIZE:
        _checked_size(size, _header_name(block))
    return block[156:157], size


def _unsigned_sum(block: bytes) -> int:
    """The sum of the header's bytes but its checksum field. Adler-32's low half is one plus
    the sum of its input's bytes modulo 65521, exact for up to 257 bytes: three C calls
    instead of a Python loop over 512 bytes (twice per member, as conda-pack writes a PAX
    header before each)."""
    view = memoryview(block)
    return (
        (adler32(view[:148]) & 0xFFFF)
        + (adler32(view[156:400]) & 0xFFFF)
        + (adler32(view[400:]) & 0xFFFF)
        - 3
    )


def _header_name(block: bytes) -> str:
    name = block[:100].split(b"\0", 1)[0]
    if block[257:263] == USTAR_MAGIC:
        prefix = block[345:500].split(b"\0", 1)[0]
        if prefix:
            name = prefix + b"/" + name
    return _text(name)


def _member_fields(block: bytes) -> tuple[str, int, int, str]:
    """(name, mode, mtime, linkname) of a member's header, whose checksum and size
    `_kind_and_size` checked; the mtime fits utime."""
    try:
        mtime = _number(block[136:148])
        if not -MAX_MTIME < mtime < MAX_MTIME:
            raise ValueError
        return (
            _header_name(block),
            _number(block[100:108]),
            mtime,
            _text(block[157:257].split(b"\0", 1)[0]),
        )
    except ValueError:
        raise tarfile.ReadError("invalid header") from None


def _sparse(records: dict[str, str]) -> bool:
    return any(key.startswith("GNU.sparse.") for key in records)


def _number(field: bytes) -> int:
    """A numeric header field: octal text, or GNU's base-256 when the top bit is set."""
    if field[0] & 0x80:
        value = int.from_bytes(field[1:], "big")
        return value - 256 ** (len(field) - 1) if field[0] == 0xFF else value
    return int(field.split(b"\0", 1)[0].strip() or b"0", 8)


def _text(raw: bytes) -> str:
    # tarfile's default: UTF-8, undecodable bytes kept as surrogates
    return raw.decode("utf-8", "surrogateescape")


def _pax_records(data: bytes) -> dict[str, str]:
    """The "<length> <key>=<value>\\n" records of a PAX header."""
    records = {}
    position, end = 0, len(data)
    while position < end and data[position] != 0:
        space = data.find(b" ", position, position + 21)
        try:
            length = int(data[position:space]) if space > position else 0
        except ValueError:
            length = 0
        record_end = position + length
        if length <= 0 or record_end > end or data[record_end - 1] != 0x0A:
            raise tarfile.ReadError("invalid pax header")
        key, equals, value = data[space + 1 : record_end - 1].partition(b"=")
        if not equals:
            raise tarfile.ReadError("invalid pax header")
        records[_text(key)] = _text(value)
        position = record_end
    return records
