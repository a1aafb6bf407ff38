"""Clean-up after jobs: their temporary files, and what a server that died left behind.

A job that was queued or running when its server stopped comes back as `interrupted`: its
reported temporary files are removed, what the core half-did for its slug is undone
(install's staging folders, pack's partial files, a build that died midway), and its
pending Object Storage uploads are aborted (see abort_uploads: network calls).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from ..envfile import validate_slug
from ..errors import PackError
from ..manifest import slug_lock
from ..operations import settings_for
from ..stores.base import is_pending_upload
from .model import JOB_KINDS_WITH_ENV_FILE, Job, interrupted_error

log = logging.getLogger(__name__)

# Temporary names the core gives work in progress, relative to the pack folder.
TEMP_NAME_PATTERNS = (".{slug}.installing-*", ".packs/.{slug}.tar.gz.*.part")


def recover_interrupted(job: Job, ads_config_dir: str | None) -> list[str]:
    """Mark a job the last server left active as interrupted and remove its temporary
    files; returns its pending uploads, to abort later (see abort_upload)."""
    uploads = [p for p in job.temp_paths if is_pending_upload(p)]
    removed = [done for p in job.temp_paths if p not in uploads and (done := clean_up_temp_path(p))]
    removed += remove_core_temp_files(job, ads_config_dir)
    job.state = "interrupted"
    job.finished = job.finished or time.time()
    job.error = interrupted_error()
    message = "the server stopped while this job was active"
    if removed:
        message += f"; removed temporary files: {', '.join(removed)}"
    job.log.append(message)
    job.log_total += 1
    return uploads


def remove_own_temp_files(job: Job) -> None:
    """Remove what the job layer made for a finished job (e.g. an environment file from
    text) and whatever the core reported and left (normally nothing: it cleans up itself)."""
    for path in job.temp_paths:
        if not is_pending_upload(path):  # a finished upload was committed or aborted
            clean_up_temp_path(path)


def remove_core_temp_files(job: Job, ads_config_dir: str | None) -> list[str]:
    """Undo what the core had half-done for the job's slug: install's staging folders
    (`<pack folder>/.<slug>.installing-*`), pack's partial files
    (`<pack folder>/.packs/.<slug>.tar.gz.*.part`), and a build that died midway
    (create's own recovery: partial env removed, previous env put back)."""
    if not job.slug:
        return []
    try:
        folder = settings_for(job.params, ads_config_dir).pack_folder
        validate_slug(job.slug)
    except PackError:
        return []
    removed = []
    try:
        with slug_lock(folder, job.slug, "clean up after"):
            for pattern in TEMP_NAME_PATTERNS:
                for candidate in folder.glob(pattern.format(slug=job.slug)):
                    if remove_path(candidate):
                        removed.append(str(candidate))
            if job.kind in JOB_KINDS_WITH_ENV_FILE:
                from ..create import recover_interrupted_build

                if recover_interrupted_build(folder, job.slug):
                    removed.append(f"the partial build {folder / job.slug}")
    except (PackError, OSError) as error:
        log.warning("conda-pack-ext: cleaning up after job %s: %s", job.id, error)
    return removed


def abort_upload(reference: str, params: dict, ads_config_dir: str | None) -> str:
    """Abort one multipart upload left by a dead job (with the job's store settings);
    returns a line for the job's log."""
    # oci is imported here, on the clean-up thread: it stays out of the server's start-up
    from ..stores.oci_store import OciStore

    object_uri = reference.partition("?")[0]
    try:
        store = OciStore(object_uri, settings_for(params, ads_config_dir))
        if not store.abort_pending_upload(reference):
            return f"the unfinished upload to {object_uri} was already gone"
    except PackError as error:
        log.warning("conda-pack-ext: aborting the upload to %s: %s", object_uri, error)
        return f"could not abort the unfinished upload to {object_uri}: {error.message}"
    return f"aborted the unfinished upload to {object_uri}"


def clean_up_temp_path(path: str | os.PathLike) -> str | None:
    """Remove a reported temporary file or folder; a build marker instead undoes its
    build (partial env removed, previous env put back). Says what it did, if anything."""
    from ..create import build_marker_slug, recover_from_marker

    slug = build_marker_slug(path)
    if slug is None:
        return str(path) if remove_path(path) else None
    try:
        if recover_from_marker(Path(path)):
            return f"the partial build {Path(path).parent / slug}"
    except (PackError, OSError) as error:
        log.warning("conda-pack-ext: undoing the build of %s: %s", path, error)
    return None


def remove_path(path: str | os.PathLike) -> bool:
    """Remove a file or folder if it exists; True if something was removed."""
    path = Path(path)
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            return False
    except OSError:
        log.warning("conda-pack-ext: could not remove %s", path)
        return False
    return True
