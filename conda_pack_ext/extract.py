"""Safe streaming extraction of a pack: one pass over a stream, no seeking, no full read
into memory; the compressed bytes are hashed as they go by.

Members are checked with rules stricter than Python's tarfile `data` filter: absolute
names and `..` components are refused (the `data` filter would strip or resolve them),
as are device and fifo members, setuid/setgid/sticky bits, and links whose target
leaves the destination. One refused member aborts the whole extraction; the caller
extracts into a temporary folder and removes it on any failure.
"""

from __future__ import annotations

import bz2
import errno
import hashlib
import io
import lzma
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from isal import igzip_threaded, isal_zlib

from .errors import InvalidInput, PackError
from .progress import Progress

GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
TAR_MAGIC_OFFSET = 257  # "ustar" sits here in POSIX and GNU tar headers
READ_BLOCK = 1 << 20
# tarfile's stream buffer: large enough to cut Python-level read calls, small enough
# that slicing off a 512-byte header does not copy much.
TAR_STREAM_BUFFER = 256 * 1024
SPECIAL_MODE_BITS = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX


class UnsafeMember(InvalidInput):
    """A tarball member that could write outside the environment or create a risky file."""

    def __init__(self, member: str, reason: str):
        super().__init__(
            f"refused unsafe member {member!r} in the pack: {reason}",
            "the pack was not installed; only install packs made by conda-pack from a "
            "trusted source",
        )
        self.member = member


class DamagedPack(InvalidInput):
    """The stream is not a complete, readable tar archive."""


@dataclass
class ExtractResult:
    files: int
    unpacked_bytes: int
    compressed_bytes: int
    sha256: str


class HashingReader(io.RawIOBase):
    """A read-only stream that hashes and counts what passes through it."""

    def __init__(self, stream, check_cancelled=None):
        self._stream = stream
        self._check_cancelled = check_cancelled
        self.digest = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        if not data:
            return 0
        size = len(data)
        buffer[:size] = data
        self.digest.update(data)
        self.count += size
        if self._check_cancelled:
            # may run in the decompression thread; its exception reaches the reader
            self._check_cancelled()
        return size


def open_decompressed(stream: io.BufferedReader):
    """A stream of the tar bytes inside `stream`, chosen by its magic number.

    gzip, the format conda-pack and ADS use, is decompressed by ISA-L in a worker thread,
    so that decompression overlaps with writing files.
    """
    head = stream.peek(TAR_MAGIC_OFFSET + 5)
    if head.startswith(GZIP_MAGIC):
        return igzip_threaded.open(stream, "rb", threads=1, block_size=READ_BLOCK)
    if head.startswith(BZIP2_MAGIC):
        return bz2.BZ2File(stream, "rb")
    if head.startswith(XZ_MAGIC):
        return lzma.LZMAFile(stream, "rb")
    if head[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + 5] == b"ustar":
        return stream
    if not head:
        raise DamagedPack("the pack is empty", "download or build it again")
    raise DamagedPack(
        "the pack is not a tar archive (.tar.gz, .tar.bz2, .tar.xz or .tar)",
        "conda-pack-ext installs packs made by conda-pack in tar format",
    )


def check_member(member: tarfile.TarInfo, destination: str) -> tarfile.TarInfo:
    """The tarfile filter: refuse what could escape or harm, then apply the `data` rules."""
    name = member.name
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (parts and parts[0].endswith(":")):
        raise UnsafeMember(name, "absolute path")
    if ".." in parts:
        raise UnsafeMember(name, "path with '..'")
    if member.ischr() or member.isblk():
        raise UnsafeMember(name, "device file")
    if member.isfifo():
        raise UnsafeMember(name, "fifo")
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        raise UnsafeMember(name, f"unsupported member type {member.type!r}")
    if member.mode & SPECIAL_MODE_BITS:
        raise UnsafeMember(name, "setuid, setgid or sticky bit")
    if member.issym() or member.islnk():
        if member.linkname.startswith("/"):
            raise UnsafeMember(name, f"link to absolute path {member.linkname!r}")
    try:
        return tarfile.data_filter(member, destination)
    except tarfile.FilterError as error:
        raise UnsafeMember(name, str(error)) from None


def extract_stream(
    stream,
    destination: Path,
    progress: Progress,
    *,
    total_bytes: int | None = None,
) -> ExtractResult:
    """Extract the tar archive read from `stream` into `destination` (an empty folder).

    Reads `stream` to its end so that the returned sha256 covers every byte. Raises
    UnsafeMember, DamagedPack, Cancelled, or PackError (disk full); the caller removes
    `destination` on failure.
    """
    progress.phase("extracting", total=total_bytes, unit="bytes")
    hashing = HashingReader(stream, check_cancelled=progress.check_cancelled)
    buffered = io.BufferedReader(hashing, buffer_size=READ_BLOCK)
    files = 0
    unpacked = 0

    def members(archive: tarfile.TarFile):
        nonlocal files, unpacked
        for member in archive:
            progress.check_cancelled()
            progress.update(hashing.count)
            files += 1
            unpacked += member.size if member.isreg() else 0
            yield member

    try:
        tar_bytes = open_decompressed(buffered)
        try:
            with tarfile.open(
                fileobj=tar_bytes, mode="r|", bufsize=TAR_STREAM_BUFFER, errorlevel=1
            ) as archive:
                archive.copybufsize = READ_BLOCK
                archive.extractall(destination, members=members(archive), filter=check_member)
            # Read past the tar end marker and the compressed trailer: the checksum covers
            # the whole file, and a damaged gzip trailer (CRC, length) is detected here.
            while tar_bytes.read(READ_BLOCK):
                progress.check_cancelled()
            while buffered.read(READ_BLOCK):
                pass
        finally:
            if tar_bytes is not buffered:
                tar_bytes.close()
    except (UnsafeMember, DamagedPack):
        raise
    except PackError:
        raise
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise PackError(
                f"no space left on the device while extracting into {destination.parent}",
                "free some space or choose another --conda-pack-folder",
            ) from None
        if error.errno is not None:
            raise PackError(f"cannot write the environment: {error}") from None
        raise _damaged(error) from None
    except (tarfile.TarError, EOFError, ValueError, lzma.LZMAError, isal_zlib.error) as error:
        raise _damaged(error) from None
    if files == 0:
        raise DamagedPack("the pack holds no files", "download or build it again")
    return ExtractResult(
        files=files,
        unpacked_bytes=unpacked,
        compressed_bytes=hashing.count,
        sha256=hashing.digest.hexdigest(),
    )


def _damaged(error: Exception) -> DamagedPack:
    detail = str(error) or type(error).__name__
    return DamagedPack(
        f"the pack is damaged or truncated: {detail}",
        "download it again; if it keeps failing, publish the pack again",
    )
