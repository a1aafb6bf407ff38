"""The pack store interface shared by Object Storage and folder stores, and `open_store`.

A store is a prefix under which packs sit as ADS lays them out:
`<prefix>/<arch lower>/<name>/<version>/<slug>`, each with its manifest as metadata, plus
`<prefix>/index.json` (see index.py). Keys are object names relative to the bucket (for
Object Storage) or to the store folder (for a local store).
"""

from __future__ import annotations

import json
import os
import posixpath
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import InvalidInput, StoreError
from ..progress import Progress
from ..settings import Settings

INDEX_NAME = "index.json"
# index.json is read whole: one larger than this is refused rather than read
INDEX_MAX_BYTES = 64 << 20
# Object Storage's limit on object names (bytes of UTF-8)
MAX_KEY_BYTES = 1024
# Blocks in which a file is handed to a writer (PackStore.upload)
COPY_CHUNK = 8 << 20
# How an upload in progress is reported as a temporary path (Progress.temp_path):
# `oci://bucket@namespace/object?upload_id=ID`, so that a runner restarted after a crash
# can abort it (OciStore.abort_pending_upload).
UPLOAD_ID_MARK = "?upload_id="


def pending_upload_reference(object_uri: str, upload_id: str) -> str:
    """The temporary path that stands for a multipart upload in progress."""
    return f"{object_uri}{UPLOAD_ID_MARK}{upload_id}"


def is_pending_upload(reference: str) -> bool:
    """Whether a reported temporary path is a multipart upload in progress."""
    return str(reference).startswith("oci://") and UPLOAD_ID_MARK in str(reference)


@dataclass
class ObjectInfo:
    """What a HEAD tells about a stored pack."""

    key: str
    size: int
    manifest: dict | None  # the `manifest` metadata, parsed; None when absent or unreadable
    etag: str = ""


class ObjectWriter(ABC):
    """An object written as its bytes are produced (a pack while it is being packed).

    `write` takes the bytes in order; `commit` makes the object appear, whole, and returns
    its ObjectInfo (size and etag as the store now reports them); `abort` leaves nothing
    (no object, no pending upload, no partial file). Until `commit` returns, nobody sees
    the object. `uploaded` counts the bytes stored so far; `on_uploaded`, when set, is
    called with it from the thread that writes or commits."""

    uploaded: int = 0
    on_uploaded: Callable[[int], None] | None = None

    @abstractmethod
    def write(self, data) -> int: ...

    @abstractmethod
    def commit(self) -> ObjectInfo: ...

    @abstractmethod
    def abort(self) -> None: ...


class IndexChanged(Exception):
    """The index changed since it was read (optimistic concurrency): read it again."""


class IndexTooLarge(StoreError):
    """index.json is over INDEX_MAX_BYTES; `tag` lets a rescan replace it."""

    def __init__(self, uri: str, size: int | None, tag: str | None):
        told = f"{size / 2**20:.0f} MB" if size is not None else "larger than that"
        super().__init__(
            f"{uri} is too large to read ({told}; the limit is {INDEX_MAX_BYTES >> 20} MB)",
            "it is not an index this tool wrote: `list --published --rescan` rebuilds it "
            "from the packs in the store",
        )
        self.tag = tag


# What read_index gives for an index.json that is not JSON (its entries are lost anyway).
UNREADABLE = object()


