"""conda-pack's Packer, with files no package owns streamed instead of read whole.

conda-pack reads each file no conda package owns (pip's files, for instance, which conda-pack
marks `file_mode == "unknown"`) entirely into memory, to decide whether it is text (valid
UTF-8: its prefix is then recorded for conda-unpack) or binary (packed as it is). On a GPU
env with pip-installed CUDA libraries of several hundred MB each, that made the peak memory
of a pack grow with the largest file. Here a large unowned file is decided by decoding it
block by block, and then packed from disk by tarfile, which copies in blocks: the pack holds
the same members and the same conda-unpack records as conda-pack's, in memory bounded by
the block size. Small files (and text scripts in bin/, whose shebang conda-pack may rewrite)
still go through conda-pack's own code.
"""

from __future__ import annotations

import codecs
import os
import stat

from conda_pack.core import BIN_DIR, Packer

# Files up to this size go through conda-pack's code (one read, as before); larger unowned
# files are streamed.
STREAM_ABOVE = 1 << 20
_BLOCK = 1 << 20


def file_sizes(files) -> dict[str, tuple[int, bool]]:
    """{source: (size, is a regular file)} of CondaEnv's files, one lstat each; files that
    are gone are left out (conda-pack reports them when it adds them)."""
    sizes = {}
    for file in files:
        try:
            info = os.lstat(file.source)
        except OSError:
            continue
        sizes[file.source] = (info.st_size, stat.S_ISREG(info.st_mode))
    return sizes


class StreamingPacker(Packer):
    """A Packer whose memory does not grow with the size of unowned files. `sizes` is
    file_sizes() of the files it will add."""

    def __init__(self, prefix, archive, sizes: dict[str, tuple[int, bool]]):
        super().__init__(prefix, archive)
        self.sizes = sizes

    def add(self, file):
        """Add one of CondaEnv's files to the archive, as Packer.add does."""
        if file.file_mode != "unknown" or self.has_dest or file.target.startswith(BIN_DIR):
            return super().add(file)
        size, regular = self.sizes.get(file.source, (0, False))
        if not regular or size <= STREAM_ABOVE:
            return super().add(file)
        if is_utf8_file(file.source):
            # conda-pack treats it as text holding the prefix, for conda-unpack to rewrite
            self.prefixes.append((file.target, self.prefix, "text"))
        self.archive.add(file.source, file.target)
        return None


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
