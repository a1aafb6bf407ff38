"""Safe streaming extraction of a pack: one pass over a stream, no seeking, no full read
into memory; the compressed bytes are hashed as they go by.

Rules (stricter than Python's tarfile `data` filter, whose modes and owners we follow):
absolute names and `..` components are refused (the `data` filter would strip or resolve
them), as are device and fifo members, setuid/setgid/sticky bits, absolute link targets,
links whose target leaves the destination, and writes through a symlink that leads out of
it. Files get the archive's mode without group/other write, and no owner change. One
refused member aborts the whole extraction; the caller extracts into a temporary folder
and removes it on any failure. Names beyond the file system's limits, and more data than
the pack may unpack to, are refused before anything is written (extract_rules.py, where
the member checks live).

Speed: the reading thread only parses headers (tar_reader.TarReader, much leaner than
tarfile's stream mode) and makes directories and links; ISA-L decompresses in its own
thread, fed by a thread that reads and hashes the pack (extract_source.py), and file contents go in batches to a few writer threads, which create the files
with plain os calls (no chown, no buffered-IO setup) while the next headers are read:
creating many files is system-call bound, and those calls run without the GIL. The
destination starts empty, so the writer knows what exists without a stat per member.
"""

from __future__ import annotations

import errno
import io
import lzma
import os
import posixpath
import tarfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from isal import isal_zlib

from .errors import PackError
from .extract_rules import (
    NameLimits,
    UnpackBudget,
    UnsafeMember,
    checked_name,
    default_limit,
    file_mode,
)
from .extract_source import READ_BLOCK, DamagedPack, HashingReader, open_decompressed
from .progress import Progress
from .tar_reader import BLOCK, TarReader, UnsupportedMember

# Files up to this size are read into memory and written by a writer thread; larger ones
# are streamed to disk by the reading thread.
THREADED_FILE_LIMIT = 32 << 20
# At most this many bytes of file contents wait for a writer thread; each file also counts
# for its path and bookkeeping, so that a flood of empty files is bounded too.
MAX_BYTES_IN_FLIGHT = 64 << 20
FILE_COST = 1024
# Small files are handed to the writers in batches of this many files or bytes.
BATCH_FILES = 32
BATCH_BYTES = 1 << 20
WRITER_THREADS = 2


def current_umask() -> int:
    """The process umask, read without changing it (os.umask would race other threads)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


@dataclass
class ExtractResult:
    files: int
    unpacked_bytes: int
    compressed_bytes: int
    sha256: str


DIR, FILE, LINK = "dir", "file", "link"


class _Batch:
    """Small files written together by one writer thread: one hand-over per batch instead
    of one per file keeps the reading thread's share of the work small."""

    __slots__ = ("files", "paths", "size", "future")

    def __init__(self):
        self.files: list[tuple[str, bytes, int, float]] | None = []
        self.paths: list[str] = []
        self.size = 0
        self.future: Future | None = None