class PackStore(ABC):
    """One interface over Object Storage and local folders."""

    uri: str  # the store's prefix URI, as configured
    prefix: str  # the key prefix ("" or "a/b", no slashes at the ends)
    # listing page size; small values exercise pagination in tests
    page_limit: int = 1000

    def key(self, *parts: str) -> str:
        """Join key parts under the store prefix the way ADS does."""
        return posixpath.join(*[p.strip("/") for p in (self.prefix, *parts) if p.strip("/")])

    def pack_key(self, manifest: dict, slug: str) -> str:
        """ADS's object name for a pack: <prefix>/<arch lower>/<name>/<version>/<slug>."""
        arch = str(manifest.get("arch_type") or "CPU").lower()
        return self.key(arch, str(manifest["name"]), str(manifest["version"]), slug)

    @property
    def index_key(self) -> str:
        return self.key(INDEX_NAME)

    @abstractmethod
    def object_uri(self, key: str) -> str:
        """The URI users see for a key (oci://bucket@ns/key or file:///dir/key)."""

    @abstractmethod
    def list_keys(self) -> Iterator[tuple[str, int]]:
        """Every pack candidate under the prefix as (key, size), all pages, index excluded."""

    def check_key(self, key: object) -> str:
        """`key` if it names an object under the store prefix; InvalidInput otherwise.

        Object names come from callers, index entries and manifests, all untrusted: none
        may reach outside the prefix (`..`, `.`, empty segments, absolute names, another
        prefix) or carry control characters."""
        problem = key_problem(key, self.prefix)
        if problem:
            shown = repr(key)[:200] if isinstance(key, str) else type(key).__name__
            raise InvalidInput(
                f"refusing the object name {shown}: {problem}",
                f"every object of this store lies under {self.uri}; check the index entry "
                "or the name given (list --published --rescan rebuilds the index)",
            )
        return key  # type: ignore[return-value]

    def head(self, key: str) -> ObjectInfo | None:
        """The size and manifest metadata of a key, or None when it does not exist."""
        return self._head(self.check_key(key))

    def upload(
        self, key: str, path: str, manifest: dict, progress: Progress, overwrite: bool
    ) -> ObjectInfo:
        """Store the file at `path` under `key` with the manifest as metadata.

        All or nothing: on failure or cancel nothing is left under `key` (multipart
        uploads are aborted). Without `overwrite` an existing key is refused (Conflict)."""
        progress.phase("uploading", total=os.path.getsize(path), unit="bytes")
        writer = self.open_writer(key, manifest, progress, overwrite)
        writer.on_uploaded = progress.update
        try:
            with open(path, "rb") as source:
                while chunk := source.read(COPY_CHUNK):
                    progress.check_cancelled()
                    writer.write(chunk)
            return writer.commit()
        except BaseException:
            writer.abort()
            raise

    def open_writer(
        self, key: str, manifest: dict, progress: Progress, overwrite: bool
    ) -> ObjectWriter:
        """An ObjectWriter of `key` with the manifest as metadata: the object's bytes go
        to the store while they are produced. Cancel through `progress` stops the writes
        (Cancelled); the caller aborts the writer on any failure. Without `overwrite` an
        existing key is refused (Conflict) at the latest on commit."""
        return self._open_writer(self.check_key(key), manifest, progress, overwrite)

    def put_bytes(self, key: str, data: bytes, manifest: dict | None = None) -> ObjectInfo:
        """Store a small object (a few kB) under `key`, replacing any."""
        writer = self.open_writer(key, manifest or {}, Progress(), True)
        try:
            writer.write(data)
            return writer.commit()
        except BaseException:
            writer.abort()
            raise

    def read_small(self, key: str, limit: int) -> bytes | None:
        """The bytes of a small object, or None when it does not exist or is over `limit`
        bytes (then it is not what the caller looks for)."""
        info = self.head(key)
        if info is None or info.size > limit:
            return None
        data = bytearray()
        with self.open(key, info.size) as stream:
            while len(data) <= limit and (block := stream.read(limit + 1 - len(data))):
                data += block
        return bytes(data) if len(data) <= limit else None

    def open(self, key: str, size: int) -> BinaryIO:
        """A binary stream of the object's bytes, read in order."""
        return self._open(self.check_key(key), size)

    def delete(self, key: str) -> None:
        """Remove a pack and its metadata; a missing key is not an error."""
        self._delete(self.check_key(key))

    @abstractmethod
    def _head(self, key: str) -> ObjectInfo | None: ...

    @abstractmethod
    def _open_writer(
        self, key: str, manifest: dict, progress: Progress, overwrite: bool
    ) -> ObjectWriter: ...

    @abstractmethod
    def _open(self, key: str, size: int) -> BinaryIO: ...

    @abstractmethod
    def _delete(self, key: str) -> None: ...

    def read_index(self) -> tuple[object, str | None]:
        """(index document, version tag); (None, None) when there is no index yet.

        The document is whatever JSON the file holds (UNREADABLE when it is not JSON):
        index.load_index validates it. Over INDEX_MAX_BYTES raises IndexTooLarge."""
        data, tag = self._read_index_bytes(INDEX_MAX_BYTES)
        if data is None:
            return None, None
        try:
            return json.loads(data), tag
        except (ValueError, RecursionError):
            return UNREADABLE, tag

    @abstractmethod
    def _read_index_bytes(self, limit: int) -> tuple[bytes | None, str | None]:
        """(the bytes of index.json, its version tag), (None, None) when there is none;
        IndexTooLarge when it is over `limit` bytes, without reading it all."""

    @abstractmethod
    def write_index(self, document: dict, expected_tag: str | None) -> None:
        """Replace the index if it still has `expected_tag` (None: if it does not exist);
        otherwise raise IndexChanged."""

    def find_slug(self, slug: str) -> list[str]:
        """Keys of every object named `slug` under the prefix (all listing pages)."""
        return [key for key in self.usable_keys() if posixpath.basename(key) == slug]

    def usable_keys(self, warnings: list[str] | None = None) -> list[str]:
        """The keys of list_keys that check_key accepts (a bucket may hold names like
        `a//b` or `a/../b` that no request of ours may use); the others are named in
        `warnings`."""
        usable = []
        for key, _ in self.list_keys():
            problem = key_problem(key, self.prefix)
            if problem is None:
                usable.append(key)
            elif warnings is not None:
                warnings.append(f"skipped the object {key[:200]!r}: {problem}")
        return usable

    def head_or_warn(self, key: str, warnings: list[str]) -> ObjectInfo | None:
        """head(), with an object that leads outside the store (a symbolic link in a
        folder store) skipped with a warning instead of failing a whole listing."""
        try:
            return self.head(key)
        except InvalidInput as error:
            warnings.append(error.message)
            return None


