"""Install packs into the pack folder and register their kernels; uninstall; list.

The pipeline (`install_pack`) reads a pack as one stream from a `PackSource` (a local
file here; the stores add Object Storage sources) and never needs to seek or hold it in
memory:

1. stream -> sha256 -> decompress (ISA-L, in a worker thread) -> safe tar extraction into
   `<folder>/.<slug>.installing-XXXX` (same file system as the target);
2. verify the sha256 when one is known (store metadata or `--sha256`);
3. read `<slug>_manifest.yaml` (a pack made by plain conda-pack has none: one is written);
4. relocate (relocate.py): the prefix records conda-pack wrote into `bin/conda-unpack` are
   read as data and applied while the files still sit in the temporary folder, but with the
   FINAL prefix `<folder>/<slug>` as the new prefix. Nothing from the pack is ever run: the
   files are rewritten with the same bytes as `bin/conda-unpack` would write after a move;
5. under the slug's lock: move an existing env aside (`--overwrite`), rename the temporary
   folder to `<folder>/<slug>` (one rename), register kernels, then delete the old env.

Nothing half-installed is ever visible or registered: until step 5 everything sits in a
hidden temporary folder that any failure (bad checksum, truncated stream, hostile member,
unreadable prefix records, full disk, Ctrl-C or cancel) removes; a failure in step 5 puts the
old env back. Kernels are written only once the env is in place.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlparse

from . import kernels, notebook_session, preflight
from .cleanup import remove_leftovers
from .env_folder import check_replaceable, detect_arch, detect_python
from .envfile import DEFAULT_VERSION, make_slug, validate_slug
from .errors import Conflict, InvalidInput, NotFound, os_failure
from .extract import current_umask, extract_stream
from .manifest import MANIFEST_VERSION, find_manifest, read_manifest, slug_lock, write_manifest
from .progress import Progress
from .publish import resolve_slug, source_for_uri
from .relocate import relocate_env
from .settings import Settings

PACK_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class PackSource(Protocol):
    """Where a pack's bytes come from. `open()` yields a binary stream read once, front to
    back; `size` and `sha256` are None when unknown; `slug` when the source knows it."""

    uri: str
    filename: str
    size: int | None
    sha256: str | None
    slug: str | None

    def open(self) -> contextlib.AbstractContextManager[BinaryIO]: ...


@dataclass
class LocalFileSource:
    """A pack file on a local path (or a `file://` URL)."""

    path: Path
    uri: str = ""
    sha256: str | None = None
    slug: str | None = None
    size: int | None = field(init=False)
    filename: str = field(init=False)

    def __post_init__(self):
        self.path = Path(self.path).expanduser().absolute()
        if not self.path.is_file():
            raise NotFound(f"pack file not found: {self.path}", "check the path given to -u")
        self.uri = self.uri or str(self.path)
        self.size = self.path.stat().st_size
        self.filename = self.path.name

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        with open(self.path, "rb", buffering=0) as stream:
            yield stream


def source_from_uri(uri: str, settings: Settings) -> PackSource:
    """A source for a local path or `file://` URL; other schemes go to the store (publish.py)."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return LocalFileSource(Path(unquote(parsed.path)), uri=uri)
    if parsed.scheme in ("", "local") or len(parsed.scheme) == 1:  # a path (or C:)
        return LocalFileSource(Path(uri))
    return source_for_uri(uri, settings)


def source_for_slug(slug: str, settings: Settings) -> PackSource:
    """The published pack of `slug` in the configured store."""
    validate_slug(slug)
    return resolve_slug(slug, settings)


# ---- operations (the contract in operations.py) ---------------------------------------


def install_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """Install a pack from `conda_uri` or by `slug` from the store."""
    uri, slug = params.get("conda_uri"), params.get("slug")
    if bool(uri) == bool(slug):
        raise InvalidInput("give either a pack URI (-u) or a slug (-s), not both or neither")
    if params.get("service"):
        # service_packs imports oci: kept out of the server's start-up
        from .service_packs import source_for_service_slug

        if not slug:
            raise InvalidInput("--service installs by slug: give -s SLUG")
        source = source_for_service_slug(slug, settings)
    else:
        source = source_from_uri(uri, settings) if uri else source_for_slug(slug, settings)
    for warning in getattr(source, "warnings", ()):  # e.g. bad entries of the store's index
        progress.warn(warning)
    return install_pack(
        source,
        settings,
        overwrite=bool(params.get("overwrite")),
        no_kernel=bool(params.get("no_kernel")),
        expected_sha256=params.get("sha256"),
        progress=progress,
        force=bool(params.get("force")),
    )


def uninstall_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """Remove an installed env and its kernels."""
    if not params.get("slug"):
        raise InvalidInput("give the slug of the environment to remove (-s)")
    return uninstall_pack(params["slug"], settings, progress)


# ---- install --------------------------------------------------------------------------


