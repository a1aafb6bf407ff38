"""The pack store interface shared by Object Storage and folder stores, and `open_store`.

A store is a prefix under which packs sit as ADS lays them out:
`<prefix>/<arch lower>/<name>/<version>/<slug>`, each with its manifest as metadata, plus
`<prefix>/index.json` (see index.py). Keys are object names relative to the bucket (for
Object Storage) or to the store folder (for a local store).
"""

from __future__ import annotations

import json
import posixpath
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import InvalidInput
from ..progress import Progress
from ..settings import Settings

INDEX_NAME = "index.json"


@dataclass
class ObjectInfo:
    """What a HEAD tells about a stored pack."""

    key: str
    size: int
    manifest: dict | None  # the `manifest` metadata, parsed; None when absent or unreadable
    etag: str = ""


class IndexChanged(Exception):
    """The index changed since it was read (optimistic concurrency): read it again."""


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

    @abstractmethod
    def head(self, key: str) -> ObjectInfo | None:
        """The size and manifest metadata of a key, or None when it does not exist."""

    @abstractmethod
    def upload(
        self, key: str, path: str, manifest: dict, progress: Progress, overwrite: bool
    ) -> None:
        """Store the file at `path` under `key` with the manifest as metadata.

        All or nothing: on failure or cancel nothing is left under `key` (multipart
        uploads are aborted). Without `overwrite` an existing key is refused (Conflict)."""

    @abstractmethod
    def open(self, key: str, size: int) -> BinaryIO:
        """A binary stream of the object's bytes, read in order."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove a pack and its metadata; a missing key is not an error."""

    @abstractmethod
    def read_index(self) -> tuple[dict | None, str | None]:
        """(index document, version tag); (None, None) when there is no index yet."""

    @abstractmethod
    def write_index(self, document: dict, expected_tag: str | None) -> None:
        """Replace the index if it still has `expected_tag` (None: if it does not exist);
        otherwise raise IndexChanged."""

    def find_slug(self, slug: str) -> list[str]:
        """Keys of every object named `slug` under the prefix (all listing pages)."""
        return [key for key, _ in self.list_keys() if posixpath.basename(key) == slug]


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
        from .oci_store import OciStore

        return OciStore(uri, settings)
    if uri.startswith("file://"):
        from .local import LocalStore

        return LocalStore(uri)
    raise InvalidInput(
        f"unsupported store {uri!r}",
        "use oci://bucket@namespace/prefix or file:///absolute/folder",
    )
