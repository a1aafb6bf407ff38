"""`create --clone SLUG`: copy an installed env to a new slug, relocated (odsc's `clone`).

conda envs hold their absolute prefix in files, so a copy is relocated: every file that
holds the old prefix gets the new one, as conda's installer does. Files conda-meta records as
binary prefix files get the new prefix NUL-padded in place (so it may not be longer than the
old one); text files are rewritten; other binaries (and compiled .pyc files) are left as they
are. The copy is made and relocated in a hidden folder of the pack folder, its manifest is
written with the new name, version and slug, and it is then renamed into place and its kernel
registered, exactly as an install finishes (install.commit_staged_env); a failure leaves nothing.
conda-pack cannot be used here: an installed env no longer has the package cache it needs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from .cleanup import remove_leftovers
from .envfile import DEFAULT_VERSION, make_slug, validate_slug
from .errors import BuildFailed, Conflict, InvalidInput, NotFound, os_failure
from .install import commit_staged_env
from .manifest import (
    CREATED_BY,
    PACK_FIELDS,
    ads_create_date,
    env_prefix,
    find_manifest,
    read_manifest,
    slug_lock,
    write_manifest,
)
from .progress import Progress
from .settings import Settings

SKIPPED_SUFFIXES = (".pyc",)
MAX_RELOCATED_FILE = 512 << 20


def clone_env(
    settings: Settings,
    source_slug: str,
    *,
    name: str | None = None,
    version: str | None = None,
    overwrite: bool = False,
    no_kernel: bool = False,
    progress: Progress | None = None,
) -> dict:
    """Copy `<pack folder>/<source_slug>` to the slug of `name`/`version`, relocated, with
    its manifest updated; returns {slug, prefix, name, version, kernels, relocated, ...}."""
    progress = progress or Progress()
    started = time.monotonic()
    folder = settings.pack_folder
    source = env_prefix(folder, source_slug)
    if not (source / "conda-meta").is_dir():
        raise NotFound(
            f"no environment {source_slug!r} in {folder}",
            "clone an installed env: see `conda-pack-ext list`",
        )
    document = _source_document(source, source_slug)
    info = document["manifest"]
    name = name or str(info.get("name") or source_slug)
    version = version or str(info.get("version") or DEFAULT_VERSION)
    slug = validate_slug(make_slug(name, version))
    if slug == source_slug:
        raise InvalidInput(
            f"the clone would have the slug {slug!r} of its source",
            "give the clone another name (-n) or version (-v)",
        )
    target = folder / slug
    if target.exists() and not overwrite:
        raise Conflict(f"environment {slug} already exists at {target}", "pass -o/--overwrite")
    remove_leftovers(folder)
    staging = Path(tempfile.mkdtemp(prefix=f".{slug}.installing-{os.getpid()}-", dir=folder))
    progress.temp_path(staging)
    try:
        with slug_lock(folder, source_slug, "clone", wait=True, progress=progress):
            progress.phase("copying")
            shutil.copytree(source, staging, symlinks=True, dirs_exist_ok=True)
        progress.phase("relocating")
        relocated = relocate_copy(staging, str(source), str(target), progress)
        _write_clone_manifest(staging, document, name, version, slug, source_slug)
        progress.phase("installing")
        with slug_lock(folder, slug, wait=True, progress=progress):
            if target.exists() and not overwrite:
                raise Conflict(f"environment {slug} already exists at {target}")
            committed = commit_staged_env(staging, target, no_kernel, document, progress)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise os_failure(error, f"cloning {source} into {target}") from None
        raise
    return {
        "slug": slug,
        "prefix": str(target),
        "manifest": str(target / f"{slug}_manifest.yaml"),
        "name": name,
        "version": version,
        "cloned_from": source_slug,
        "relocated_files": relocated,
        "kernels": committed["kernels"],
        "overwritten": committed["overwritten"],
        "warnings": list(progress.warnings),
        "seconds": round(time.monotonic() - started, 1),
    }


def relocate_copy(root: Path, old: str, new: str, progress: Progress) -> int:
    """Replace the prefix `old` by `new` in the copy at `root`; returns how many files
    changed. Raises BuildFailed when a binary file cannot hold the longer new prefix."""
    binary = _binary_prefix_files(root)
    old_bytes, new_bytes = old.encode(), new.encode()
    changed = 0
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            if path.is_symlink() or name.endswith(SKIPPED_SUFFIXES):
                continue
            relative = path.relative_to(root).as_posix()
            if path.stat().st_size > MAX_RELOCATED_FILE and relative not in binary:
                continue
            progress.check_cancelled()
            data = path.read_bytes()
            if old_bytes not in data:
                continue
            if relative in binary:
                data = _replace_binary(data, old_bytes, new_bytes, relative)
            elif b"\0" in data[:8192]:
                continue  # a binary conda does not relocate either
            else:
                data = data.replace(old_bytes, new_bytes)
            mode = path.stat().st_mode
            path.write_bytes(data)
            path.chmod(mode)
            changed += 1
    return changed


def _replace_binary(data: bytes, old: bytes, new: bytes, relative: str) -> bytes:
    """conda's binary relocation: each C string holding the prefix keeps its length, the
    new prefix padded with NULs."""
    if len(new) > len(old):
        raise BuildFailed(
            f"cannot relocate the binary file {relative}: the new prefix is longer than "
            f"the old one ({len(new)} > {len(old)} bytes)",
            "choose a shorter name or version for the clone",
        )
    pattern = re.compile(re.escape(old) + rb"([^\0]*)\0")

    def padded(match: re.Match) -> bytes:
        text = new + match.group(1)
        return text + b"\0" * (len(match.group(0)) - len(text))

    return pattern.sub(padded, data)


def _binary_prefix_files(root: Path) -> set[str]:
    """Paths that conda-meta records as binary files holding the prefix."""
    paths = set()
    for record_path in (root / "conda-meta").glob("*.json"):
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            entries = record.get("paths_data", {}).get("paths", [])
        except (OSError, ValueError, AttributeError):
            continue
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("file_mode") == "binary":
                paths.add(str(entry.get("_path")))
    return paths


def _source_document(source: Path, slug: str) -> dict:
    if find_manifest(source):
        return read_manifest(source)
    return {"name": slug, "manifest": {"name": slug, "slug": slug}}


def _write_clone_manifest(staging: Path, document, name, version, slug, source_slug) -> None:
    info = document["manifest"]
    for field in (*PACK_FIELDS, "pack_path", "pack_uri"):
        info.pop(field, None)  # they described the source's pack
    info.update(
        name=name,
        version=version,
        slug=slug,
        create_date=ads_create_date(),
        created_by=CREATED_BY,
        cloned_from=source_slug,
    )
    document["name"] = name
    for stray in staging.glob("*_manifest.yaml"):
        stray.unlink()
    write_manifest(staging, document, slug=slug)
