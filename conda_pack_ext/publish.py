"""Publish, unpublish, list and resolve packs in the configured store.

The store is `settings.store_uri`: `oci://bucket@namespace/prefix` or a folder. Packs are
laid out and described exactly as ADS does (object name, `manifest` metadata), with our
`sha256` and `size_mb` in the manifest and an index beside them (index.py). Packs that
ADS published have no index entry: a rescan finds them.

A `sha256` in the metadata is trusted only beside `size_bytes` equal to the object's size.
ADS publishes the env's `<slug>_manifest.yaml` as the metadata, replacing only slug,
create_date, size_mb, pack_path and pack_uri: a `sha256` that the file carries (we record
it there at pack and install) then names another tarball. Only our publish writes
`size_bytes`, and never into that file. A pack uploaded while it was packed has its
checksum in an object beside it instead, trusted by the same rule (publish_stream.py).
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .create import create_operation
from .envfile import validate_slug
from .errors import Conflict, InvalidInput, NotFound
from .manifest import PACK_FIELDS, ads_create_date, clean_fields, env_prefix, read_manifest
from .operations import OPERATIONS
from .pack_files import file_sha256, find_pack, pack_info
from .pack_lock import (
    CHECKSUM_SUFFIX,
    companion_paths,
    delete_companions,
    describe_env,
    is_companion_key,
    upload_companions,
)
from .progress import Progress
from .publish_stream import pack_into_store, recorded_checksum, write_checksum
from .settings import Settings
from .stores.base import PackStore, open_store
from .stores.index import load_index, make_entry, remove_paths, update_index, upsert

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class StorePackSource:
    """A published pack as the install pipeline reads it (install.PackSource)."""

    store: PackStore = field(repr=False)
    key: str
    uri: str
    size: int | None
    sha256: str | None
    slug: str | None
    manifest: dict | None = None
    filename: str = ""
    warnings: list[str] = field(default_factory=list)  # met while finding the pack

    def __post_init__(self):
        self.filename = self.filename or f"{posixpath.basename(self.key)}.tar.gz"

    @contextlib.contextmanager
    def open(self):
        stream = self.store.open(self.key, self.size or 0)
        try:
            yield stream
        finally:
            stream.close()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- publish --------------------------------------------------------------------------


def publish_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """Publish the env `slug` (creating it first from `environment_file`, and packing it
    when it has no current pack) to the store, or copy the service pack `from_service`
    as it is; returns `{slug, uri, sha256, size, ...}`."""
    if params.get("from_service"):
        from .service_copy import publish_from_service_operation

        copy = {"slug": params["from_service"], "overwrite": params.get("overwrite")}
        return publish_from_service_operation(copy, settings, progress)
    overwrite = bool(params.get("overwrite"))
    if params.get("environment_file") or params.get("environment"):
        slug = _create_env(params, settings, progress)
    elif params.get("slug"):
        slug = params["slug"]
    else:
        raise InvalidInput("give the slug of an environment (-s) or an environment file (-f)")
    validate_slug(slug)
    prefix = env_prefix(settings.pack_folder, slug)
    if not prefix.is_dir():
        raise NotFound(
            f"no environment {slug!r} in {settings.pack_folder}",
            "create it with `conda-pack-ext create -f ENV.yaml`, or publish with -f ENV.yaml",
        )
    manifest = dict(read_manifest(prefix)["manifest"])
    store = open_store(settings.store_uri, settings)
    key = store.pack_key(_with_identity(manifest, slug), slug)
    # Collisions before the (long) packing: every listing page under the prefix.
    progress.phase("checking the store")
    existing = store.find_slug(slug)
    if existing and not overwrite:
        raise Conflict(
            f"slug {slug!r} is already published: {', '.join(map(store.object_uri, existing))}",
            "pass -o to replace it, or publish under another slug",
        )
    created = ads_create_date()
    stored = None  # the object, when it was uploaded while packing
    found = find_pack(settings, slug)
    if found is None:
        described = describe_env(prefix, slug, str(manifest.get("version") or ""))[1]
        metadata = _published(store, key, slug, {**manifest, **described}, created)
        pack_file, sha256, stored = pack_into_store(
            store, key, metadata, slug, settings, progress, overwrite
        )
    else:
        pack_file, sha256 = _current_pack(found, slug, settings, progress)
    manifest = dict(read_manifest(prefix)["manifest"])  # packing recorded size and sha256
    size = pack_file.stat().st_size
    published = _published(store, key, slug, manifest, created, sha256=sha256, size=size)
    if stored is None:  # a current pack: uploaded as it is, its checksum in the metadata
        progress.check_cancelled()
        store.upload(key, str(pack_file), published, progress, overwrite)
    entry = make_entry(
        published, path=key, uri=store.object_uri(key), sha256=sha256, size=size, published=_now()
    )
    entry["slug"] = slug
    try:
        if stored is not None:
            write_checksum(store, key, sha256, stored)
        else:  # the metadata holds the checksum: none from an earlier publish beside it
            store.delete(key + CHECKSUM_SUFFIX)
        entry.update(upload_companions(store, key, pack_file, slug, progress))
        _warn_all(progress, update_index(store, upsert(entry)).warnings)
    except BaseException:
        delete_companions(store, key)
        store.delete(key)  # nothing half-published: no object without its index entry
        raise
    replaced = [k for k in existing if k != key]
    for stale in replaced:  # -o replaces the slug wherever it was published before
        delete_companions(store, stale)
        store.delete(stale)
    if replaced:
        update_index(store, remove_paths(set(replaced)))
    return {
        "slug": slug,
        "uri": store.object_uri(key),
        "sha256": sha256,
        "size": size,
        "size_mb": published["size_mb"],
        "store": store.uri,
        "path": key,
        "overwritten": bool(existing),
        "manifest": published,
    }


def _published(
    store: PackStore,
    key: str,
    slug: str,
    manifest: dict,
    created: str,
    *,
    sha256: str | None = None,
    size: int | None = None,
) -> dict:
    """The manifest as published (ADS's fields, and ours when the pack is known)."""
    fields = {
        **_with_identity(manifest, slug),
        "type": manifest.get("type") or "published",
        "create_date": created,
        "pack_path": key,
        "pack_uri": store.object_uri(key),
    }
    for name in PACK_FIELDS:  # an earlier pack's, in the env's manifest
        fields.pop(name, None)
    if size is not None:
        fields.update(size_mb=round(size / 2**20, 2), sha256=sha256, size_bytes=size)
    return clean_fields(fields)


def _with_identity(manifest: dict, slug: str) -> dict:
    """The manifest with the fields the object name needs (as ADS fills them)."""
    missing = [name for name in ("name", "version") if not manifest.get(name)]
    if missing:
        raise InvalidInput(
            f"the manifest of {slug!r} has no {' or '.join(missing)}",
            f"add them to {slug}_manifest.yaml or re-create the environment",
        )
    return {**manifest, "slug": slug, "arch_type": manifest.get("arch_type") or "CPU"}


def _create_env(params: dict, settings: Settings, progress: Progress) -> str:
    """publish -f: create the env with the create operation; returns its slug."""
    create = OPERATIONS["create"].by_name
    create_params = {k: v for k, v in params.items() if k in create and v is not None}
    create_params["overwrite"] = bool(params.get("overwrite"))
    result = create_operation(create_params, settings, progress)
    return result["slug"]


def _current_pack(found: Path, slug: str, settings: Settings, progress: Progress) -> tuple:
    """The current pack file and its sha256 (computed again when the recorded one is
    unreadable)."""
    sha256 = (pack_info(settings, slug) or {}).get("sha256")
    if not (isinstance(sha256, str) and SHA256_HEX.match(sha256)):
        progress.warn(f"the recorded sha256 of {found} is unreadable: computing it again")
        progress.phase("checksumming", total=found.stat().st_size, unit="bytes")
        sha256 = file_sha256(found, progress)
    return found, sha256


# ---- unpublish ------------------------------------------------------------------------


def unpublish_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """Remove every published object of `slug` under the prefix, and its index entries."""
    slug = validate_slug(params.get("slug") or "")
    store = open_store(settings.store_uri, settings)
    progress.phase("finding the pack")
    index = load_index(store)
    _warn_all(progress, index.warnings)
    keys = {e["path"] for e in index.entries if _entry_slug(e) == slug}
    keys.update(store.find_slug(slug))
    if not keys:
        raise NotFound(
            f"slug {slug!r} is not published under {store.uri}",
            "see `conda-pack-ext list --published`",
        )
    progress.phase("removing")
    for key in sorted(keys):
        delete_companions(store, key)
        store.delete(key)
    update_index(store, remove_paths(keys))
    return {
        "slug": slug,
        "removed": [store.object_uri(k) for k in sorted(keys)],
        "store": store.uri,
    }


# ---- list, rescan, resolve ------------------------------------------------------------


def _entry_slug(entry: dict) -> str:
    return posixpath.basename(entry["path"])


def _warn_all(progress: Progress, warnings: list[str]) -> None:
    for warning in warnings:
        progress.warn(warning)


def list_published(
    settings: Settings, rescan: bool = False, warnings: list[str] | None = None
) -> list[dict]:
    """The packs published under the store prefix, from the index (one request), or from
    a listing of every object and its metadata when `rescan` (which rewrites the index).
    A prefix without a usable index is rescanned. What was wrong with the index (skipped
    entries) is added to `warnings`."""
    warnings = [] if warnings is None else warnings
    store = open_store(settings.store_uri, settings)
    if not rescan:
        index = load_index(store)
        warnings.extend(index.warnings)
        if index.tag is not None and (index.entries or not index.warnings):
            return index.entries
    return rescan_store(store, int(getattr(settings, "parallelism", 8)), warnings)


def rescan_store(
    store: PackStore, parallelism: int = 8, warnings: list[str] | None = None
) -> list[dict]:
    """List every object under the prefix, read each one's metadata, rewrite the index."""
    warnings = [] if warnings is None else warnings
    started = _now()
    usable = store.usable_keys(warnings)
    present = set(usable)
    with_checksum = {key for key in usable if key.endswith(CHECKSUM_SUFFIX)}
    keys = [key for key in usable if not is_companion_key(key)]

    def scan(key: str) -> tuple:
        info = store.head_or_warn(key, warnings)
        if info is None:
            return None, None
        sha256 = trusted_sha256(info.manifest, info.size)
        if sha256 is None and key + CHECKSUM_SUFFIX in with_checksum:
            sha256 = recorded_checksum(store, info)
        return info, sha256

    with ThreadPoolExecutor(max(1, min(parallelism, 16))) as pool:
        infos = list(pool.map(scan, keys))
    previous = {e["path"]: e for e in load_index(store, replacing=True).entries}
    scanned = {}
    for info, sha256 in infos:
        if info is None:
            continue
        entry = _entry_from_object(store, info, sha256, previous.get(info.key))
        if entry:
            entry.update(companion_paths(info.key, present))
            scanned[entry["path"]] = entry

    def change(old: list[dict]) -> list[dict]:
        # keep what was published while we scanned; everything else is as found
        fresh = [e for e in old if e["path"] not in scanned and str(e.get("published")) > started]
        return [*scanned.values(), *fresh]

    written = update_index(store, change, replacing=True)
    warnings.extend(w for w in written.warnings if w not in warnings)
    return written.entries


def trusted_sha256(manifest: dict | None, size: int | None) -> str | None:
    """The metadata's sha256 if it provably describes this object (see the module's
    docstring), else None."""
    manifest = manifest or {}
    recorded = manifest.get("size_bytes")
    if manifest.get("sha256") and size is not None and str(recorded) == str(size):
        return str(manifest["sha256"])
    return None


def _entry_from_object(
    store: PackStore, info, sha256: str | None, previous: dict | None
) -> dict | None:
    manifest = info.manifest
    slug = posixpath.basename(info.key)
    if manifest is None:
        # a bare object in ADS's layout (<arch>/<name>/<version>/<slug>) is still a pack
        parts = info.key[len(store.prefix) :].strip("/").split("/")
        if len(parts) != 4:
            return None
        manifest = {"name": parts[1], "version": parts[2], "arch_type": parts[0].upper()}
    published = previous.get("published") if previous else None
    entry = make_entry(
        manifest,
        path=info.key,
        uri=store.object_uri(info.key),
        sha256=sha256,
        size=info.size,
        published=published,
    )
    entry["slug"] = slug
    if entry.get("size_mb") is None:
        entry["size_mb"] = round(info.size / 2**20, 2)
    return entry


def _source(store: PackStore, key: str, slug: str | None) -> StorePackSource | None:
    info = store.head(key)
    if info is None:
        return None
    # the metadata's checksum, or for a pack uploaded while packing, the one beside it
    sha256 = trusted_sha256(info.manifest, info.size) or recorded_checksum(store, info)
    return StorePackSource(
        store=store,
        key=key,
        uri=store.object_uri(key),
        size=info.size,
        sha256=sha256,
        slug=slug,
        manifest=info.manifest,
    )


def _first_source(store: PackStore, entries: list[dict], slug: str) -> StorePackSource | None:
    """The source of the first entry of `slug` whose object exists."""
    for entry in entries:
        if _entry_slug(entry) == slug:
            source = _source(store, entry["path"], slug)
            if source:
                return source
    return None


def resolve_slug(slug: str, settings: Settings) -> StorePackSource:
    """The published pack of `slug`: through the index, else through a rescan."""
    validate_slug(slug)
    store = open_store(settings.store_uri, settings)
    index = load_index(store)
    source = _first_source(store, index.entries, slug) or _first_source(
        store, rescan_store(store, int(settings.parallelism)), slug
    )
    if source:
        source.warnings = index.warnings  # what was wrong with the index
        return source
    raise NotFound(
        f"slug {slug!r} is not published under {store.uri}",
        "see `conda-pack-ext list --published`, or check -p / conda_pack_os_prefix",
    )


def source_for_uri(uri: str, settings: Settings) -> StorePackSource:
    """A source for `oci://bucket@namespace/path/to/object`."""
    if not uri.startswith("oci://"):
        raise InvalidInput(f"unsupported pack URI {uri!r}", "use oci://bucket@namespace/path")
    # oci is imported here, when a pack is read from Object Storage: it stays out of the
    # server's start-up (the env listing imports this module)
    from .stores.oci_store import OciStore, parse_oci_uri

    bucket, namespace, path = parse_oci_uri(uri)
    if not path:
        raise InvalidInput(f"{uri!r} names no object", "use oci://bucket@namespace/path/to/pack")
    store = OciStore(f"oci://{bucket}@{namespace}", settings)
    source = _source(store, path, None)
    if source is None:
        raise NotFound(f"{uri} does not exist", "check the URI (list --published shows them)")
    source.slug = posixpath.basename(path)  # ADS installs a URI under its last component
    return source
