"""conda-pack's Packer, with the files no conda package owns read once and large ones streamed.

conda-pack reads each file no conda package owns (pip's files, for instance, which conda-pack
marks `file_mode == "unknown"`) entirely into memory, to decide whether it is text (valid
UTF-8: its prefix is then recorded for conda-unpack) or binary (packed as it is). On a GPU
env with pip-installed CUDA libraries of several hundred MB each, that made the peak memory
of a pack grow with the largest file. Here a large unowned file is decided by decoding it
block by block, and then packed from disk by the archive, which copies in blocks; a small one
is read once, with no further system calls than its open and reads (its lstat was taken for
the whole env beforehand: on an env of 20,000 pip files, conda-pack's `isdir`, `islink` and
buffered open per file were a good part of the packing time). The pack holds the same
members and the same conda-unpack records as conda-pack's. Text scripts in bin/ (whose
shebang conda-pack may rewrite) and conda's own files still go through conda-pack's code.
"""

from __future__ import annotations

import codecs
import os
import stat

from conda_pack.compat import on_win
from conda_pack.core import BIN_DIR, Packer

from .tar_writer import is_utf8

# Files up to this size are read whole (one read, as conda-pack does); larger unowned files
# are streamed.
STREAM_ABOVE = 1 << 20
_BLOCK = 1 << 20


def file_stats(files) -> dict[str, os.stat_result]:
    """{source: os.lstat(source)} of CondaEnv's files; files that are gone are left out
    (conda-pack reports them when it adds them)."""
    stats = {}
    for file in files:
        try:
            stats[file.source] = os.lstat(file.source)
        except OSError:
            continue
    return stats


class StreamingPacker(Packer):
    """A Packer whose memory does not grow with the size of unowned files. `stats` is
    file_stats() of the files it will add."""

    def __init__(self, prefix, archive, stats: dict[str, os.stat_result]):
        super().__init__(prefix, archive)
        self.stats = stats

    def add(self, file):
        """Add one of CondaEnv's files to the archive, as Packer.add does."""
        if (
            file.file_mode != "unknown"
            or self.has_dest
            or on_win
            or file.target.startswith(BIN_DIR)
        ):
            return super().add(file)
        info = self.stats.get(file.source)
        if info is None or not stat.S_ISREG(info.st_mode):
            return super().add(file)  # links, folders, and a missing file's error
        if info.st_size > STREAM_ABOVE:
            if is_utf8_file(file.source):
                self._record_text(file)
            self.archive.add(file.source, file.target)
            return None
        data = read_whole(file.source, info.st_size)
        if data.isascii() or is_utf8(data):
            self._record_text(file)
        self.archive.add_bytes(file.source, data, file.target)
        return None

    def _record_text(self, file) -> None:
        # conda-pack treats it as text holding the prefix, for conda-unpack to rewrite
        self.prefixes.append((file.target, self.prefix, "text"))


def read_whole(path: str, size: int) -> bytes:
    """The whole file, whatever its size now (`size` is what lstat said a moment ago)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = [os.read(fd, size + 1)]
        while chunks[-1]:  # usually one more read, which finds the end
            chunks.append(os.read(fd, _BLOCK))
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 2 else b"".join(chunks)


def is_utf8_file(path) -> bool:
    """Whether the whole file decodes as UTF-8 (conda-pack's test for a text file), read in
    blocks: a binary file usually fails in its first block."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as file:
            while block := file.read(_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
