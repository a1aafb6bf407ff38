"""The bytes an extraction reads: the pack's stream, read ahead and hashed in a thread of
its own, then decompressed in another (extract.py parses and writes what comes out).

Decompressing is the one step of an install that cannot be split (a gzip stream is one
chain), so the thread doing it must do nothing else: reading the pack (from a disk or the
network) and its sha256 (1.5 s for a 1.8 GB pack) run in the reading thread here, which
hands blocks over through a short queue. hashlib and ISA-L release the GIL on large
buffers, so the two threads run on two CPUs.
"""

from __future__ import annotations

import bz2
import hashlib
import io
import lzma
import queue
import threading

from isal import igzip_threaded

from .errors import InvalidInput

GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
TAR_MAGIC_OFFSET = 257  # "ustar" sits here in POSIX and GNU tar headers
READ_BLOCK = 1 << 20
# Blocks read ahead of the decompression: enough to ride out a slow read (a ranged GET
# that arrives late), little memory.
READ_AHEAD_BLOCKS = 8
_STOP_POLL_SECONDS = 0.1


class DamagedPack(InvalidInput):
    """The stream is not a complete, readable tar archive."""


class HashingReader(io.RawIOBase):
    """A read-only stream over `stream`, read ahead in blocks by a thread of its own that
    also hashes them; `digest` and `count` are complete once the stream is read to its end.

    `check_cancelled` runs in whichever thread reads this stream (the decompression thread),
    whose exception reaches the extraction. Close it to stop the thread."""

    def __init__(self, stream, check_cancelled=None, block: int = READ_BLOCK):
        self._stream = stream
        self._check_cancelled = check_cancelled
        self._block = block
        self.digest = hashlib.sha256()
        self.count = 0  # bytes handed out so far
        self._blocks: queue.Queue = queue.Queue(READ_AHEAD_BLOCKS)
        self._pending = memoryview(b"")
        self._done = False
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._read_ahead, name="pack-read", daemon=True)
        self._thread.start()

    def _read_ahead(self) -> None:
        try:
            while not self._stopping.is_set():
                data = self._stream.read(self._block)
                if data:
                    self.digest.update(data)
                if not self._hand_over(data) or not data:
                    return
        except BaseException as error:  # noqa: BLE001 - raised again in the reading thread
            self._hand_over(error)

    def _hand_over(self, item) -> bool:
        while not self._stopping.is_set():
            try:
                self._blocks.put(item, timeout=_STOP_POLL_SECONDS)
                return True
            except queue.Full:
                pass
        return False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self._pending:
            if self._done:
                return 0
            item = self._blocks.get()
            if isinstance(item, BaseException):
                self._done = True
                raise item
            if not item:
                self._done = True
                return 0
            self._pending = memoryview(item)
            if self._check_cancelled:
                self._check_cancelled()
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.count += size
        return size

    def close(self) -> None:
        if not self.closed:
            self._stopping.set()
            while True:  # free a block the thread may be waiting to hand over
                try:
                    self._blocks.get_nowait()
                except queue.Empty:
                    break
            self._thread.join()
        super().close()


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
