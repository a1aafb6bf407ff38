"""`pack`: turn `<pack folder>/<slug>` into a relocatable tar.gz, as ADS does with conda-pack.

Where packs go and when one is current: pack_files.py.

How it is written. conda-pack's own file enumeration (CondaEnv.from_prefix: which files,
which hold the prefix, the conda-unpack script) and its Packer (pack_stream.py) decide what
goes in; the tar stream is written by our own writer (tar_writer.py: tarfile's members,
written at a fraction of its per-file cost) into a multi-threaded gzip writer (python-isal
for levels 0-3, zlib-ng for 4-9) instead of zlib: the result is a standard gzip stream,
several times faster than ADS's `compress_level=7` for about the same size (bench/pack.py
measures it).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import time
import warnings
from pathlib import Path

from conda_pack import CondaEnv, CondaPackException

from .errors import BuildFailed, Conflict, InvalidInput, NotFound, PackError, os_failure
from .manifest import (
    PACK_FIELDS,
    env_prefix,
    find_manifest,
    read_manifest,
    slug_lock,
    update_manifest,
)
from .pack_files import (  # noqa: F401 - pack_path and find_pack: also known as pack's
    BLOCK_SIZE,
    DEFAULT_COMPRESS_LEVEL,
    find_pack,
    pack_info,
    pack_path,
    record_pack,
)
from .pack_stream import StreamingPacker, file_stats
from .progress import Progress
from .settings import Settings
from .tar_writer import TarWriter

# Progress is reported every this many bytes packed
PROGRESS_STEP = 4 << 20


def pack_env(
    settings: Settings,
    slug: str,
    *,
    compress_level: int = DEFAULT_COMPRESS_LEVEL,
    overwrite: bool = False,
    threads: int = -1,
    progress: Progress | None = None,
    tee=None,
) -> dict:
    """Pack `<pack folder>/<slug>` into `<pack folder>/.packs/<slug>.tar.gz` (with
    `<slug>_manifest.yaml` at its root and bin/conda-unpack), then record sha256 and size in
    the sidecar and in the env's manifest. `tee.write` (publish's upload) gets every byte
    of the pack too, as it is written; an error it raises fails the pack.

    Returns {slug, pack_path, sha256, size, size_mb, prefix, warnings, seconds}. Raises
    NotFound (no env or manifest), Conflict (a current pack exists and not overwrite),
    InvalidInput, BuildFailed or Cancelled; a failed pack leaves no file behind.
    """
    progress = progress or Progress()
    started = time.monotonic()
    level = _check_level(compress_level)
    prefix = env_prefix(settings.pack_folder, slug)
    if not (prefix / "conda-meta").is_dir():
        raise NotFound(
            f"no environment {slug} in {settings.pack_folder}",
            "create it first with `conda-pack-ext create -f ENV.yaml`",
        )
    manifest_file = find_manifest(prefix)
    if manifest_file is None:
        raise NotFound(
            f"environment {slug} has no {slug}_manifest.yaml",
            "create it with conda-pack-ext (or ADS) so that it carries its manifest",
        )
    output = pack_path(settings, slug)
    with slug_lock(settings.pack_folder, slug, "pack"):
        existing = pack_info(settings, slug)
        if existing and existing["current"] and not overwrite:
            raise Conflict(
                f"a pack of {slug} already exists at {output}",
                "pass -o/--overwrite to write it again",
            )
        if existing and not existing["current"]:
            progress.log(f"replacing the stale pack {output} (the env changed since)")
        output.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(output, progress)
        temporary = output.with_name(f".{output.name}.{os.getpid()}.part")
        progress.temp_path(temporary)
        try:
            env = _conda_env(prefix, progress)
            sha256, size = _write_pack(
                env, prefix, manifest_file, temporary, level, threads, progress, tee
            )
            os.replace(temporary, output)
        except BaseException as error:
            temporary.unlink(missing_ok=True)
            raise _pack_failure(error, prefix, output) from None
        record_pack(settings, slug, sha256, size, level)
        _record_description(prefix)
    return {
        "slug": slug,
        "pack_path": str(output),
        "sha256": sha256,
        "size": size,
        "size_mb": round(size / 2**20, 2),
        "prefix": str(prefix),
        "warnings": list(progress.warnings),
        "seconds": round(time.monotonic() - started, 1),
    }


def write_pack_file(
    prefix: Path,
    output: Path,
    *,
    compress_level: int = DEFAULT_COMPRESS_LEVEL,
    threads: int = -1,
    progress: Progress | None = None,
) -> tuple[str, int]:
    """Write the pack of the env at `prefix` into `output`, exactly as pack_env does, but
    without the slug's lock, the sidecar or the manifest update: for a caller that already
    holds the lock (a container build runs this under the host's lock). Returns (sha256,
    size); a failure removes `output` and raises NotFound, BuildFailed or Cancelled."""
    progress = progress or Progress()
    level = _check_level(compress_level)
    prefix, output = Path(prefix), Path(output)
    manifest_file = find_manifest(prefix)
    if manifest_file is None:
        raise NotFound(f"{prefix} has no *_manifest.yaml", "write the manifest before packing")
    try:
        env = _conda_env(prefix, progress)
        return _write_pack(env, prefix, manifest_file, output, level, threads, progress)
    except BaseException as error:
        output.unlink(missing_ok=True)
        raise _pack_failure(error, prefix, output) from None


def _record_description(prefix: Path) -> None:
    """Put the `lock:` and `sbom:` summaries of the pack into the env's manifest."""
    update_manifest(prefix, **_describe(prefix, find_manifest(prefix))[1])


