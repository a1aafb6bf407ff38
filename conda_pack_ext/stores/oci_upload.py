"""Writing an Object Storage object as its bytes are produced: a multipart upload fed part
by part while a pack is being written (or a file read).

Bytes collect into a part of `part_size`; each full part goes into a small bounded queue
that `parallelism` threads take parts from and upload (with their Content-MD5). When the
uploads fall behind, the queue is full and `write` waits: whoever produces the bytes (the
gzip writer of a pack) is slowed to the link's speed, and memory holds at most
parallelism + 2 parts. The multipart upload is created with the first full part, so an
object of one part or less is one PUT at commit, as before. Cancel (through the
progress) and any failure abort the upload: no pending upload, no object.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import deque

import oci

from ..progress import Progress
from .base import ObjectInfo, ObjectWriter, pending_upload_reference

# How long a waiting writer sleeps between checks of cancel and of the uploads' failure.
POLL_SECONDS = 0.1
# Parts waiting for an upload thread, besides those being uploaded.
QUEUED_PARTS = 1


class MultipartWriter(ObjectWriter):
    def __init__(self, store, key: str, manifest: dict, progress: Progress, overwrite: bool):
        self.store, self.key, self.progress = store, key, progress
        self.metadata = json.dumps(manifest)
        self.condition = {} if overwrite else {"if_none_match": "*"}
        self.part_size = store.part_size
        # the bytes not yet in a part, as written: a part is joined from them, one copy
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.size = 0
        self.upload_id: str | None = None
        self.parts: dict[int, str] = {}  # part number -> etag
        self.part_count = 0
        self.waited = 0.0  # seconds the producer waited for the uploads
        self.failure: BaseException | None = None
        self.stopping = False
        self.lock = threading.Lock()
        self.queue: queue.Queue = queue.Queue(QUEUED_PARTS)
        self.threads: list[threading.Thread] = []
        self._reported = 0
        store._abort_leftover_uploads(key, progress)

    @property
    def what(self) -> str:
        return self.store.object_uri(self.key)

    # ---- the producer's side ----------------------------------------------------------
    def write(self, data) -> int:
        data = bytes(data)  # the gzip writer's blocks are bytes already: no copy
        self.chunks.append(data)
        self.buffered += len(data)
        self.size += len(data)
        # a part is cut only once more bytes follow it: a last part of exactly part_size,
        # or an object of one part, stays buffered for commit
        while self.buffered > self.part_size:
            self._send(self._take(self.part_size))
        self._check()
        return len(data)

    def _take(self, count: int) -> bytes:
        """The first `count` buffered bytes, as one bytes object."""
        taken, size = [], 0
        while size < count:
            chunk = self.chunks.popleft()
            if size + len(chunk) > count:
                cut = count - size
                self.chunks.appendleft(chunk[cut:])
                chunk = chunk[:cut]
            taken.append(chunk)
            size += len(chunk)
        self.buffered -= count
        return b"".join(taken)

    def commit(self) -> ObjectInfo:
        if self.upload_id is None:
            return self._put_whole()
        if self.buffered:
            self._send(self._take(self.buffered))
        self._finish_threads()
        parts = [
            oci.object_storage.models.CommitMultipartUploadPartDetails(part_num=n, etag=etag)
            for n, etag in sorted(self.parts.items())
        ]
        self.progress.check_cancelled()
        response = self.store._call(
            self.store.client.commit_multipart_upload,
            self.store.namespace,
            self.store.bucket,
            self.key,
            self.upload_id,
            oci.object_storage.models.CommitMultipartUploadDetails(parts_to_commit=parts),
            what=f"finish uploading {self.what}",
            **self.condition,
        )
        self.upload_id = None  # committed: nothing left to abort
        if self.waited >= 1:
            self.progress.log(f"the uploads held the pack back for {self.waited:.1f} s")
        return ObjectInfo(self.key, self.size, None, response.headers.get("etag", ""))

    def abort(self) -> None:
        """Stop the uploads and abort the multipart upload (first, so that nothing is left
        pending even if a part in flight takes long to give up)."""
        self.stopping = True
        if self.upload_id is not None:
            self.store._abort(self.key, self.upload_id)
            self.upload_id = None
        self._drain()
        # the threads end when their part in flight does (it fails: the upload is gone)
        for thread in self.threads:
            thread.join(POLL_SECONDS)

    def _put_whole(self) -> ObjectInfo:
        from .oci_store import _md5  # the store module imports this one lazily

        data = self._take(self.buffered)
        self.progress.check_cancelled()
        response = self.store._call(
            self.store.client.put_object,
            self.store.namespace,
            self.store.bucket,
            self.key,
            data,
            content_length=len(data),
            content_md5=_md5(data),
            opc_meta={"manifest": self.metadata},
            what=f"upload {self.what}",
            **self.condition,
        )
        self._add_uploaded(len(data))
        self._report()
        return ObjectInfo(self.key, len(data), None, response.headers.get("etag", ""))

    def _start(self) -> None:
        details = oci.object_storage.models.CreateMultipartUploadDetails(
            object=self.key, metadata={"opc-meta-manifest": self.metadata}
        )
        upload = self.store._call(
            self.store.client.create_multipart_upload,
            self.store.namespace,
            self.store.bucket,
            details,
            what=f"start uploading {self.what}",
            **self.condition,
        ).data
        self.upload_id = upload.upload_id
        # recorded so that a job runner restarted after a crash can abort it
        self.progress.temp_path(pending_upload_reference(self.what, upload.upload_id))
        for number in range(max(1, self.store.parallelism)):
            thread = threading.Thread(
                target=self._upload_parts, name=f"upload-part-{number}", daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def _send(self, part: bytes) -> None:
        """Queue a part, waiting while the queue is full (the uploads are behind)."""
        if self.upload_id is None:
            self._start()
        self.part_count += 1
        item = (self.part_count, part)
        if self._offer(item):
            return
        started = time.monotonic()
        while not self._offer(item):
            self._check()
        self.waited += time.monotonic() - started

    def _offer(self, item) -> bool:
        try:
            self.queue.put(item, timeout=POLL_SECONDS)
        except queue.Full:
            return False
        return True

    def _check(self) -> None:
        """Raise the uploads' failure or Cancelled; report what was uploaded."""
        if self.failure is not None:
            raise self.failure
        self.progress.check_cancelled()
        self._report()

    def _report(self) -> None:
        if self.on_uploaded and self.uploaded != self._reported:
            self._reported = self.uploaded
            self.on_uploaded(self.uploaded)

    def _finish_threads(self) -> None:
        """Wait until every queued part is uploaded (or one failed)."""
        for _ in self.threads:
            while not self._offer(None):
                self._check()
        for thread in self.threads:
            while thread.is_alive():
                thread.join(POLL_SECONDS)
                self._check()
        self._check()

    def _drain(self) -> None:
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                return

    # ---- the upload threads -----------------------------------------------------------
    def _upload_parts(self) -> None:
        while True:
            try:
                item = self.queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if self.stopping:
                    return
                continue
            if item is None or self.stopping:
                return
            if self.failure is not None:
                continue  # drop the rest: the upload is being aborted
            number, data = item
            try:
                etag = self.store._upload_part(self.key, self.upload_id, number, data)
            except BaseException as error:  # noqa: BLE001 - raised in the producer's thread
                with self.lock:
                    self.failure = self.failure or error
                continue
            with self.lock:
                self.parts[number] = etag
            self._add_uploaded(len(data))

    def _add_uploaded(self, count: int) -> None:
        with self.lock:
            self.uploaded += count
