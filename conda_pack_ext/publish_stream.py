"""Publishing an env that has no current pack: the pack goes to the store while it is
written, and its checksum goes beside it afterwards.

The gzip output of the pack passes through one writer (pack.py's _HashingWriter), which
writes the local pack file as always and hands the same bytes to the store's ObjectWriter:
each part is uploaded as soon as it is complete (stores/oci_upload.py), or written into
the store folder's partial file. So the upload ends shortly after the packing does, and
the local pack, its sidecar and the manifest's sha256 are what `pack` leaves.

Where the checksum goes. Object metadata is given when an upload starts, before any byte
is known, so the manifest metadata of such a pack carries neither sha256 nor size_bytes.
The checksum goes into a small JSON object beside the pack, `<key>.sha256.json`:
`{"sha256", "size_bytes", "etag"}`, written after the pack object is committed. It is
trusted only while it describes the object as it is: the object's size equals size_bytes
and its etag the recorded one, so a pack replaced since (by ADS, say) is not checked
against a stale checksum. Like the lock and SBOM objects (pack_lock.py), ADS never takes
it for a pack (it looks for the object named exactly `<slug>`), and it travels with the
pack for installs by slug, by URI and after a rescan, which the index entry would not
(the index is ours alone and rebuilt from the objects). An update of the object's
metadata (OCI CopyObject) was the other way: it copies the whole object again.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import StoreError
from .manifest import PACK_FIELDS
from .pack_lock import CHECKSUM_SUFFIX
from .progress import Progress
from .settings import Settings
from .stores.base import ObjectInfo, PackStore

# A checksum object is a few dozen bytes; anything much larger is not ours.
CHECKSUM_MAX_BYTES = 4096


def pack_into_store(
    store: PackStore,
    key: str,
    metadata: dict,
    slug: str,
    settings: Settings,
    progress: Progress,
    overwrite: bool,
) -> tuple[Path, str, ObjectInfo]:
    """Pack `slug` and upload the pack under `key` at the same time; returns (the local
    pack file, its sha256, the stored object). Cancel and failure abort the upload and
    leave no partial pack file; a pack that was complete stays (as after `pack`)."""
    # conda_pack (behind pack.py) is imported when packing: it stays out of server start-up
    from .pack import pack_env

    metadata = {k: v for k, v in metadata.items() if k not in PACK_FIELDS}
    writer = store.open_writer(key, metadata, progress, overwrite)
    try:
        packed = pack_env(settings, slug, overwrite=True, progress=progress, tee=writer)
        size = int(packed["size"])
        progress.phase("uploading", total=size, unit="bytes")
        progress.update(writer.uploaded)
        writer.on_uploaded = progress.update
        stored = writer.commit()
    except BaseException:
        writer.abort()
        raise
    if stored.size != size:  # the store must hold exactly the bytes that were hashed
        store.delete(key)
        raise StoreError(
            f"{store.object_uri(key)} holds {stored.size} bytes, the pack {size}",
            "publish again",
        )
    progress.log(f"packed and uploaded {size / 2**20:.1f} MB")
    return Path(packed["pack_path"]), packed["sha256"], stored


def write_checksum(store: PackStore, key: str, sha256: str, stored: ObjectInfo) -> None:
    """Put the checksum object beside the pack `key` (see the module's docstring)."""
    document = {"sha256": sha256, "size_bytes": stored.size, "etag": stored.etag}
    store.put_bytes(key + CHECKSUM_SUFFIX, json.dumps(document).encode())


def recorded_checksum(store: PackStore, info: ObjectInfo) -> str | None:
    """The sha256 of the checksum object beside `info`'s pack when it describes the pack
    as it is now (same size, same etag), else None. Hostile input: a missing, oversized,
    unreadable or stale document is no checksum; a malformed sha256 in a document that
    describes the pack is returned as it is, for install to warn about (as for metadata)."""
    data = store.read_small(info.key + CHECKSUM_SUFFIX, CHECKSUM_MAX_BYTES)
    try:
        document = json.loads(data) if data else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    sha256, size, etag = (document.get(name) for name in ("sha256", "size_bytes", "etag"))
    if isinstance(size, bool) or size != info.size:
        return None
    if etag and info.etag and etag != info.etag:
        return None
    return str(sha256)[:100] if sha256 else None
