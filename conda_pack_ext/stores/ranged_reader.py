"""Reading an object as parallel ranged GETs handed out in order (Object Storage downloads)."""

from __future__ import annotations

import io
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor


class RangedReader(io.RawIOBase):
    """A read-only stream over an object fetched as parallel ranged GETs, in order.

    Up to `parallelism` ranges are in flight; their bytes are handed out strictly in
    order, so the reader sees one sequential stream. Closing it stops the read-ahead."""

    def __init__(self, fetch, size: int, chunk: int, parallelism: int):
        self._fetch = fetch
        self._ranges = deque(
            (start, min(start + chunk, size) - 1) for start in range(0, size, chunk)
        )
        self._pool = ThreadPoolExecutor(max(1, parallelism), thread_name_prefix="download")
        self._ahead = max(1, parallelism)
        self._in_flight: deque[Future] = deque()
        self._buffer = memoryview(b"")
        self._lock = threading.Lock()
        self.size = size
        self._fill()

    def _fill(self) -> None:
        while self._ranges and len(self._in_flight) < self._ahead:
            start, end = self._ranges.popleft()
            self._in_flight.append(self._pool.submit(self._fetch, start, end))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        with self._lock:
            if not self._buffer:
                if not self._in_flight:
                    return 0
                future = self._in_flight.popleft()
                self._buffer = memoryview(future.result())
                self._fill()
            count = min(len(buffer), len(self._buffer))
            buffer[:count] = self._buffer[:count]
            self._buffer = self._buffer[count:]
            return count

    def close(self) -> None:
        if not self.closed:
            for future in self._in_flight:
                future.cancel()
            self._in_flight.clear()
            self._ranges.clear()
            self._pool.shutdown(wait=False, cancel_futures=True)
        super().close()
