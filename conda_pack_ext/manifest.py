"""The pack folder's layout and ADS's manifest.

Layout (ADS's, plus hidden entries ADS never looks at):
  <pack folder>/<slug>/                     the environment prefix
  <pack folder>/<slug>/<slug>_manifest.yaml  environment file + `manifest:` (also at the
                                             root of the packed tarball)
  <pack folder>/.packs/<slug>.tar.gz         the pack, outside the prefix (see pack.py)
  <pack folder>/.locks/<slug>.lock           one build, pack, install or removal of a
                                             slug at a time
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .envfile import validate_env_data, validate_slug
from .errors import Conflict, InvalidInput, NotFound
from .private_files import open_private
from .progress import Progress
from .safe_yaml import dump_yaml, read_yaml_file

MANIFEST_VERSION = "1.0"
# ADS formats a naive UTC time with this, so `%Z` is empty and two spaces precede "UTC":
# "Mon, Jan 06, 2025, 14:03:09  UTC". We write exactly what ADS writes.
ADS_DATE_FORMAT = "%a, %b %d, %Y, %H:%M:%S %Z UTC"
CREATED_BY = f"conda-pack-ext {__version__}"
# Manifest fields that describe one pack file rather than the environment.
PACK_FIELDS = ("size_mb", "sha256", "size_bytes")
# how often a waiting operation tries the slug's lock again
LOCK_POLL_SECONDS = 0.1


def ads_create_date(when: datetime | None = None) -> str:
    """The current UTC time in ADS's manifest format, byte for byte."""
    when = when or datetime.now(timezone.utc)
    return when.astimezone(timezone.utc).replace(tzinfo=None).strftime(ADS_DATE_FORMAT)


def env_prefix(pack_folder: str | Path, slug: str) -> Path:
    """`<pack folder>/<slug>`, after checking that the slug is a safe folder name."""
    return Path(pack_folder).expanduser().absolute() / validate_slug(slug)


def manifest_path(prefix: str | Path, slug: str | None = None) -> Path:
    """Where the manifest of the env at `prefix` lives: `<prefix>/<slug>_manifest.yaml`."""
    prefix = Path(prefix)
    return prefix / f"{slug or prefix.name}_manifest.yaml"


def find_manifest(prefix: str | Path) -> Path | None:
    """The env's manifest file: `<slug>_manifest.yaml`, else any `*_manifest.yaml` (ADS's
    install accepts any), else None."""
    prefix = Path(prefix)
    preferred = manifest_path(prefix)
    if preferred.is_file():
        return preferred
    found = sorted(prefix.glob("*_manifest.yaml"))
    return found[0] if found else None


def read_manifest(prefix: str | Path) -> dict:
    """The whole manifest document of the env at `prefix`: the environment file's keys
    plus `manifest:` (a dict of ADS's fields and ours), validated as an environment file
    (it may come from a pack, so it is read within bounds). Raises NotFound or
    InvalidInput."""
    path = find_manifest(prefix)
    if path is None:
        raise NotFound(
            f"no *_manifest.yaml in {prefix}",
            "the environment was not made by conda-pack-ext or ADS; create it with "
            "`conda-pack-ext create -f ENV.yaml`",
        )
    try:
        document = read_yaml_file(path, f"manifest {path}")
    except OSError as error:
        raise InvalidInput(f"cannot read manifest {path}: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("manifest"), dict):
        raise InvalidInput(f"manifest {path} has no 'manifest:' section")
    validate_env_data(document, f"manifest {path}")
    return document


def write_manifest(prefix: str | Path, document: dict, slug: str | None = None) -> Path:
    """Write the manifest document atomically, dropping empty fields (as ADS does)."""
    path = manifest_path(prefix, slug)
    document = dict(document)
    document["manifest"] = clean_fields(document.get("manifest") or {})
    write_text_atomically(path, dump_yaml(document))
    return path


def update_manifest(prefix: str | Path, **fields) -> dict:
    """Set fields in the env's `manifest:` section (None removes one); returns the document."""
    path = find_manifest(prefix)
    document = read_manifest(prefix)
    for key, value in fields.items():
        if value is None:
            document["manifest"].pop(key, None)
        else:
            document["manifest"][key] = value
    write_manifest(prefix, document, slug=path.name[: -len("_manifest.yaml")])
    return document


def clean_fields(fields: dict) -> dict:
    """Drop None, empty strings, lists and mappings; keep False and zeros."""
    return {k: v for k, v in fields.items() if v is not None and v != "" and v != [] and v != {}}


def write_text_atomically(path: Path, text: str) -> None:
    """Write beside the target, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as out:
        try:
            out.write(text)
        except BaseException:
            out.close()
            os.unlink(out.name)
            raise
    os.chmod(out.name, 0o644)  # temporary files start private; these are for every reader
    os.replace(out.name, path)


@contextlib.contextmanager
def slug_lock(
    pack_folder: str | Path,
    slug: str,
    action: str = "work on",
    *,
    wait: bool = False,
    progress: Progress | None = None,
) -> Iterator[bool]:
    """Hold `<pack folder>/.locks/<slug>.lock` while building, packing, installing or
    removing one env, so that two operations on one slug never interleave.

    Without `wait`, a second operation fails at once with Conflict. With `wait`, it waits
    for the holder (logging once to `progress` and honouring its cancel). Yields whether it
    had to wait."""
    progress = progress or Progress()
    locks = Path(pack_folder).expanduser().absolute() / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    waited = False
    # never follows a symlink planted at the lock path (it would create a file elsewhere)
    fd = open_private(locks / f"{validate_slug(slug)}.lock")
    with os.fdopen(fd, "rb") as handle:
        while not _try_lock(handle):
            if not wait:
                raise Conflict(
                    f"cannot {action} {slug}: another operation on it is running",
                    "wait for it to finish or cancel it",
                )
            if not waited:
                progress.log(f"waiting for another operation on {slug!r} to finish")
                waited = True
            progress.check_cancelled()
            time.sleep(LOCK_POLL_SECONDS)
        yield waited


def _try_lock(handle) -> bool:
    """Take the exclusive lock on an open file if no one holds it; whether it did."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True
