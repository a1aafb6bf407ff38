"""State files private to the user: lock files, the job history, index caches.

They are created 0600 (never created wider and narrowed after), an existing one is
tightened to 0600, and a symlink planted where one of them goes is refused rather than
followed: opening it must not create or truncate a file elsewhere.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .errors import InvalidInput

PRIVATE_MODE = 0o600


def open_private(path: str | os.PathLike, flags: int = os.O_RDWR) -> int:
    """A file descriptor of the regular file at `path`, created 0600 when missing.

    Never follows a symlink at `path`; refuses anything but a regular file (a FIFO or a
    device planted there). An existing file we own is tightened to 0600."""
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_MODE)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise _refused(path, "it is a symbolic link") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refused(path, "it is not a regular file")
        if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.getuid():
            os.fchmod(fd, PRIVATE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def create_private(path: str | os.PathLike) -> None:
    """Make sure the regular file at `path` exists and is private (0600)."""
    os.close(open_private(path, os.O_RDONLY))


def _refused(path: str | os.PathLike, why: str) -> InvalidInput:
    return InvalidInput(
        f"refusing to use {Path(path)}: {why}",
        "remove it (conda-pack-ext creates this file itself) and try again",
    )