def install_pack(
    source: PackSource,
    settings: Settings,
    *,
    overwrite: bool = False,
    no_kernel: bool = False,
    expected_sha256: str | None = None,
    progress: Progress | None = None,
    force: bool = False,
    max_unpacked_bytes: int | None = None,
) -> dict:
    """Install the pack read from `source` as `<pack folder>/<slug>` (refused when it does
    not suit the host, unless `force`: preflight.py); returns
    `{slug, prefix, kernels, name, version, python, pack_uri, sha256, ...}`.

    The pack may unpack to `max_unpacked_bytes` (default: the max_unpacked_size_gb setting,
    else 20 times its compressed size, at least 1 GiB) and never to more than the free space
    of the pack folder."""
    progress = progress or Progress()
    started = time.monotonic()
    # the user's --sha256 decides alone; else the store's metadata, when it is trusted (a
    # malformed one is a warning that the pack goes unverified)
    expected = {_checked_sha256(expected_sha256)} - {None}
    if not expected_sha256:
        expected = {_recorded_sha256(source, progress)} - {None}
    folder = settings.pack_folder
    folder.mkdir(parents=True, exist_ok=True)
    if source.slug:
        _refuse_existing(folder / validate_slug(source.slug), overwrite)
    if max_unpacked_bytes is None and settings.max_unpacked_size_gb:
        max_unpacked_bytes = int(settings.max_unpacked_size_gb * 1e9)
    guess = source.slug or slug_from_filename(source.filename)
    remove_leftovers(folder)
    staging = Path(tempfile.mkdtemp(prefix=f".{guess}.installing-{os.getpid()}-", dir=folder))
    progress.temp_path(staging)
    try:
        staging.chmod(0o777 & ~current_umask())  # mkdtemp's 0700 would become the env's mode
        with source.open() as stream:
            extracted = extract_stream(
                stream,
                staging,
                progress,
                total_bytes=source.size,
                max_unpacked_bytes=max_unpacked_bytes,
            )
        mismatched = sorted(expected - {extracted.sha256})
        if mismatched:
            raise InvalidInput(
                f"checksum mismatch for {source.uri}: expected sha256 {mismatched[0]}, "
                f"got {extracted.sha256}",
                "the pack was changed or damaged: download it again or check --sha256",
            )
        document, slug = _pack_manifest(staging, source, progress)
        _warn_if_renamed(source, slug, progress)
        prefix = folder / slug
        preflight.check_pack(staging, document["manifest"], progress, force=force)
        progress.phase("relocating")
        relocate_env(staging, prefix, progress)
        _record_install(staging, document, slug, source, extracted)
        progress.phase("installing")
        with slug_lock(folder, slug, wait=True, progress=progress) as waited:
            _refuse_existing(prefix, overwrite, waited)
            replaced = commit_staged_env(staging, prefix, no_kernel, document, progress)
            registered = replaced["kernels"]
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):  # e.g. the disk filled up while relocating
            raise os_failure(error, f"installing {source.uri} into {folder}") from None
        raise
    info = document["manifest"]
    return {
        "slug": slug,
        "prefix": str(prefix),
        "kernels": registered,
        "name": info.get("name", ""),
        "version": info.get("version", ""),
        "python": info.get("python", ""),
        "pack_uri": source.uri,
        "sha256": extracted.sha256,
        "files": extracted.files,
        "unpacked_mb": round(extracted.unpacked_bytes / 1e6, 1),
        "overwritten": replaced["overwritten"],
        "waited": waited,
        "seconds": round(time.monotonic() - started, 2),
        "warnings": list(progress.warnings),
    }