def key_problem(key: object, prefix: str) -> str | None:
    """Why `key` is not an object name under `prefix` ("" is the whole bucket or folder),
    or None when it is one."""
    if not isinstance(key, str) or not key:
        return "it is not a non-empty string"
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        return f"it is longer than {MAX_KEY_BYTES} bytes"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in key):
        return "it contains control characters"
    if key.startswith("/") or "\\" in key:
        return "it is absolute or contains a backslash"
    segments = key.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return "it has an empty, '.' or '..' segment"
    if prefix and (len(segments) < 2 or not key.startswith(prefix + "/")):
        return f"it is not under the prefix {prefix!r}"
    return None


def manifest_from_metadata(value: str | None) -> dict | None:
    """Parse the `manifest` metadata value (JSON), tolerating packs from other tools."""
    if not value:
        return None
    try:
        manifest = json.loads(value)
    except ValueError:
        return None
    return manifest if isinstance(manifest, dict) else None


def open_store(uri: str, settings: Settings) -> PackStore:
    """The store for `oci://bucket@namespace/prefix` or `file:///absolute/folder`."""
    if uri.startswith("oci://"):
        from .oci_store import OciStore  # imports oci: only when a store is in OCI

        return OciStore(uri, settings)
    if uri.startswith("file://"):
        from .local import LocalStore

        return LocalStore(uri)
    raise InvalidInput(
        f"unsupported store {uri!r}",
        "use oci://bucket@namespace/prefix or file:///absolute/folder",
    )
