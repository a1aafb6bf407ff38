"""The conda packages of an environment in the pack folder, as its `conda-meta` records them.

conda writes one JSON record per installed package into `<env>/conda-meta/`; that is the
list the explorer's details view shows for an installed pack. The records are untrusted
(a pack can carry anything): each is read up to a size bound, the number of records is
bounded, and a record that is not a package's JSON is skipped rather than failing the list.
"""

from __future__ import annotations

import json
from pathlib import Path

from .envfile import validate_slug
from .errors import NotFound
from .settings import Settings

MAX_RECORDS = 20_000  # large Data Science packs hold about a thousand
MAX_RECORD_BYTES = 16 << 20  # a record lists the package's files: big ones run to a few MB


def env_packages(settings: Settings, slug: str) -> dict:
    """{slug, prefix, packages: [{name, version, build, channel}]} of the env `slug` in the
    pack folder, sorted by name; NotFound when it is not a conda environment there."""
    prefix = settings.pack_folder / validate_slug(slug)
    meta = prefix / "conda-meta"
    if not meta.is_dir():
        raise NotFound(
            f"no environment {slug!r} in {settings.pack_folder}",
            "see the installed environments with `conda-pack-ext list`",
        )
    packages = []
    for path in sorted(meta.glob("*.json"))[:MAX_RECORDS]:
        record = _read_record(path)
        if record:
            packages.append(record)
    packages.sort(key=lambda package: package["name"].lower())
    return {"slug": slug, "prefix": str(prefix), "packages": packages}


def _read_record(path: Path) -> dict | None:
    """A package's name, version, build and channel from its record; None if unreadable."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_RECORD_BYTES:
            return None
        record = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("name"), str):
        return None
    return {
        "name": record["name"],
        "version": str(record.get("version") or ""),
        "build": str(record.get("build") or ""),
        "channel": str(record.get("channel") or ""),
    }
