"""Relocate an unpacked conda pack for its new prefix without running anything from it.

conda-pack records which files hold the original prefix (and in which mode) and writes those
records into the pack's `bin/conda-unpack` script, which users run after unpacking. Running
that script would run code from the pack, as the user, at install time. Here the records
are read as data instead: the one assignment `_prefix_records = [...]` is parsed line by
line with `ast.literal_eval`, each line one `(path, placeholder, mode)` tuple as conda-pack
writes it, and anything else is refused. The replacement is our own and gives the same bytes
as conda-pack's `update_prefix`:

- text mode: every occurrence of the placeholder becomes the new prefix (the file may
  change length); it is streamed, so a large file does not need to fit in memory;
- binary mode: each run from a placeholder to the next NUL byte has its placeholders
  replaced and is padded with NULs to its old length, so offsets in the file stay valid;
  a new prefix longer than the placeholder cannot fit and is refused.

Shebangs need nothing at this point: conda-pack rewrote those it could to
`#!/usr/bin/env ...` when packing, and the rest are ordinary text records.

Paths in the records must stay inside the env: relative, without `..`, and not leading
out of it through a symlink. conda-pack never records a symlink (it archives links as
links), so a record naming one is skipped with a warning rather than written through; a
record naming a missing or non-regular file is refused, as conda-unpack would fail on it.
"""

from __future__ import annotations

import ast
import errno
import io
import mmap
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import InvalidInput
from .progress import Progress

UNPACK_SCRIPT = "bin/conda-unpack"
# conda-pack writes this module beside conda-unpack; nothing else uses it
UNPACK_PROGRESS_MODULE = "bin/conda_unpack_progress.py"
RECORDS_START = "_prefix_records = ["
RECORDS_END = "]"
MODES = ("text", "binary")
# A script with 100,000 records of long paths stays far below this.
MAX_SCRIPT_BYTES = 64 * 2**20
MAX_RECORD_LINE = 3 * 4096 + 64  # three quoted paths of at most PATH_MAX
MAX_PATH_BYTES = 4096
# text files up to this size are rewritten in memory, larger ones through a temporary file
IN_MEMORY_BYTES = 16 * 2**20
CHUNK_BYTES = 2**20

# A record as conda-pack writes nearly all of them: three quoted strings without quotes or
# backslashes inside, read without the cost of a parser (one line per recorded file)
PLAIN_RECORD = re.compile(r"\('([^'\\\n\r\0]*)', '([^'\\\n\r\0]*)', '(text|binary)'\),?")

UNREADABLE_HINT = (
    "installs never run code from a pack; repack the environment with conda-pack "
    "(or `conda-pack-ext pack`) so that its bin/conda-unpack holds the prefix records "
    "as conda-pack writes them"
)


@dataclass(frozen=True)
class PrefixRecord:
    """One file that holds the original prefix: its path in the env, the prefix written in
    it (the placeholder) and how to replace it ("text" or "binary")."""

    path: str
    placeholder: str
    mode: str


class PrefixTooLong(InvalidInput):
    """A binary file cannot take the new prefix: it is longer than the original one."""


def read_prefix_records(root: Path) -> list[PrefixRecord] | None:
    """The prefix records of the env unpacked at `root`, read from `bin/conda-unpack` as
    data; None when the env has no such script. Raises InvalidInput when the script does not
    hold them as conda-pack writes them."""
    script = root / UNPACK_SCRIPT
    if not os.path.lexists(script):
        return None
    lines = _read_script(script).split("\n")
    starts = [n for n, line in enumerate(lines) if line.startswith("_prefix_records")]
    if len(starts) != 1 or lines[starts[0]].rstrip() != RECORDS_START:
        raise InvalidInput(
            f"the pack's {UNPACK_SCRIPT} has no prefix records written by conda-pack "
            f"(one line `{RECORDS_START}`): the pack cannot be relocated",
            UNREADABLE_HINT,
        )
    records = []
    for number in range(starts[0] + 1, len(lines)):
        line = lines[number].strip()
        if line == RECORDS_END:
            return records
        if line:
            records.append(_parse_record(line, number + 1))
    raise InvalidInput(
        f"the prefix records in the pack's {UNPACK_SCRIPT} never end (no closing `]`)",
        UNREADABLE_HINT,
    )