def pack_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """The `pack` operation (CLI and REST): params as in operations.PARAMS["pack"]."""
    if not params.get("slug"):
        raise InvalidInput("no slug given", "pass -s/--slug")
    level = params.get("compress_level")
    return pack_env(
        settings,
        params["slug"],
        compress_level=DEFAULT_COMPRESS_LEVEL if level in (None, "") else level,
        overwrite=bool(params.get("overwrite")),
        progress=progress,
    )


def open_gzip_writer(fileobj, level: int, threads: int = -1):
    """A multi-threaded writer of one standard gzip stream: python-isal for levels 0-3
    (its whole range), zlib-ng for 4-9."""
    if level <= 3:
        from isal import igzip_threaded

        return igzip_threaded.open(
            fileobj, "wb", compresslevel=level, threads=threads, block_size=BLOCK_SIZE
        )
    from zlib_ng import gzip_ng_threaded

    return gzip_ng_threaded.open(
        fileobj, "wb", compresslevel=level, threads=threads, block_size=BLOCK_SIZE
    )


def _conda_env(prefix: Path, progress: Progress) -> CondaEnv:
    """conda-pack's view of the env. Files pip deleted or overwrote do not stop the pack
    (ADS packs with ignore_missing_files too); they are listed as warnings."""
    progress.phase("packing")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            env = CondaEnv.from_prefix(str(prefix))
        except CondaPackException as error:
            text = str(error).strip()
            if "deleted/overwritten" not in text:
                raise BuildFailed(f"conda-pack cannot pack {prefix}: {text}") from None
            progress.warn(text)
            env = CondaEnv.from_prefix(str(prefix), ignore_missing_files=True)
    for warning in caught:
        progress.warn(str(warning.message).strip())
    return env


def _write_pack(
    env, prefix, manifest_file, output, level, threads, progress, tee=None
) -> tuple[str, int]:
    # One lstat per file, for the progress total, the packer and the tar headers alike: on a
    # file-heavy env, per-file system calls are much of the packing time.
    stats = file_stats(env.files)
    progress.phase("packing", total=sum(info.st_size for info in stats.values()), unit="bytes")
    extras, described = _describe(prefix, manifest_file)
    manifest_bytes = _manifest_for_pack(prefix, described)
    with open(output, "wb") as raw:
        hashing = _HashingWriter(raw, tee)
        gzip_writer = open_gzip_writer(hashing, level, threads)
        try:
            with TarWriter(gzip_writer, mtime=time.time(), stats=stats) as archive:
                packer = StreamingPacker(str(prefix), archive, stats)
                unreported = 0  # bytes packed since the last progress report
                for file in env.files:
                    progress.check_cancelled()
                    if file.target in extras:
                        continue  # an older lock or SBOM in the env: this pack's replace it
                    if file.target == manifest_file.name:  # at the prefix's root
                        archive.add_bytes(file.source, manifest_bytes, file.target)
                    else:
                        packer.add(file)
                    info = stats.get(file.source)
                    unreported += info.st_size if info else 0
                    if unreported >= PROGRESS_STEP:  # not per file: a job's report takes a lock
                        progress.advance(unreported)
                        unreported = 0
                progress.advance(unreported)
                for name, data in extras.items():  # file metadata as the manifest's
                    archive.add_bytes(str(manifest_file), data, name)
                packer.finish()
        finally:
            gzip_writer.close()
        raw.flush()
        os.fsync(raw.fileno())
    from .pack_lock import write_beside_pack

    write_beside_pack(output, extras)  # the same lock and SBOM, readable without the pack
    return hashing.sha256.hexdigest(), hashing.size


