"""`<prefix>/index.json`: every published pack, read in one request.

Document: `{"index_version": 1, "packs": [entry, ...]}`, an entry being the pack's manifest
fields plus `path` (object key), `uri`, `sha256`, `size` and `published` (UTC, ISO 8601).
Writers never lock: they read the index with its version tag, change it, and write it back
only if the tag still matches (Object Storage `if-match` / `if-none-match: *`; a checked
rename under an fcntl lock for folders), retrying from a fresh read when another writer won.
"""

from __future__ import annotations

import json
import posixpath
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import StoreError
from .base import UNREADABLE, IndexChanged, IndexTooLarge, PackStore, key_problem

INDEX_VERSION = 1
WRITE_ATTEMPTS = 20
# Entry fields shown by `list --published` besides the manifest's own.
ENTRY_FIELDS = ("slug", "name", "version", "arch_type", "python", "size_mb", "sha256", "uri")
# Fields read as text; anything else there makes the entry unusable.
TEXT_FIELDS = ("slug", "name", "version", "arch_type", "python", "sha256", "uri", "pack_uri",
               "published")  # fmt: skip
MAX_TEXT_CHARS = 4096
MAX_ENTRY_CHARS = 256 * 1024  # one entry as JSON: a manifest is a few kB
# Bad entries named one by one in the warnings; the rest are counted.
MAX_ENTRY_WARNINGS = 10
SLUG_CHARS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class IndexState:
    """An index as read: its usable entries, what was wrong with the rest, its tag."""

    entries: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tag: str | None = None


def empty_index() -> dict:
    return {"index_version": INDEX_VERSION, "packs": []}


def load_index(store: PackStore, *, replacing: bool = False) -> IndexState:
    """Read and validate the store's index. Bad entries are skipped with a warning each;
    a document that is not an index at all counts as empty, with a warning. An index over
    the size limit is an error, unless `replacing` (a rescan rebuilds it from scratch)."""
    try:
        document, tag = store.read_index()
    except IndexTooLarge as error:
        if not replacing:
            raise
        return IndexState(warnings=[error.message], tag=error.tag)
    state = IndexState(tag=tag)
    if document is None:
        return state
    where = store.object_uri(store.index_key)
    packs = document.get("packs") if isinstance(document, dict) else None
    if not isinstance(packs, list):
        what = "not valid JSON" if document is UNREADABLE else "not an index document"
        state.warnings.append(
            f"{where} is {what}; its entries are ignored "
            "(`list --published --rescan` rebuilds it from the store)"
        )
        return state
    state.entries, state.warnings = validate_entries(packs, store.prefix, where)
    return state


def validate_entries(packs: list, prefix: str, where: str) -> tuple[list[dict], list[str]]:
    """(the usable entries, warnings naming the others)."""
    usable, problems = [], []
    for number, entry in enumerate(packs, 1):
        problem = entry_problem(entry, prefix)
        if problem:
            problems.append(f"entry {number}: {problem}")
        else:
            usable.append(entry)
    warnings = [f"skipped a bad entry of {where}: {p}" for p in problems[:MAX_ENTRY_WARNINGS]]
    if len(problems) > MAX_ENTRY_WARNINGS:
        warnings.append(f"skipped {len(problems) - MAX_ENTRY_WARNINGS} more bad entries")
    if problems:
        warnings.append("`list --published --rescan` rebuilds the index from the store")
    return usable, warnings


def entry_problem(entry: object, prefix: str) -> str | None:
    """Why an index entry cannot be used (without quoting its content), or None."""
    if not isinstance(entry, dict):
        return f"a {type(entry).__name__}, not an object"
    try:
        text = json.dumps(entry)
    except (TypeError, ValueError):
        return "not JSON data"
    if len(text) > MAX_ENTRY_CHARS:
        return f"larger than {MAX_ENTRY_CHARS // 1024} kB"
    path = entry.get("path")
    problem = key_problem(path, prefix)
    if problem:
        return f"its path is unusable ({problem})"
    for name in TEXT_FIELDS:
        value = entry.get(name)
        if value is not None and not isinstance(value, str):
            return f"{name} is not text"
        if value and len(value) > MAX_TEXT_CHARS:
            return f"{name} is longer than {MAX_TEXT_CHARS} characters"
    slug = entry.get("slug")
    if slug is not None and slug != posixpath.basename(path):
        return "its slug is not the last part of its path"
    if not SLUG_CHARS.match(posixpath.basename(path)):
        return "its path does not end in a slug"
    for name in ("size", "size_mb"):
        value = entry.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value < 0
        ):
            return f"{name} is not a number"
    return None


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


def update_index(
    store: PackStore, change: Callable[[list[dict]], list[dict]], *, replacing: bool = False
) -> IndexState:
    """Apply `change` (old entries -> new entries) to the index, retrying on races.

    `change` sees the valid entries only, and only valid entries are written: the bad
    entries of a garbled index are dropped, its good ones kept. Returns the index written,
    with the warnings met on the way."""
    for attempt in range(WRITE_ATTEMPTS):
        state = load_index(store, replacing=replacing)
        new_entries, problems = validate_entries(
            change(state.entries), store.prefix, "the new index"
        )
        new_entries.sort(key=lambda e: (str(e.get("slug")), e["path"]))
        document = {**empty_index(), "packs": new_entries}
        try:
            store.write_index(document, state.tag)
            return IndexState(new_entries, state.warnings + problems, None)
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