def _read_script(script: Path) -> str:
    try:
        descriptor = os.open(script, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise InvalidInput(
            f"the pack's {UNPACK_SCRIPT} cannot be read ({error.strerror})", UNREADABLE_HINT
        ) from None
    with open(descriptor, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SCRIPT_BYTES:
            raise InvalidInput(
                f"the pack's {UNPACK_SCRIPT} is not a regular file of at most "
                f"{MAX_SCRIPT_BYTES // 2**20} MiB",
                UNREADABLE_HINT,
            )
        data = stream.read(MAX_SCRIPT_BYTES + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            f"the pack's {UNPACK_SCRIPT} is not UTF-8 text", UNREADABLE_HINT
        ) from None


def _parse_record(line: str, number: int) -> PrefixRecord:
    """One `('path', 'placeholder', 'mode'),` line, as data only."""
    value = None
    plain = PLAIN_RECORD.fullmatch(line)
    if plain and len(line) <= MAX_RECORD_LINE:
        value = plain.groups()  # what literal_eval gives for quotes without escapes
    elif len(line) <= MAX_RECORD_LINE:
        try:
            value = ast.literal_eval(line.removesuffix(","))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            value = None
    if not (
        isinstance(value, tuple)
        and len(value) == 3
        and all(isinstance(part, str) for part in value)
        and value[2] in MODES
    ):
        raise InvalidInput(
            f"line {number} of the pack's {UNPACK_SCRIPT} is not a prefix record "
            f"('path', 'placeholder', 'text' or 'binary'): {line[:120]!r}",
            UNREADABLE_HINT,
        )
    path, placeholder, mode = value
    _check_path(path, number)
    if not placeholder or "\0" in placeholder or len(placeholder.encode()) > MAX_PATH_BYTES:
        raise InvalidInput(
            f"line {number} of the pack's {UNPACK_SCRIPT} has an invalid placeholder "
            f"{placeholder[:120]!r}",
            UNREADABLE_HINT,
        )
    return PrefixRecord(path, placeholder, mode)


def _check_path(path: str, number: int) -> None:
    parts = path.split("/")
    if (
        not path
        or path.startswith("/")
        or "\0" in path
        or len(path.encode()) > MAX_PATH_BYTES
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise InvalidInput(
            f"line {number} of the pack's {UNPACK_SCRIPT} names a file outside the "
            f"environment or an invalid path: {path[:120]!r}",
            "the pack was changed after conda-pack made it; nothing was installed",
        )


def relocate_env(root: Path, new_prefix: Path, progress: Progress) -> int:
    """Rewrite the prefix records of the env unpacked at `root` for `new_prefix` (where it
    will live), then remove conda-unpack; returns how many files changed. An env without
    bin/conda-unpack (a plain tar of an env, a pack with no prefix files) is left as it is."""
    records = read_prefix_records(root)
    if records is None:
        progress.warn(f"the pack has no {UNPACK_SCRIPT}: prefixes were not rewritten")
        return 0
    targets = _RecordTargets(root)
    new = str(new_prefix).encode()
    changed = 0
    for index, record in enumerate(records):
        if index % 256 == 0:
            progress.check_cancelled()
        descriptor = targets.open(record)
        if descriptor is None:
            progress.warn(f"prefix record for {record.path!r} names a symlink: skipped")
            continue
        try:
            changed += _update_open_file(
                descriptor, targets.path, new, record.placeholder.encode(), record.mode
            )
        finally:
            os.close(descriptor)
    # Deleted rather than left as conda-pack leaves it: its records are applied and the files
    # no longer hold its placeholders, so running it again does nothing useful (and would
    # rewrite the new prefix wherever that contains a placeholder); a later conda-pack of
    # the env would also pack this stale copy beside the script it writes.
    for name in (UNPACK_SCRIPT, UNPACK_PROGRESS_MODULE):
        if os.path.lexists(root / name):
            os.unlink(root / name)
    progress.log(f"relocated {changed} of {len(records)} recorded file(s) to {new_prefix}")
    return changed


class _RecordTargets:
    """Opens the regular files that records name, inside the env at `root`: the folder of
    each is resolved once (records name thousands of files in a few hundred folders), and
    the file itself is opened without following a symlink."""

    def __init__(self, root: Path):
        self._root = os.path.realpath(root)
        self._folders: dict[str, str] = {"": self._root}
        self.path = ""  # of the file opened last, for messages

    def _folder(self, record: PrefixRecord, name: str) -> str:
        folder = self._folders.get(name)
        if folder is None:
            folder = os.path.realpath(os.path.join(self._root, name))
            if not (folder == self._root or folder.startswith(self._root + os.sep)):
                raise InvalidInput(
                    f"the pack's prefix record {record.path!r} leads outside the environment "
                    "through a symlink",
                    "the pack was changed after conda-pack made it; nothing was installed",
                )
            self._folders[name] = folder
        return folder

    def open(self, record: PrefixRecord) -> int | None:
        """A descriptor of the regular file `record` names, open for reading and writing;
        None when it is a symlink (conda-pack never records one)."""
        name, _, base = record.path.rpartition("/")
        self.path = os.path.join(self._folder(record, name), base)
        flags = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            descriptor = os.open(self.path, flags)
        except FileNotFoundError:
            self._refuse(record, "a missing file")
        except OSError as error:
            if error.errno == errno.ELOOP:
                return None
            if error.errno in (errno.EISDIR, errno.ENXIO, errno.ENOTDIR):
                self._refuse(record, "something that is not a regular file")
            raise
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            self._refuse(record, "something that is not a regular file")
        return descriptor

    @staticmethod
    def _refuse(record: PrefixRecord, what: str):
        raise InvalidInput(
            f"the pack's prefix record {record.path!r} names {what}",
            "the pack is incomplete or was changed after conda-pack made it",
        )


def update_prefix(path: Path, new_prefix: str, placeholder: str, mode: str) -> bool:
    """Replace `placeholder` by `new_prefix` in the file at `path` in place, in conda-pack's
    text or binary mode; returns whether the file changed. The file keeps its inode and
    permissions, as with conda-unpack."""
    descriptor = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    try:
        return _update_open_file(
            descriptor, str(path), new_prefix.encode(), placeholder.encode(), mode
        )
    finally:
        os.close(descriptor)


def _update_open_file(descriptor: int, path: str, new: bytes, old: bytes, mode: str) -> bool:
    size = os.fstat(descriptor).st_size
    if mode == "text" and size <= IN_MEMORY_BYTES:
        # most recorded files are small text files, many without the placeholder at all
        # (conda-pack records every text file no package owns): one read decides
        data = _read_all(descriptor, size)
        if old not in data:
            return False
        _write_all(descriptor, data.replace(old, new))
        return True
    with open(descriptor, "r+b", closefd=False) as stream:
        if mode == "binary":
            return _binary_replace(stream, old, new, Path(path))
        return _text_replace(stream, old, new, Path(path))


def _read_all(descriptor: int, size: int) -> bytes:
    parts = []
    while size > 0 and (part := os.read(descriptor, size)):
        parts.append(part)
        size -= len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _write_all(descriptor: int, data: bytes) -> None:
    view, offset = memoryview(data), 0
    while offset < len(view):
        offset += os.pwrite(descriptor, view[offset:], offset)
    os.ftruncate(descriptor, len(view))


def _text_replace(stream: BinaryIO, old: bytes, new: bytes, path: Path) -> bool:
    size = os.fstat(stream.fileno()).st_size
    with (
        io.BytesIO() if size <= IN_MEMORY_BYTES else tempfile.TemporaryFile(dir=path.parent)
    ) as output:
        if not replace_stream(stream, output, old, new):
            return False
        output.seek(0)
        stream.seek(0)
        shutil.copyfileobj(output, stream, CHUNK_BYTES)
        stream.truncate()
    return True


def replace_stream(source: BinaryIO, output: BinaryIO, old: bytes, new: bytes) -> int:
    """Copy `source` to `output` with every `old` replaced by `new`, left to right without
    overlaps (as `bytes.replace`), reading a chunk at a time; returns the count."""
    count, carry = 0, b""
    while chunk := source.read(CHUNK_BYTES):
        buffer, start = carry + chunk, 0
        while (found := buffer.find(old, start)) != -1:
            output.write(buffer[start:found])
            output.write(new)
            start, count = found + len(old), count + 1
        # an occurrence cut by the chunk's end can only start in its last len(old) - 1 bytes
        keep = max(start, len(buffer) - len(old) + 1)
        output.write(buffer[start:keep])
        carry = buffer[keep:]
    output.write(carry)
    return count


def _binary_replace(stream: BinaryIO, old: bytes, new: bytes, path: Path) -> bool:
    """conda-pack's binary mode: each placeholder up to the next NUL (one C string) gets
    its placeholders replaced and NUL padding to the same length. Mapped, not read, so a
    large library needs no memory of its own."""
    size = os.fstat(stream.fileno()).st_size
    if size == 0:
        return False
    changed = False
    with mmap.mmap(stream.fileno(), size) as data:
        found = data.find(old)
        while found != -1:
            end = data.find(b"\0", found + len(old))
            if end == -1:  # no C string ends after it, nor after any later placeholder
                break
            string = data[found:end]
            padding = (len(old) - len(new)) * string.count(old)
            if padding < 0:
                raise PrefixTooLong(
                    f"cannot relocate {path.name}: the install path {new.decode()!r} is "
                    f"longer than the path it was built for ({len(old)} bytes), and binary "
                    "files only have room for that many",
                    "choose a shorter --conda-pack-folder",
                )
            replaced = string.replace(old, new) + b"\0" * (padding + 1)
            if replaced != data[found : end + 1]:
                data[found : end + 1] = replaced
                changed = True
            found = data.find(old, end + 1)
    return changed
