"""`<prefix>/index.json`: every published pack, read in one request.

Document: `{"index_version": 1, "packs": [entry, ...]}`, an entry being the pack's manifest
fields plus `path` (object key), `uri`, `sha256`, `size` and `published` (UTC, ISO 8601).
Writers never lock: they read the index with its version tag, change it, and write it back
only if the tag still matches (Object Storage `if-match` / `if-none-match: *`; a checked
rename under an fcntl lock for folders), retrying from a fresh read when another writer won.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from ..errors import StoreError
from .base import IndexChanged, PackStore

INDEX_VERSION = 1
WRITE_ATTEMPTS = 20
# Entry fields shown by `list --published` besides the manifest's own.
ENTRY_FIELDS = ("slug", "name", "version", "arch_type", "python", "size_mb", "sha256", "uri")


def empty_index() -> dict:
    return {"index_version": INDEX_VERSION, "packs": []}


def entries(document: dict | None) -> list[dict]:
    packs = (document or {}).get("packs")
    return (
        [p for p in packs if isinstance(p, dict) and p.get("path")]
        if isinstance(packs, list)
        else []
    )


def make_entry(
    manifest: dict, *, path: str, uri: str, sha256: str | None, size: int, published: str
) -> dict:
    """An index entry: the manifest's fields plus where and what the object is."""
    entry = {k: v for k, v in manifest.items() if v not in (None, "", [], {})}
    entry.update(path=path, uri=uri, size=size, published=published)
    entry.setdefault("pack_uri", uri)
    entry["sha256"] = sha256 or None  # not the manifest's own: it may be stale (publish.py)
    for name in ENTRY_FIELDS:
        entry.setdefault(name, None)
    return entry


def update_index(store: PackStore, change: Callable[[list[dict]], list[dict]]) -> list[dict]:
    """Apply `change` (old entries -> new entries) to the index, retrying on races."""
    for attempt in range(WRITE_ATTEMPTS):
        document, tag = store.read_index()
        new_entries = sorted(
            change(entries(document)), key=lambda e: (str(e.get("slug")), e["path"])
        )
        new_document = dict(document or empty_index())
        new_document.update(index_version=INDEX_VERSION, packs=new_entries)
        try:
            store.write_index(new_document, tag)
            return new_entries
        except IndexChanged:
            # another publisher won the race: back off (jittered, growing), then start
            # again from its version
            time.sleep(random.uniform(0, min(2.0, 0.02 * 2**attempt)))
    raise StoreError(
        f"could not update {store.object_uri(store.index_key)}: it kept changing",
        "other publishes are running against the same prefix; try again",
    )


def upsert(entry: dict) -> Callable[[list[dict]], list[dict]]:
    """A change that adds `entry`, replacing any entry of the same object or slug."""

    def change(old: list[dict]) -> list[dict]:
        kept = [e for e in old if e["path"] != entry["path"] and e.get("slug") != entry["slug"]]
        return [*kept, entry]

    return change


def remove_paths(paths: set[str]) -> Callable[[list[dict]], list[dict]]:
    def change(old: list[dict]) -> list[dict]:
        return [e for e in old if e["path"] not in paths]

    return change