class TreeWriter:
    """Creates members under `root`. Directories and links are made at once by the reading
    thread; file contents go, in batches, to a small pool of writer threads."""

    def __init__(self, root: Path, threads: int = WRITER_THREADS):
        self.root = os.path.realpath(root)
        self._umask = current_umask()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="extract")
        self._batch = _Batch()
        self._in_flight: deque[_Batch] = deque()
        self._in_flight_bytes = 0
        self._pending: dict[str, _Batch] = {}  # target path -> the batch that writes it
        self._dirs: dict[str, str] = {"": self.root}  # relative dir -> real path
        self._symlinks: set[str] = set()
        # In a root that starts empty, every path is one this writer made: knowing them
        # (real path -> DIR, FILE or LINK) spares a few stat calls per member.
        with os.scandir(self.root) as entries:
            self._made: dict[str, str] | None = None if next(entries, None) else {}

    # -- paths --

    def _inside(self, path: str) -> bool:
        return path == self.root or path.startswith(self.root + os.sep)

    def _kind(self, path: str) -> str | None:
        """What is at `path`: DIR, FILE (or anything else that is not a dir), LINK or None."""
        if self._made is not None:
            return self._made.get(path)
        if os.path.islink(path):
            return LINK
        if os.path.isdir(path):
            return DIR
        return FILE if os.path.lexists(path) else None

    def _record(self, path: str, kind: str | None) -> None:
        if self._made is not None:
            if kind is None:
                self._made.pop(path, None)
            else:
                self._made[path] = kind

    def _real_dir(self, name: str, member: str) -> str:
        """The real path of directory `name`, created if missing with its missing parents;
        refuses one reached through a symlink that leads out of the root."""
        known = self._dirs.get(name)
        if known is not None:
            return known
        missing = []  # names from `name` up to the nearest known directory
        parent = name
        while (path := self._dirs.get(parent)) is None:
            missing.append(parent)
            parent = posixpath.dirname(parent)
        for below in reversed(missing):
            path = self._one_dir(below, os.path.join(path, posixpath.basename(below)), member)
        return path

    def _one_dir(self, name: str, path: str, member: str) -> str:
        """Make directory `name` at `path` (its parent exists) unless it is there."""
        kind = self._kind(path)
        if kind is None:
            try:
                os.mkdir(path)
                kind = DIR
            except FileExistsError:
                kind = LINK if os.path.islink(path) else None
            self._record(path, kind)
        if kind == LINK:
            path = os.path.realpath(path)
            if not self._inside(path):
                raise UnsafeMember(member, "path leads through a link out of the environment")
        if kind != DIR and not os.path.isdir(path):
            raise UnsafeMember(member, f"{name!r} is not a directory")
        self._dirs[name] = path
        return path

    def _target(self, name: str, member: str) -> str:
        parent, base = posixpath.split(name)
        return os.path.join(self._real_dir(parent, member), base)

    def _wait_for(self, path: str) -> None:
        """Let a queued write of `path` finish."""
        batch = self._pending.pop(path, None)
        if batch is not None:
            if batch.future is None:
                self._send_batch()
            batch.future.result()

    def _make_room(self, path: str) -> None:
        """Let an earlier write of the same path finish, then remove what is there (a later
        member replaces an earlier one, as with tar; directories are never replaced)."""
        if self._made is not None and path not in self._made:
            return
        self._wait_for(path)
        kind = self._kind(path)
        if kind == DIR:
            raise FileExistsError(errno.EEXIST, "a directory is in the way", path)
        if kind is not None:
            os.unlink(path)
            self._record(path, None)

    # -- members --

    def add(self, member: tarfile.TarInfo, name: str, archive: TarReader) -> None:
        if member.isdir():
            self._real_dir(name, member.name)
        elif member.isreg():
            self._add_file(member, name, archive)
        elif member.issym():
            self._add_symlink(member, name)
        else:
            self._add_hardlink(member, name)

    def _add_file(self, member, name, archive: TarReader) -> None:
        path = self._target(name, member.name)
        self._make_room(path)
        mode, mtime = file_mode(member), member.mtime
        if member.size > THREADED_FILE_LIMIT:
            _write_file(path, archive.iter_data(), mode, mtime, self._umask)
            self._record(path, FILE)
            return
        data = archive.read_data()
        cost = len(data) + FILE_COST
        while self._in_flight and self._in_flight_bytes + cost > MAX_BYTES_IN_FLIGHT:
            done = self._in_flight.popleft()
            done.future.result()
            self._in_flight_bytes -= done.size
            for written in done.paths:
                if self._pending.get(written) is done:
                    del self._pending[written]
        batch = self._batch
        batch.files.append((path, data, mode, mtime))
        batch.paths.append(path)
        batch.size += cost
        self._pending[path] = batch
        self._record(path, FILE)
        if batch.size >= BATCH_BYTES or len(batch.files) >= BATCH_FILES:
            self._send_batch()

    def _send_batch(self) -> None:
        batch = self._batch
        if not batch.files:
            return
        batch.future = self._pool.submit(_write_batch, batch, self._umask)
        self._in_flight.append(batch)
        self._in_flight_bytes += batch.size
        self._batch = _Batch()

    def _add_symlink(self, member, name) -> None:
        path = self._target(name, member.name)
        resolved = os.path.realpath(os.path.join(os.path.dirname(path), member.linkname))
        if not self._inside(resolved):
            raise UnsafeMember(member.name, f"link to {member.linkname!r} leaves the environment")
        replaces_link = self._kind(path) == LINK
        self._make_room(path)
        os.symlink(member.linkname, path)
        self._record(path, LINK)
        self._symlinks.add(name)
        if replaces_link:  # directories reached through the old link must be found again
            self._dirs = {
                d: real
                for d, real in self._dirs.items()
                if d != name and not d.startswith(name + "/")
            }

    def _add_hardlink(self, member, name) -> None:
        source = self._target("/".join(PurePosixPath(member.linkname).parts), member.name)
        self._wait_for(source)
        resolved = os.path.realpath(source)
        self._wait_for(resolved)
        if not self._inside(resolved):
            raise UnsafeMember(member.name, f"link to {member.linkname!r} leaves the environment")
        if not os.path.isfile(resolved):
            raise UnsafeMember(member.name, f"hard link to missing {member.linkname!r}")
        path = self._target(name, member.name)
        self._make_room(path)
        os.link(resolved, path)
        self._record(path, FILE)

    def finish(self) -> None:
        """Wait for every write, then check that no symlink leads out (a later member can
        change where an earlier link's relative target resolves)."""
        self._send_batch()
        self._pool.shutdown(wait=True)
        for batch in self._in_flight:
            batch.future.result()
        for name in sorted(self._symlinks):
            if not self._inside(os.path.realpath(os.path.join(self.root, name))):
                raise UnsafeMember(name, "link leads out of the environment")

    def abort(self) -> None:
        """Stop: no write may land after the caller deletes the folder."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _write_batch(batch: _Batch, umask: int) -> None:
    files, batch.files = batch.files, None  # the contents are freed once written
    for path, data, mode, mtime in files:
        _write_file(path, (data,), mode, mtime, umask)


def _write_file(path: str, chunks, mode: int, mtime: float, umask: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, mode)
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
        if mode & umask:
            os.fchmod(fd, mode)  # the umask narrowed the mode given to open
        os.utime(fd, ns=(int(mtime * 1e9),) * 2)
    finally:
        os.close(fd)


def extract_stream(
    stream,
    destination: Path,
    progress: Progress,
    *,
    total_bytes: int | None = None,
    max_unpacked_bytes: int | None = None,
) -> ExtractResult:
    """Extract the tar archive read from `stream` into `destination` (an empty folder).

    The pack may unpack to `max_unpacked_bytes` (default: extract_rules.default_limit of
    `total_bytes`, its compressed size), and never to more than the free space there.
    Reads `stream` to its end so that the returned sha256 covers every byte. Raises
    UnsafeMember, DamagedPack, PackTooLarge, Cancelled, or PackError (disk full); the
    caller removes `destination` on failure.
    """
    progress.phase("extracting", total=total_bytes, unit="bytes")
    hashing = HashingReader(stream, check_cancelled=progress.check_cancelled)
    buffered = io.BufferedReader(hashing, buffer_size=READ_BLOCK)
    files = unpacked = reported = 0
    writer = TreeWriter(destination)
    limits = NameLimits(writer.root)
    if max_unpacked_bytes is None:
        max_unpacked_bytes = default_limit(total_bytes)
    budget = UnpackBudget(writer.root, max_unpacked_bytes)
    try:
        tar_bytes = open_decompressed(buffered)
        try:
            archive = TarReader(tar_bytes)
            for member in archive:
                progress.check_cancelled()
                if hashing.count != reported:  # once per block read, not per member
                    reported = hashing.count
                    progress.update(reported)
                name = checked_name(member, limits)
                unpacked += member.size if member.isreg() else 0
                # headers count too: a flood of empty members fills a disk's inodes
                budget.check(unpacked + BLOCK * archive.headers + archive.extension_bytes, name)
                writer.add(member, name, archive)
                files += 1
            writer.finish()
            # Read past the tar end marker and the compressed trailer: the checksum covers
            # the whole file, and a damaged gzip trailer (CRC, length) is detected here.
            while tar_bytes.read(READ_BLOCK):
                progress.check_cancelled()
            while buffered.read(READ_BLOCK):
                pass
        finally:
            if tar_bytes is not buffered:
                tar_bytes.close()
    except BaseException as error:
        writer.abort()
        raise _explained(error, destination) from None
    finally:
        hashing.close()
    if files == 0:
        raise DamagedPack("the pack holds no files", "download or build it again")
    return ExtractResult(
        files=files,
        unpacked_bytes=unpacked,
        compressed_bytes=hashing.count,
        sha256=hashing.digest.hexdigest(),
    )


def _explained(error: BaseException, destination: Path) -> BaseException:
    """The error to show for a failed extraction."""
    if isinstance(error, PackError) or not isinstance(error, Exception):
        return error  # ours already, or KeyboardInterrupt and the like
    if isinstance(error, UnsupportedMember):
        return UnsafeMember(error.name, error.reason)
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return PackError(
            f"no space left on the device while extracting into {destination.parent}",
            "free some space or choose another --conda-pack-folder",
        )
    if isinstance(error, OSError) and error.errno is not None:
        return PackError(f"cannot write the environment: {error}")
    if isinstance(
        error, OSError | tarfile.TarError | EOFError | ValueError | lzma.LZMAError | isal_zlib.error
    ):
        detail = str(error) or type(error).__name__
        return DamagedPack(
            f"the pack is damaged or truncated: {detail}",
            "download it again; if it keeps failing, publish the pack again",
        )
    return error
