"""Bounds on what an untrusted pack may make: the length and depth of its names, and how
much it may unpack.

Packs come from shared buckets that anyone may write to. A few hundred bytes of gzip can
declare terabytes of files, names longer than the file system takes, or directories nested
deeper than any tool expects; each is refused as soon as its header is read, before any file
is written, so an install ends in bounded time, memory and disk.
"""

from __future__ import annotations

import os
import tarfile

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
