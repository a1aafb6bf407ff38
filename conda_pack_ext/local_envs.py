"""The environments in the pack folder, as the CLI's `list --local` and the panel show them,
with their states: built or installed, packed, published, and what `clean` would remove."""

from __future__ import annotations

from . import kernels, notebook_session
from .cleanup import find_leftovers, stale_kernels
from .env_folder import detect_python
from .errors import PackError
from .manifest import read_manifest
from .pack_files import current_pack
from .publish import list_published
from .settings import Settings


def list_local(settings: Settings) -> list[dict]:
    """Installed packs and other envs in the pack folder, with their kernels. Changes
    nothing (`cleanup_report` tells what `conda-pack-ext clean` would remove)."""
    folder = settings.pack_folder
    if not folder.is_dir():
        return []
    by_prefix: dict[str, list[str]] = {}
    for name, info in kernels.our_kernels().items():
        by_prefix.setdefault(info["prefix"], []).append(name)
    entries = []
    for prefix in sorted(folder.iterdir()):
        if prefix.name.startswith(".") or not (prefix / "conda-meta").is_dir():
            continue
        try:
            info = read_manifest(prefix)["manifest"]
        except PackError:
            info = {}
        entries.append(
            {
                "slug": prefix.name,
                "name": info.get("name") or prefix.name,
                "version": str(info.get("version") or ""),
                "python": str(info.get("python") or detect_python(prefix)),
                "arch_type": info.get("arch_type") or "CPU",
                "size_mb": info.get("size_mb"),
                "prefix": str(prefix),
                "kernels": sorted(by_prefix.get(str(prefix), []))
                or notebook_session.kernels_from_session(prefix)
                or [],
                "pack_uri": info.get("pack_uri", ""),
                "managed": bool(info),
            }
        )
    return entries


def cleanup_report(settings: Settings) -> dict:
    """What cleaning the pack folder would remove: {leftovers, stale_kernels}."""
    folder = settings.pack_folder
    return {
        "leftovers": [entry["name"] for entry in find_leftovers(folder)],
        "stale_kernels": stale_kernels(folder),
    }


def envs_with_states(settings: Settings) -> dict:
    """The pack folder's envs with their states: `installed` (from a pack) or `built`
    (created here), `packed` (a current pack file exists), `published` (in the store);
    the store's error instead of `published` states when its index cannot be read; and
    what cleaning the folder would remove. Changes nothing."""
    envs = list_local(settings)
    published, store_error, store_warnings = set(), None, []
    try:
        published = {e.get("slug") for e in list_published(settings, warnings=store_warnings)}
    except PackError as error:
        store_error = error.to_dict()
    for env in envs:
        states = ["installed" if env.get("pack_uri") else "built"]
        env.update(_manifest_details(env["prefix"]))
        env["pack"] = current_pack(settings, env["slug"])
        if env["pack"]:
            states.append("packed")
        if env["slug"] in published:
            states.append("published")
        env["states"] = states
    return {
        "conda_pack_folder": str(settings.pack_folder),
        "store_uri": settings.store_uri,
        "store_error": store_error,
        "store_warnings": store_warnings,
        "envs": envs,
        "cleanup": cleanup_report(settings),
    }


def _manifest_details(prefix: str) -> dict:
    """The manifest fields the panel shows beside those list_local gives (create_date,
    description, licenses); empty for an env without a manifest."""
    try:
        manifest = read_manifest(prefix)["manifest"]
    except PackError:
        return {}
    return {
        key: manifest[key]
        for key in ("create_date", "description", "licenses")
        if manifest.get(key)
    }
