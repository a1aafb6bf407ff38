"""`publish --from-service SLUG`: copy one of Oracle's service packs into the user's store.

ADS's documentation tells users to install a service pack in a notebook session and
publish it again to their own bucket; this copies the pack's bytes as they are (streamed
to a temporary file beside the pack folder, checksummed, never extracted, so the pack's own
manifest is kept), with the index entry's manifest as the object's `manifest` metadata,
and lists it in the store's index like any published pack.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime, timezone

from .errors import Conflict, os_failure
from .manifest import clean_fields
from .progress import Progress
from .service_packs import find_entry, source_for_entry
from .settings import Settings
from .stores.base import open_store
from .stores.index import make_entry, update_index, upsert

COPY_CHUNK = 4 << 20
# index fields that describe Oracle's copy (or are too large for object metadata)
NOT_COPIED = ("par", "path", "pack_path", "pack_uri", "logo_src", "notebooks")


def publish_from_service_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """Copy service pack `slug` into the configured store; returns `{slug, uri, sha256,
    size, source}`."""
    slug = params.get("slug") or ""
    index, row, _ = find_entry(slug, settings)
    source = source_for_entry(row, index, settings)
    store = open_store(settings.store_uri, settings)
    manifest = {k: v for k, v in row.items() if k not in NOT_COPIED}
    manifest.update(slug=slug, arch_type=row.get("arch_type") or "CPU", type="data_science")
    key = store.pack_key(manifest, slug)
    progress.phase("checking the store")
    existing = store.find_slug(slug)
    if existing and not params.get("overwrite"):
        raise Conflict(
            f"slug {slug!r} is already published: {', '.join(map(store.object_uri, existing))}",
            "pass -o to replace it",
        )
    folder = settings.pack_folder
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{slug}.copying-", dir=folder)
    progress.temp_path(temporary)
    try:
        with os.fdopen(handle, "wb") as out:
            sha256, size = _download(source, out, progress)
        manifest = clean_fields(
            {
                **manifest,
                "size_mb": round(size / 2**20, 2),
                "pack_path": key,
                "pack_uri": store.object_uri(key),
                "sha256": sha256,
            }
        )
        progress.check_cancelled()
        store.upload(key, temporary, manifest, progress, bool(existing))
    except OSError as error:
        raise os_failure(error, f"copying {source.uri}") from None
    finally:
        os.unlink(temporary)
    published = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    entry = make_entry(
        manifest, path=key, uri=store.object_uri(key), sha256=sha256, size=size, published=published
    )
    try:
        update_index(store, upsert(entry))
    except BaseException:
        store.delete(key)  # nothing half-published: no object without its index entry
        raise
    return {
        "slug": slug,
        "uri": store.object_uri(key),
        "sha256": sha256,
        "size": size,
        "size_mb": manifest["size_mb"],
        "source": source.uri,
        "store": store.uri,
        "path": key,
    }


def _download(source, out, progress: Progress) -> tuple[str, int]:
    """Stream the source into `out`; (sha256, size)."""
    progress.phase("downloading", total=source.size, unit="bytes")
    digest, size = hashlib.sha256(), 0
    with source.open() as stream:
        while chunk := stream.read(COPY_CHUNK):
            progress.check_cancelled()
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
            progress.advance(len(chunk))
    return digest.hexdigest(), size
