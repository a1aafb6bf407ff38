"""Where packs live and what is known about them, without conda-pack (which pack.py uses to
write them): listing envs and publishing read this, and the server starts without it.

Where the pack goes. `<pack folder>/.packs/<slug>.tar.gz`, outside the prefix (a pack inside
the prefix would be packed into the next pack), and not at `<pack folder>/<slug>.tar.gz`,
where ADS's `install` downloads its tarball and deletes it afterwards. Beside it,
`<slug>.tar.gz.json` records the pack's sha256 and size; the same sha256 and `size_mb` are
written into the env's manifest once the pack is complete. The manifest inside the tarball
cannot hold its own checksum, so it carries neither.

When a pack is current. A pack belongs to one build of its env: it is current when its
sidecar's sha256 equals the `sha256` in the env's manifest and its size matches. Rebuilding
the env writes a fresh manifest without a sha256, so every older pack then counts as stale:
`find_pack` ignores it and `pack` replaces it without needing --overwrite. A current pack is
only replaced with --overwrite.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from .envfile import validate_slug
from .errors import PackError
from .manifest import find_manifest, read_manifest, update_manifest, write_text_atomically
from .progress import Progress
from .settings import Settings

# isal's highest level. On bench/pack.py's 300 MB env (2 CPUs) it packs in about 0.3x ADS's
# time (zlib 7, all CPUs) at 1.11x its size; levels 1-2 are no faster there, since reading
# files and writing the tar stream bound the speed, and give larger packs (1.13-1.15x).
DEFAULT_COMPRESS_LEVEL = 3

PACKS_FOLDER = ".packs"
SIDECAR_SUFFIX = ".json"
BLOCK_SIZE = 1 << 20


def pack_path(settings: Settings, slug: str) -> Path:
    """Where the pack of `slug` lives: `<pack folder>/.packs/<slug>.tar.gz`."""
    return settings.pack_folder / PACKS_FOLDER / f"{validate_slug(slug)}.tar.gz"


def pack_info(settings: Settings, slug: str) -> dict | None:
    """What is known about the pack of `slug`: {path, exists, current, sha256, size, size_mb,
    created} or None when there is no pack file."""
    path = pack_path(settings, slug)
    if not path.is_file():
        return None
    sidecar = read_sidecar(path)
    size = path.stat().st_size
    current = bool(sidecar) and sidecar.get("size") == size
    prefix = settings.pack_folder / slug
    if current and find_manifest(prefix):
        try:
            current = read_manifest(prefix)["manifest"].get("sha256") == sidecar.get("sha256")
        except PackError:
            current = False
    return {
        "path": str(path),
        "exists": True,
        "current": current,
        "sha256": sidecar.get("sha256", ""),
        "size": size,
        "size_mb": round(size / 2**20, 2),
        "created": sidecar.get("created", ""),
    }


def current_pack(settings: Settings, slug: str) -> dict | None:
    """pack_info of the env's pack file when it is current (made from the env as it is
    now), else None."""
    info = pack_info(settings, slug)
    return info if info and info["current"] else None


def find_pack(settings: Settings, slug: str, allow_stale: bool = False) -> Path | None:
    """The current pack of `slug` (a tar.gz path), or None if there is none or it is stale
    (the env was rebuilt after it was packed). With no local env, a pack with an intact
    sidecar counts as current."""
    info = pack_info(settings, slug)
    if info and (info["current"] or allow_stale):
        return Path(info["path"])
    return None


def record_pack(settings: Settings, slug: str, sha256: str, size: int, compress_level: int) -> None:
    """Make the file at pack_path(slug) the env's current pack: write its sidecar and put
    its sha256 and size_mb into the env's manifest. Call with the slug's lock held."""
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    sidecar = {"slug": slug, "sha256": sha256, "size": size, "created": created}
    sidecar["compress_level"] = compress_level
    output = pack_path(settings, slug)
    write_text_atomically(sidecar_path(output), json.dumps(sidecar, indent=2) + "\n")
    update_manifest(settings.pack_folder / slug, size_mb=round(size / 2**20, 2), sha256=sha256)


def file_sha256(path: Path, progress: Progress | None = None) -> str:
    """The sha256 of a file, read in blocks; a cancel through `progress` stops it."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(BLOCK_SIZE):
            if progress is not None:
                progress.check_cancelled()
            digest.update(block)
    return digest.hexdigest()


def read_sidecar(path: Path) -> dict:
    try:
        data = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)
