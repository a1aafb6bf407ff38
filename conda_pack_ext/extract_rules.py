"""What extraction refuses of an untrusted pack: members that could escape or harm (see
extract.py), names longer or deeper than the file system takes, and more data than the pack
may unpack to.

Packs come from shared buckets that anyone may write to. A few hundred bytes of gzip can
declare terabytes of files, names longer than the file system takes, or directories nested
deeper than any tool expects; each is refused as soon as its header is read, before any file
is written, so an install ends in bounded time, memory and disk.
"""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import PurePosixPath

from .errors import InvalidInput, PackError

# A pack unpacks to at most this many times its compressed size. conda-pack's gzip packs
# unpack to 2-5 times their size (binaries, Python files); 20 leaves room for the most
# compressible envs while a gzip bomb (up to 1000 times) is stopped early.
DEFAULT_EXPANSION = 20
# ... but a small pack may always unpack to this much (its tar padding alone compresses
# 100-fold, and a gigabyte harms no one).
MIN_DEFAULT_LIMIT = 1 << 30
# Deeper than any env (site-packages files sit about 10 levels down); extraction walks
# directories one level at a time, so depth costs work per member.
MAX_DEPTH = 128
BLOCK = tarfile.BLOCKSIZE
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


class PackTooLarge(InvalidInput):
    """The pack unpacks to more than its limit allows."""


def default_limit(compressed_size: int | None) -> int | None:
    """The unpacked size allowed for a pack of `compressed_size` bytes (None: unknown)."""
    if compressed_size is None:
        return None
    return max(DEFAULT_EXPANSION * compressed_size, MIN_DEFAULT_LIMIT)


def free_space(folder: str) -> int:
    """Bytes an unprivileged user may still write on `folder`'s file system."""
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


class UnpackBudget:
    """The bytes a pack may unpack to: `limit` (None: no limit of its own) and never more
    than the free space of the destination. Each member is charged its header block and
    its data, before the data is written."""

    def __init__(self, destination: str, limit: int | None):
        self.free = free_space(destination)
        self.limit = self.free if limit is None else min(limit, self.free)
        self._by_free_space = self.limit == self.free
        self._destination = destination

    def check(self, used: int, member: str) -> None:
        """Refuse the pack once `used` bytes (all members so far, with `member`) exceed it."""
        if used <= self.limit:
            return
        megabytes = f"{self.limit / 1e6:,.1f} MB"
        if self._by_free_space:
            raise PackError(
                f"no space left on the device for this pack: with {member!r} it unpacks to "
                f"more than the {megabytes} free in {os.path.dirname(self._destination)}",
                "free some space or choose another --conda-pack-folder",
            )
        raise PackTooLarge(
            f"the pack unpacks to more than its limit of {megabytes} (reached at member "
            f"{member!r}): it may be a decompression bomb",
            "if the pack is genuine, raise max_unpacked_size_gb in the [CONDA] section of "
            "~/.ads_ops/config.ini",
        )


class NameLimits:
    """The longest names the destination's file system takes, checked before any work on a
    member: PATH_MAX for a whole path (the destination's own path included), NAME_MAX for
    one component, and a depth limit."""

    def __init__(self, destination: str):
        root = os.fsencode(destination)
        self.path_max = _pathconf(destination, "PC_PATH_MAX", 4096) - len(root) - 2
        self.name_max = _pathconf(destination, "PC_NAME_MAX", 255)

    def problem(self, name: str) -> str | None:
        """Why `name` (a member's name or link target) cannot be made here, or None."""
        encoded = name.encode("utf-8", "surrogateescape")
        if len(encoded) > self.path_max:
            return f"name of {len(encoded)} bytes, over the file system's limit"
        if len(encoded) > self.name_max:
            longest = max(len(part) for part in encoded.split(b"/"))
            if longest > self.name_max:
                return f"path component of {longest} bytes (the limit is {self.name_max})"
        if encoded.count(b"/") >= MAX_DEPTH:
            return f"path more than {MAX_DEPTH} directories deep"
        return None


def _pathconf(folder: str, name: str, fallback: int) -> int:
    try:
        value = os.pathconf(folder, name)
    except (OSError, ValueError):
        return fallback
    return value if value > 0 else fallback


def checked_name(member: tarfile.TarInfo, limits: NameLimits) -> str:
    """The member's normalized relative name, after refusing what could escape or harm."""
    name = member.name
    too_long = limits.problem(name) or (member.linkname and limits.problem(member.linkname))
    if too_long:
        raise UnsafeMember(name[:200] + "..." if len(name) > 200 else name, too_long)
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
    if member.islnk() and ".." in PurePosixPath(member.linkname).parts:
        raise UnsafeMember(name, f"hard link to {member.linkname!r}")
    if not parts and not member.isdir():
        raise UnsafeMember(name, "no file name")
    return "/".join(parts)


def file_mode(member: tarfile.TarInfo) -> int:
    """The `data` filter's mode: no group/other write; executable for all only if the
    owner may execute; always owner read/write."""
    mode = member.mode & 0o755
    if not mode & 0o100:
        mode &= ~0o111
    return mode | 0o600