def _checked_sha256(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower()
    if not SHA256_PATTERN.match(value):
        raise InvalidInput(f"bad sha256 {value!r}", "give 64 hexadecimal digits")
    return value


def _recorded_sha256(source: PackSource, progress: Progress) -> str | None:
    """The checksum the store recorded for the pack; a malformed one (the store is not
    trusted) is a warning that the pack goes unverified, not a failure."""
    if not source.sha256:
        return None
    try:
        return _checked_sha256(source.sha256 if isinstance(source.sha256, str) else "?")
    except InvalidInput:
        progress.warn(f"the sha256 recorded for {source.uri} is malformed: the pack is unverified")
        return None


def _refuse_existing(prefix: Path, overwrite: bool, waited: bool = False) -> None:
    if overwrite:
        check_replaceable(prefix)
    elif prefix.exists() or prefix.is_symlink():
        after = " (another install of it finished while this one waited)" if waited else ""
        raise Conflict(
            f"environment {prefix.name!r} is already installed at {prefix}{after}",
            "use --overwrite to replace it, or uninstall it first",
        )


def _warn_if_renamed(source: PackSource, slug: str, progress: Progress) -> None:
    """Say so when the pack installs under another slug than its name suggests."""
    named = source.slug or slug_from_filename(source.filename)
    if named != slug:
        progress.warn(
            f"the pack {source.filename!r} is named {named!r} but its manifest's slug is "
            f"{slug!r}: it installs as {slug!r}"
        )


def commit_staged_env(
    staging: Path, prefix: Path, no_kernel: bool, document: dict, progress: Progress
) -> dict:
    """Put the staged env in place as `prefix` and register its kernels, or change nothing.

    An existing env is moved aside first and deleted only after success; any failure
    (or Ctrl-C) puts it back. Its kernelspecs keep their paths, so they stay valid."""
    previous = None
    if prefix.exists():
        previous = prefix.with_name(f".{prefix.name}.previous-{os.getpid()}-{time.time_ns()}")
        prefix.rename(previous)
    try:
        staging.rename(prefix)
        try:
            names = [] if no_kernel else notebook_session.kernels_from_session(prefix) or []
            if not no_kernel and not names:  # a notebook session shows its envs itself
                progress.phase("registering kernels")
                names = kernels.register_kernels(
                    prefix, prefix.name, document["manifest"], document, progress
                )
        except BaseException:
            prefix.rename(staging)  # the caller deletes the staging folder
            raise
    except BaseException:
        if previous is not None:
            previous.rename(prefix)
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
    return {"kernels": names, "overwritten": previous is not None}


# ---- manifest -------------------------------------------------------------------------


def slug_from_filename(filename: str) -> str:
    """The slug a pack's file name suggests: `myenv_v1_0.tar.gz` -> `myenv_v1_0`."""
    stem = filename
    for suffix in PACK_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    stem = stem.replace(" ", "")
    stem = re.sub(r"[@#$%^&*/\\]+", "_", stem).lstrip(".")
    return stem or "pack"


def name_version_from_slug(slug: str) -> tuple[str, str]:
    """Undo ADS's slug rule as far as it can be: `myenv_v1_0` -> (`myenv`, `1.0`)."""
    match = re.match(r"^(?P<name>.+?)_v(?P<version>\d+(?:_\d+)*)$", slug)
    if match:
        return match["name"], match["version"].replace("_", ".")
    return slug, DEFAULT_VERSION


def _pack_manifest(staging: Path, source: PackSource, progress: Progress) -> tuple[dict, str]:
    """The pack's manifest document and the slug it installs as. A pack without a
    manifest (plain conda-pack) gets one from its file name."""
    if find_manifest(staging) is not None:
        document = read_manifest(staging)
        info = document["manifest"]
        slug = info.get("slug") or make_slug(
            str(info.get("name") or document.get("name") or ""), str(info.get("version") or "")
        )
        return document, validate_slug(str(slug))
    slug = validate_slug(source.slug or slug_from_filename(source.filename))
    name, version = name_version_from_slug(slug)
    progress.warn(
        f"the pack has no *_manifest.yaml (made by plain conda-pack?): installing it as "
        f"{slug!r} (name {name!r}, version {version!r}) and writing a manifest"
    )
    document = {
        "name": name,
        "manifest": {
            "name": name,
            "version": version,
            "slug": slug,
            "type": "published",
            "arch_type": detect_arch(staging),
            "manifest_version": MANIFEST_VERSION,
        },
    }
    return document, slug


def _record_install(staging: Path, document: dict, slug: str, source: PackSource, extracted):
    """Write the installed manifest as `<slug>_manifest.yaml`, recording where the pack
    came from and its checksum."""
    info = document["manifest"]
    info["slug"] = slug
    info.setdefault("python", detect_python(staging))
    info.setdefault("size_mb", round(extracted.compressed_bytes / 2**20, 2))  # as `pack` does
    info["pack_uri"] = source.uri
    info["sha256"] = extracted.sha256
    info.pop("size_bytes", None)  # only a publish says which object a sha256 is of
    for stray in staging.glob("*_manifest.yaml"):
        if stray.name != f"{slug}_manifest.yaml":
            stray.unlink()
    write_manifest(staging, document, slug=slug)


# ---- uninstall ---------------------------------------------------------------------


def uninstall_pack(slug: str, settings: Settings, progress: Progress | None = None) -> dict:
    """Remove `<pack folder>/<slug>` and its kernels. Kernels go first, so none ever
    points to a missing env."""
    progress = progress or Progress()
    folder = settings.pack_folder
    prefix = folder / validate_slug(slug)
    with slug_lock(folder, slug, wait=True, progress=progress):
        if prefix.exists() and not (prefix / "conda-meta").is_dir():
            raise InvalidInput(
                f"{prefix} is not a conda environment", "nothing was removed; check the slug"
            )
        removed_kernels = kernels.remove_kernels(prefix)
        if not prefix.exists():
            if removed_kernels:
                return {"slug": slug, "prefix": str(prefix), "kernels": removed_kernels}
            raise NotFound(
                f"environment {slug!r} is not installed in {folder}",
                "see `conda-pack-ext list --local`",
            )
        progress.phase("removing")
        trash = folder / f".{slug}.removing-{os.getpid()}-{time.time_ns()}"
        prefix.rename(trash)  # the env disappears at once; deleting it may take a while
        shutil.rmtree(trash, ignore_errors=True)
    progress.log(f"removed {prefix}")
    return {"slug": slug, "prefix": str(prefix), "kernels": removed_kernels}