def _describe(prefix: Path, manifest_file: Path) -> tuple[dict[str, bytes], dict]:
    """The lock and SBOM members of the pack and the manifest fields summarising them."""
    from .pack_lock import describe_prefix

    return describe_prefix(prefix, manifest_file)


def _manifest_for_pack(prefix: Path, described: dict) -> bytes:
    """The manifest as it goes into the tarball, with the `lock:` and `sbom:` summaries and
    without the fields that describe a pack file (size_mb, sha256), which a tarball cannot
    know about itself."""
    import yaml

    document = read_manifest(prefix)
    document["manifest"].update(described)
    for field in PACK_FIELDS:
        document["manifest"].pop(field, None)
    return yaml.safe_dump(document, sort_keys=False).encode("utf-8")


class _HashingWriter:
    """Counts and hashes what goes to the file, so the pack is never read twice, and hands
    it to `tee` too (the gzip writer's output thread calls this)."""

    def __init__(self, raw, tee=None):
        self.raw = raw
        self.tee = tee
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.sha256.update(data)
        self.size += len(data)
        written = self.raw.write(data)
        if self.tee is not None:
            self.tee.write(data)
        return written

    def flush(self) -> None:
        self.raw.flush()


def _pack_failure(error: BaseException, prefix: Path, output: Path) -> BaseException:
    """The error to raise for a failed pack: OSError and conda-pack's errors as PackErrors,
    anything else (Cancelled, KeyboardInterrupt) as it is."""
    if isinstance(error, OSError):
        return _missing_cache_entry(prefix, error) or os_failure(error, f"writing {output}")
    if isinstance(error, CondaPackException):
        return BuildFailed(f"conda-pack failed: {str(error).strip()}")
    return error


def _check_level(level) -> int:
    try:
        level = int(level)
    except (TypeError, ValueError):
        raise InvalidInput(f"compress level must be an integer, got {level!r}") from None
    if not 0 <= level <= 9:
        raise InvalidInput(
            f"compress level {level} is out of range",
            f"use 0-9 (default {DEFAULT_COMPRESS_LEVEL}; 0-3 are the fast levels)",
        )
    return level


def remove_stale_parts(output: Path, progress: Progress) -> None:
    """Remove the partial files `.<slug>.tar.gz.<pid>.part` that a pack killed outright
    (kill -9, a crash) left beside `output`, when their process is gone. Call with the
    slug's lock held: then no live pack of this slug is writing one."""
    for leftover in output.parent.glob(f".{output.name}.*.part"):
        pid = leftover.name[len(output.name) + 2 : -len(".part")]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            leftover.unlink(missing_ok=True)
            progress.log(f"removed {leftover.name}, left by a pack that did not finish")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _missing_cache_entry(prefix: Path, error: OSError) -> PackError | None:
    """conda-pack reads each package's files back from the package cache entry the env was
    linked from (conda-meta's `link.source`). If that entry was cleaned since the env was
    built, say which package it is and what to do, instead of a bare "No such file"."""
    if error.errno != errno.ENOENT or not error.filename:
        return None
    missing = Path(os.fsdecode(error.filename))
    for record in sorted((prefix / "conda-meta").glob("*.json")):
        try:
            info = json.loads(record.read_text(encoding="utf-8"))
            source = Path(info["link"]["source"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if source.is_absolute() and missing.is_relative_to(source):
            return BuildFailed(
                f"the package cache entry of {info.get('name')} {info.get('version')} that "
                f"{prefix.name} was built from is missing or incomplete: {source} "
                f"(conda-pack reads {missing.relative_to(source)} from it)",
                "re-create the environment with `conda-pack-ext create -o -f ENV.yaml` (it "
                "fills the cache again), or restore the package cache (RATTLER_CACHE_DIR, "
                "default ~/.cache/rattler/cache/pkgs); then pack again",
            )
    return None
