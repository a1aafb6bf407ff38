"""The lock and the SBOM that every pack carries, and the small objects beside it.

Inside the tarball, at its root beside the manifest: `<slug>.explicit.txt` (lock.py) and
`<slug>.cdx.json` (sbom.py); the manifest says what they hold (`lock:` and `sbom:` fields).
Beside the pack file: `.packs/<slug>.explicit.txt` and `.packs/<slug>.cdx.json`. Beside a
published pack object `<...>/<slug>`: `<...>/<slug>.explicit.txt` and `<...>/<slug>.cdx.json`,
and `<...>/<slug>.sha256.json` for a pack uploaded while it was packed (its checksum, known
only after its bytes: publish_stream.py). ADS finds a pack by an object whose last name
component is exactly the slug, so it never mistakes these objects for packs; our rescan
skips them (`is_companion_key`).
"""

from __future__ import annotations

from pathlib import Path

from .contents import prefix_lock
from .lock import LOCK_SUFFIX, render_lock
from .manifest import read_manifest, update_manifest, write_text_atomically
from .sbom import SBOM_SUFFIX, license_summary, sbom_text

COMPANION_SUFFIXES = (LOCK_SUFFIX, SBOM_SUFFIX)
CHECKSUM_SUFFIX = ".sha256.json"
# every object that may sit beside a published pack
OBJECT_SUFFIXES = (*COMPANION_SUFFIXES, CHECKSUM_SUFFIX)


def describe_env(prefix: Path, slug: str, version: str = "") -> tuple[dict[str, bytes], dict]:
    """({member name: bytes}, manifest fields) for the env at `prefix`: the lock and the
    SBOM as they go into its pack, and the `lock_*`, `sbom_file` and `licenses` fields of the manifest."""
    lock = prefix_lock(prefix)
    lock_text = render_lock(lock, slug)
    members = {
        f"{slug}{LOCK_SUFFIX}": lock_text.encode("utf-8"),
        f"{slug}{SBOM_SUFFIX}": sbom_text(lock, slug, version).encode("utf-8"),
    }
    licenses = license_summary(lock)
    fields = {
        **lock.summary(lock_text, file=f"{slug}{LOCK_SUFFIX}"),
        "sbom_file": f"{slug}{SBOM_SUFFIX}",
        # "MIT (12)": a flat list, most common first
        "licenses": [f"{name} ({count})" for name, count in licenses.items()],
    }
    return members, fields


def describe_prefix(prefix: Path, manifest_file: Path) -> tuple[dict[str, bytes], dict]:
    """describe_env() of the env at `prefix`, with the slug and version its manifest gives."""
    info = read_manifest(prefix)["manifest"]
    slug = str(info.get("slug") or manifest_file.name.removesuffix("_manifest.yaml"))
    return describe_env(prefix, slug, str(info.get("version") or ""))


def describe_beside(prefix: Path, manifest_file: Path, pack_file: Path) -> None:
    """For a pack that another tool wrote (conda-pack in a container image without
    conda-pack-ext): the env's lock and SBOM beside it, and their summaries in the env's
    manifest, as for our own packs. Its tarball has neither inside; inspect reads such a
    pack from conda-meta/, and publish uploads the files beside it."""
    members, fields = describe_prefix(prefix, manifest_file)
    write_beside_pack(pack_file, members)
    update_manifest(prefix, **fields)


def write_beside_pack(pack_file: Path, members: dict[str, bytes]) -> list[Path]:
    """Write the lock and SBOM members beside the pack file; returns their paths."""
    written = []
    for name, data in members.items():
        path = pack_file.with_name(name)
        write_text_atomically(path, data.decode("utf-8"))
        written.append(path)
    return written


def companion_files(pack_file: Path, slug: str) -> dict[str, Path]:
    """{suffix: path} of the lock and SBOM files beside a pack that exist."""
    paths = {suffix: pack_file.with_name(f"{slug}{suffix}") for suffix in COMPANION_SUFFIXES}
    return {suffix: path for suffix, path in paths.items() if path.is_file()}


def is_companion_key(key: str) -> bool:
    """Whether a store key is a lock, SBOM or checksum object beside a pack (not a pack)."""
    return key.endswith(OBJECT_SUFFIXES)


# the index fields that name the lock and SBOM objects beside a pack
INDEX_FIELDS = {LOCK_SUFFIX: "lock_path", SBOM_SUFFIX: "sbom_path"}


def upload_companions(store, key: str, pack_file: Path, slug: str, progress) -> dict:
    """Put the lock and SBOM beside the published pack `key`; returns the index fields
    naming them ({"lock_path": ..., "sbom_path": ...}, only those that exist)."""
    fields = {}
    for suffix, path in companion_files(pack_file, slug).items():
        store.upload(key + suffix, str(path), {}, progress, True)
        fields[INDEX_FIELDS[suffix]] = key + suffix
    return fields


def companion_paths(key: str, keys) -> dict:
    """The index fields naming the lock and SBOM objects beside the pack `key` that are
    among the store's `keys` (a rescan finds them as a publish recorded them)."""
    return {field: key + suffix for suffix, field in INDEX_FIELDS.items() if key + suffix in keys}


def delete_companions(store, key: str) -> None:
    """Remove the objects beside the pack `key` (missing ones are fine)."""
    for suffix in OBJECT_SUFFIXES:
        store.delete(key + suffix)
