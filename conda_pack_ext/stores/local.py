"""A pack store in a local folder (`file:///absolute/folder`), laid out like Object Storage.

A pack `<arch>/<name>/<version>/<slug>` has its metadata in the sidecar `<slug>.json`
(`{"manifest": {...}}`). Files appear by atomic rename only, so a reader never sees a
partial pack; the index is replaced under an fcntl lock after checking its version.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from ..errors import Conflict, InvalidInput, StoreError
from ..private_files import open_private
from ..progress import Progress
from .base import (
    COPY_CHUNK,
    INDEX_NAME,
    IndexChanged,
    IndexTooLarge,
    ObjectInfo,
    ObjectWriter,
    PackStore,
)

SIDECAR_SUFFIX = ".json"


def folder_from_uri(uri: str) -> Path:
    parts = urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise InvalidInput(f"bad folder store URI {uri!r}", "use file:///absolute/folder")
    path = Path(unquote(parts.path))
    if not path.is_absolute():
        raise InvalidInput(f"folder store {uri!r} is not absolute", "use file:///absolute/folder")
    return path


class LocalStore(PackStore):
    def __init__(self, uri: str):
        self.root = folder_from_uri(uri)
        self.uri = self.root.as_uri()
        self.prefix = ""

    def path(self, key: str) -> Path:
        """The file of `key` (checked by check_key), refusing symlinks that lead out of
        the store folder."""
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise InvalidInput(
                f"the object {key!r} leads outside the store folder {self.root} "
                "(through a symbolic link)",
                "remove the link from the store folder",
            )
        return path

    def object_uri(self, key: str) -> str:
        return (self.root / key).as_uri()

    @contextlib.contextmanager
    def _lock(self, name: str):
        self.root.mkdir(parents=True, exist_ok=True)
        fd = open_private(self.root / name)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def list_keys(self) -> Iterator[tuple[str, int]]:
        if not self.root.is_dir():
            return
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            names = set(files)
            for name in sorted(files):
                if name.startswith(".") or (name == INDEX_NAME and folder == str(self.root)):
                    continue
                if name.endswith(SIDECAR_SUFFIX) and name[: -len(SIDECAR_SUFFIX)] in names:
                    continue
                path = Path(folder) / name
                yield path.relative_to(self.root).as_posix(), path.stat().st_size

    def _head(self, key: str) -> ObjectInfo | None:
        path = self.path(key)
        if not path.is_file():
            return None
        manifest = None
        sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(sidecar.read_text())
            if isinstance(data.get("manifest"), dict):
                manifest = data["manifest"]
        stat = path.stat()
        return ObjectInfo(key, stat.st_size, manifest, f"{stat.st_mtime_ns}-{stat.st_ino}")

    def _open_writer(self, key, manifest, progress: Progress, overwrite: bool) -> ObjectWriter:
        return _FileWriter(self, key, manifest, overwrite)

    def _open(self, key: str, size: int) -> BinaryIO:
        try:
            return open(self.path(key), "rb")
        except FileNotFoundError:
            raise StoreError(f"{self.object_uri(key)} does not exist") from None

    def _delete(self, key: str) -> None:
        path = self.path(key)
        with self._lock(".publish.lock"):
            for victim in (path, path.with_name(path.name + SIDECAR_SUFFIX)):
                with contextlib.suppress(FileNotFoundError):
                    victim.unlink()
        # drop folders the pack leaves empty, never the store folder itself
        folder = path.parent
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent

    def _index_path(self) -> Path:
        return self.root / INDEX_NAME

    @staticmethod
    def _tag(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def _read_index_bytes(self, limit: int) -> tuple[bytes | None, str | None]:
        try:
            fd = os.open(self._index_path(), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None, None
        except OSError as error:
            raise StoreError(
                f"cannot read {self._index_path()}: {error.strerror or error}",
                "it must be a regular file (not a link) that you can read",
            ) from None
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            size = os.path.getsize(self._index_path())
            raise IndexTooLarge(self.object_uri(INDEX_NAME), size, self._tag_of_file())
        return data, self._tag(data)

    def _tag_of_file(self) -> str | None:
        """The tag of the index file as it is now, read in blocks (it may be huge)."""
        digest = hashlib.sha256()
        try:
            with open(self._index_path(), "rb") as handle:
                while block := handle.read(COPY_CHUNK):
                    digest.update(block)
        except FileNotFoundError:
            return None
        return digest.hexdigest()

    def write_index(self, document: dict, expected_tag: str | None) -> None:
        data = json.dumps(document, indent=1, sort_keys=True).encode()
        with self._lock(".index.lock"):
            if self._tag_of_file() != expected_tag:
                raise IndexChanged()
            partial = self.root / f".{INDEX_NAME}.{uuid.uuid4().hex}.partial"
            partial.write_bytes(data)
            os.replace(partial, self._index_path())


class _FileWriter(ObjectWriter):
    """A pack written into a hidden partial file beside its place, renamed into place with
    its metadata sidecar on commit (the object appears last: a visible pack always has its
    metadata)."""

    def __init__(self, store: LocalStore, key: str, manifest: dict, overwrite: bool):
        self.store, self.key, self.manifest, self.overwrite = store, key, manifest, overwrite
        self.target = store.path(key)
        token = uuid.uuid4().hex
        self.partial = self.target.with_name(f".{self.target.name}.{token}.partial")
        self.sidecar_partial = self.target.with_name(f".{self.target.name}.{token}.json.partial")
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.partial, "wb")  # noqa: SIM115 - closed by commit or abort
        except OSError as error:
            raise self._failure(error) from None

    def write(self, data) -> int:
        try:
            written = self.file.write(data)
        except OSError as error:
            raise self._failure(error) from None
        self.uploaded += written
        if self.on_uploaded:
            self.on_uploaded(self.uploaded)
        return written

    def commit(self) -> ObjectInfo:
        target = self.target
        try:
            self.file.close()
            self.sidecar_partial.write_text(json.dumps({"manifest": self.manifest}, indent=1))
            with self.store._lock(".publish.lock"):
                if target.exists() and not self.overwrite:
                    raise Conflict(
                        f"{self.store.object_uri(self.key)} already exists", "pass -o to replace it"
                    )
                os.replace(self.sidecar_partial, target.with_name(target.name + SIDECAR_SUFFIX))
                os.replace(self.partial, target)
        except OSError as error:
            raise self._failure(error) from None
        finally:
            self._remove_partials()
        return self.store._head(self.key)

    def abort(self) -> None:
        self._remove_partials()

    def _remove_partials(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
        for leftover in (self.partial, self.sidecar_partial):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()

    def _failure(self, error: OSError) -> StoreError:
        return StoreError(f"cannot write {self.target}: {error.strerror or error}")
