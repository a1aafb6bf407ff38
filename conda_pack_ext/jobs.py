"""Background jobs: run operations in worker threads, keep their progress, logs and history.

The REST API submits work here and reads job state from memory, so no request ever waits
for conda, conda-pack or a store. A JobManager owns:

- worker threads (bounded concurrency) that call `run_operation` with a JobProgress,
- one job per slug at a time (a second one is refused with Conflict),
- a housekeeping thread that writes changed jobs to SQLite in batches and sends throttled
  live updates through `on_event`,
- the history: jobs survive a restart; those that were queued or running when the process
  stopped come back as `interrupted`, and their temporary files are removed.

Nothing here imports jupyter_server: the server part wires `on_event` to its event bus.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import sqlite3
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir

from .envfile import validate_slug
from .errors import Cancelled, Conflict, InvalidInput, NotFound, PackError
from .manifest import slug_lock
from .operations import job_slug, run_operation, settings_for, validate_params
from .private_files import create_private
from .progress import Progress
from .safe_yaml import shorten

log = logging.getLogger(__name__)

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled", "interrupted")
ACTIVE_STATES = frozenset({"queued", "running"})
JOB_KINDS_WITH_ENV_FILE = frozenset({"create", "publish"})
# Temporary names the core gives work in progress, relative to the pack folder.
TEMP_NAME_PATTERNS = (".{slug}.installing-*", ".packs/.{slug}.tar.gz.*.part")
# how a multipart upload in progress is reported as a temporary path (Progress.temp_path)
UPLOAD_ID_MARK = "?upload_id="
MAX_LINE_CHARS = 4000
# The history database's one table: a job's record is JSON (Job.to_record()).
HISTORY_TABLE = (
    "CREATE TABLE IF NOT EXISTS jobs"
    " (id TEXT PRIMARY KEY, created REAL NOT NULL, state TEXT NOT NULL, record TEXT)"
)
# The Job fields the history database keeps.
RECORD_FIELDS = (
    "id", "kind", "params", "slug", "state", "phase", "done", "total", "unit", "log",
    "log_total", "result", "error", "created", "started", "finished", "temp_paths",
)  # fmt: skip


def default_history_path() -> Path:
    """Where the job history lives: `<jupyter data dir>/conda_pack_ext/jobs.sqlite`."""
    return Path(jupyter_data_dir()) / "conda_pack_ext" / "jobs.sqlite"


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class Job:
    """One submitted operation and everything a user may want to know about it."""

    id: str
    kind: str
    params: dict
    slug: str | None = None
    state: str = "queued"
    phase: str = ""
    done: float = 0
    total: float | None = None
    unit: str = ""
    rate: float | None = None
    log: deque = field(default_factory=deque)
    log_total: int = 0
    result: dict | None = None
    error: dict | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cancel_requested: bool = False
    # temporary files and folders made for or reported by this job, removed if it dies
    temp_paths: list = field(default_factory=list)
    # what actually runs (resolved paths, a temp environment file): never shown
    run_params: dict = field(default_factory=dict, repr=False)
    progress: Progress | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def log_from(self, offset: int = 0) -> tuple[int, list[str]]:
        """The kept log lines from `offset` on, and the offset of the first one returned."""
        first_kept = self.log_total - len(self.log)
        start = max(int(offset), first_kept)
        lines = list(self.log)[start - first_kept :] if start < self.log_total else []
        return start, lines

    def to_dict(self, log_offset: int | None = 0) -> dict:
        """The job as the REST API shows it; `log_offset=None` leaves the log out."""
        data = {
            "id": self.id,
            "kind": self.kind,
            "params": self.params,
            "slug": self.slug,
            "state": self.state,
            "phase": self.phase,
            "progress": {
                "done": self.done,
                "total": self.total,
                "unit": self.unit,
                "rate": self.rate,
            },
            "log_total": self.log_total,
            "result": self.result,
            "error": self.error,
            "cancel_requested": self.cancel_requested,
            "created": _iso(self.created),
            "started": _iso(self.started),
            "finished": _iso(self.finished),
        }
        if log_offset is not None:
            data["log_offset"], data["log"] = self.log_from(log_offset)
        return data

    def to_record(self) -> dict:
        """What the history database keeps (timestamps as epoch seconds)."""
        record = {name: getattr(self, name) for name in RECORD_FIELDS}
        record["log"] = list(self.log)
        return record

    @classmethod
    def from_record(cls, record: dict, log_limit: int) -> Job:
        known = {k: v for k, v in record.items() if k in cls.__dataclass_fields__}
        known["log"] = deque(record.get("log") or [], maxlen=log_limit)
        return cls(**known)


class JobProgress(Progress):
    """Records what an operation reports into its Job and tells the manager."""

    RATE_WINDOW = 5.0  # seconds of samples behind the rate
    SAMPLE_EVERY = 0.05  # seconds between two samples (advance may be called per block)

    def __init__(self, job: Job, manager: JobManager, **kwargs):
        super().__init__(**kwargs)
        self._job = job
        self._manager = manager
        self._samples: deque[tuple[float, float]] = deque()

    def phase(self, name: str, total: float | None = None, unit: str = "") -> None:
        self._samples.clear()
        super().phase(name, total, unit)
        self.log(f"== {name}")

    def on_change(self) -> None:
        job = self._job
        now = time.monotonic()
        samples = self._samples
        if samples and self.done < samples[-1][1]:
            samples.clear()  # the count went back: a new sub-step
        if not samples or now - samples[-1][0] >= self.SAMPLE_EVERY:
            samples.append((now, self.done))
        while len(samples) > 2 and now - samples[0][0] > self.RATE_WINDOW:
            samples.popleft()
        oldest_time, oldest_done = samples[0]
        rate = (self.done - oldest_done) / (now - oldest_time) if now > oldest_time else None
        with self._manager.lock:
            job.phase, job.done, job.total, job.unit = (
                self.phase_name,
                self.done,
                self.total,
                self.unit,
            )
            job.rate = round(rate, 3) if rate is not None else None
        self._manager.changed(job)

    def log(self, line: str) -> None:
        job = self._job
        with self._manager.lock:
            for part in str(line).splitlines() or [""]:
                job.log.append(part[:MAX_LINE_CHARS])
                job.log_total += 1
        self._manager.changed(job)

    def temp_path(self, path: str | os.PathLike) -> None:
        """The operation made a temporary file or folder: remove it if the server dies."""
        with self._manager.lock:
            self._job.temp_paths.append(str(path))
        self._manager.changed(self._job, urgent=True)


class JobManager:
    """Runs jobs in worker threads and keeps their state, in memory and in SQLite."""

    def __init__(
        self,
        db_path: str | os.PathLike | None = None,
        *,
        max_concurrent_jobs: int = 2,
        ads_config_dir: str | None = None,
        on_event: Callable[[dict], None] | None = None,
        event_interval: float = 0.25,
        persist_interval: float = 1.0,
        log_limit: int = 5000,
        history_limit: int = 500,
        runner: Callable = run_operation,
    ):
        if max_concurrent_jobs < 1:
            raise InvalidInput("max_concurrent_jobs must be at least 1")
        self.db_path = Path(db_path) if db_path else default_history_path()
        self.ads_config_dir = ads_config_dir
        self.on_event = on_event
        self.event_interval = event_interval
        self.persist_interval = persist_interval
        self.log_limit = log_limit
        self.history_limit = history_limit
        self._runner = runner
        self.lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._to_emit: set[str] = set()
        self._to_persist: set[str] = set()
        self._to_forget: set[str] = set()
        self._emitted_log_total: dict[str, int] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._uploads_to_abort: list[tuple[Job, list[str]]] = []
        self._load_history()
        if self._uploads_to_abort:
            # network calls: never on the caller's thread (the server's start)
            threading.Thread(
                target=self._abort_uploads, name="conda-pack-ext-jobs-abort", daemon=True
            ).start()
        self._housekeeper = threading.Thread(
            target=self._housekeeping, name="conda-pack-ext-jobs-housekeeping", daemon=True
        )
        self._housekeeper.start()
        self._workers = [
            threading.Thread(target=self._work, name=f"conda-pack-ext-job-{n}", daemon=True)
            for n in range(max_concurrent_jobs)
        ]
        for worker in self._workers:
            worker.start()

    # ---- public API (called from the event loop; all cheap, in memory) ---------------------

    def submit(
        self, kind: str, params: dict, *, run_params: dict | None = None, temp_paths=()
    ) -> Job:
        """Queue an operation. `params` are shown to users; `run_params` (default: params)
        are what runs. Raises InvalidInput for bad params, Conflict when the slug is busy."""
        run_params = dict(run_params if run_params is not None else params)
        validate_params(kind, run_params)
        settings_for(run_params, self.ads_config_dir)  # bad settings flags fail now, not later
        slug = job_slug(kind, run_params)
        job = Job(
            id=uuid.uuid4().hex,
            kind=kind,
            params=dict(params),
            slug=slug,
            run_params=run_params,
            temp_paths=[str(p) for p in temp_paths],
            log=deque(maxlen=self.log_limit),
        )
        job.progress = JobProgress(job, self)
        with self.lock:
            holder = self._slug_holder(slug)
            if holder:
                raise Conflict(
                    f"another job ({holder.kind}, {holder.state}) is working on {slug!r}",
                    f"wait for job {holder.id} to finish or cancel it",
                )
            self._jobs[job.id] = job
            self._trim_history()
        self._queue.put(job.id)
        self.changed(job, urgent=True)
        return job

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id!r}", "list jobs with GET /conda-pack-ext/jobs")
        return job

    def list(
        self,
        *,
        state: str | None = None,
        kind: str | None = None,
        slug: str | None = None,
        limit: int | None = None,
    ) -> list[Job]:
        """Jobs, newest first, filtered by state, kind and slug."""
        if state and state not in JOB_STATES:
            raise InvalidInput(
                f"unknown state {shorten(state)}", f"use one of: {', '.join(JOB_STATES)}"
            )
        with self.lock:
            jobs = sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)
        jobs = [
            j
            for j in jobs
            if (not state or j.state == state)
            and (not kind or j.kind == kind)
            and (not slug or j.slug == slug)
        ]
        return jobs[:limit] if limit else jobs

    def snapshot(self, job: Job, log_offset: int | None = 0) -> dict:
        with self.lock:
            return json.loads(json.dumps(job.to_dict(log_offset), default=str))

    def cancel(self, job_id: str) -> Job:
        """Cancel a job: a queued one at once, a running one as soon as the core stops."""
        job = self.get(job_id)
        with self.lock:
            if not job.active:
                raise Conflict(f"job {job_id} is already {job.state}", "nothing to cancel")
            job.cancel_requested = True
            job.progress.cancel_event.set()
            if job.state == "queued":
                self._finish(job, "cancelled", error=Cancelled().to_dict())
                return job
        self.changed(job, urgent=True)
        return job

    def running(self) -> list[Job]:
        with self.lock:
            return [j for j in self._jobs.values() if j.active]

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop: cancel active jobs (they end as `interrupted`), flush history, stop threads."""
        if self._stopping.is_set():
            return
        self._stopping.set()  # first, so that a cancelled job ends as interrupted
        active = self.running()
        for job in active:
            job.progress.cancel_event.set()
        for _ in self._workers:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        with self.lock:
            for job in active:
                if job.active:
                    self._finish(job, "interrupted", error=_interrupted_error())
        self._wake.set()
        self._housekeeper.join(max(1.0, deadline - time.monotonic()))

    # ---- change tracking -------------------------------------------------------------------

    def changed(self, job: Job, urgent: bool = False) -> None:
        """Mark a job as changed: it is persisted and its event sent by the housekeeper
        (within event_interval; at once for state changes)."""
        with self.lock:
            self._to_emit.add(job.id)
            self._to_persist.add(job.id)
        if urgent:
            self._wake.set()

    def _slug_holder(self, slug: str | None) -> Job | None:
        if not slug:
            return None
        for job in self._jobs.values():
            if job.slug == slug and job.active:
                return job
        return None

    def _finish(self, job: Job, state: str, *, result=None, error=None) -> None:
        with self.lock:
            if not job.active:
                return  # already ended (e.g. marked interrupted at shutdown)
            job.state = state
            job.result = result
            job.error = error
            job.finished = time.time()
            if state == "succeeded" and job.total:
                job.done = job.total
        self._remove_own_temp_files(job)
        self.changed(job, urgent=True)

    # ---- workers ---------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None or self._stopping.is_set():
                return
            job = self._jobs.get(job_id)
            if job is None or job.state != "queued":
                continue  # cancelled while queued
            self._run(job)

    def _run(self, job: Job) -> None:
        with self.lock:
            if job.state != "queued":
                return
            job.state = "running"
            job.started = time.time()
        self.changed(job, urgent=True)
        try:
            result = self._runner(job.kind, job.run_params, job.progress, self.ads_config_dir)
        except Cancelled as error:
            state = "interrupted" if self._stopping.is_set() else "cancelled"
            err = _interrupted_error() if state == "interrupted" else error.to_dict()
            self._finish(job, state, error=err)
        except PackError as error:
            job.progress.log(f"error: {error.message}")
            self._finish(job, "failed", error=error.to_dict())
        except Exception as error:  # a bug, not the user's fault: keep the server alive
            log.exception("conda-pack-ext job %s (%s) failed", job.id, job.kind)
            job.progress.log(f"error: {type(error).__name__}: {error}")
            self._finish(
                job,
                "failed",
                error={
                    "code": "internal_error",
                    "message": f"{type(error).__name__}: {error}",
                    "hint": "this is a bug: the server log has the details",
                },
            )
        else:
            self._finish(job, "succeeded", result=_jsonable(result))

    def _remove_own_temp_files(self, job: Job) -> None:
        """Remove what the job layer made for the job (e.g. an environment file from text)
        and whatever the core reported and left (normally nothing: it cleans up itself)."""
        for path in job.temp_paths:
            if not is_pending_upload(path):  # a finished upload was committed or aborted
                _clean_up_temp_path(path)

    # ---- housekeeping: events and persistence ---------------------------------------------

    def _housekeeping(self) -> None:
        db = self._connect()
        last_persist = 0.0
        try:
            while True:
                urgent = self._wake.wait(self.event_interval)
                self._wake.clear()
                self._send_events()
                now = time.monotonic()
                if urgent or now - last_persist >= self.persist_interval:
                    self._persist(db)
                    last_persist = now
                if self._stopping.is_set() and not self.running():
                    self._send_events()
                    self._persist(db)
                    return
        except Exception:
            log.exception("conda-pack-ext: job housekeeping stopped")
        finally:
            db.close()

    def _send_events(self) -> None:
        with self.lock:
            ids, self._to_emit = self._to_emit, set()
            events = [self._event(self._jobs[i]) for i in ids if i in self._jobs]
        if not self.on_event:
            return
        for event in events:
            try:
                self.on_event(event)
            except Exception:
                log.exception("conda-pack-ext: sending a job event failed")

    def _event(self, job: Job) -> dict:
        """A live update: the job's state, phase, progress and the log lines not yet sent."""
        since = self._emitted_log_total.get(job.id, 0)
        data = job.to_dict(log_offset=since)
        del data["params"]
        self._emitted_log_total[job.id] = job.log_total
        if not job.active:
            self._emitted_log_total.pop(job.id, None)
        return json.loads(json.dumps(data, default=str))

    # ---- history (SQLite) ------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        # private to the user (job params and logs), from its creation on; SQLite gives its
        # journal the database's mode
        create_private(self.db_path)
        db = sqlite3.connect(self.db_path, timeout=10)
        db.execute(HISTORY_TABLE)
        db.commit()
        return db

    def _load_history(self) -> None:
        """Read past jobs; those that were active when the last server stopped are
        marked interrupted and their temporary files removed."""
        db = self._connect()
        try:
            rows = db.execute(
                "SELECT record FROM jobs ORDER BY created DESC LIMIT ?", (self.history_limit,)
            ).fetchall()
            db.execute(
                "DELETE FROM jobs WHERE id NOT IN"
                " (SELECT id FROM jobs ORDER BY created DESC LIMIT ?)",
                (self.history_limit,),
            )
            for (text,) in rows:
                try:
                    job = Job.from_record(json.loads(text), self.log_limit)
                except (ValueError, TypeError):
                    continue
                if job.active:
                    self._recover_interrupted(job)
                    db.execute(
                        "UPDATE jobs SET state = ?, record = ? WHERE id = ?",
                        (job.state, json.dumps(job.to_record(), default=str), job.id),
                    )
                self._jobs[job.id] = job
            db.commit()
        finally:
            db.close()

    def _recover_interrupted(self, job: Job) -> None:
        uploads = [p for p in job.temp_paths if is_pending_upload(p)]
        removed = [
            done for p in job.temp_paths if p not in uploads and (done := _clean_up_temp_path(p))
        ]
        removed += self._remove_core_temp_files(job)
        if uploads:
            self._uploads_to_abort.append((job, uploads))
        job.state = "interrupted"
        job.finished = job.finished or time.time()
        job.error = _interrupted_error()
        message = "the server stopped while this job was active"
        if removed:
            message += f"; removed temporary files: {', '.join(removed)}"
        job.log.append(message)
        job.log_total += 1

    def _remove_core_temp_files(self, job: Job) -> list[str]:
        """Undo what the core had half-done for the job's slug: install's staging folders
        (`<pack folder>/.<slug>.installing-*`), pack's partial files
        (`<pack folder>/.packs/.<slug>.tar.gz.*.part`), and a build that died midway
        (create's own recovery: partial env removed, previous env put back)."""
        if not job.slug:
            return []
        try:
            folder = settings_for(job.params, self.ads_config_dir).pack_folder
            validate_slug(job.slug)
        except PackError:
            return []
        removed = []
        try:
            with slug_lock(folder, job.slug, "clean up after"):
                for pattern in TEMP_NAME_PATTERNS:
                    for candidate in folder.glob(pattern.format(slug=job.slug)):
                        if _remove_path(candidate):
                            removed.append(str(candidate))
                if job.kind in JOB_KINDS_WITH_ENV_FILE:
                    from .create import recover_interrupted_build

                    if recover_interrupted_build(folder, job.slug):
                        removed.append(f"the partial build {folder / job.slug}")
        except (PackError, OSError) as error:
            log.warning("conda-pack-ext: cleaning up after job %s: %s", job.id, error)
        return removed

    def _abort_uploads(self) -> None:
        """Abort the Object Storage multipart uploads of jobs that died mid-upload: an
        upload left pending keeps its parts (and their cost) in the bucket."""
        for job, uploads in self._uploads_to_abort:
            try:
                settings = settings_for(job.params, self.ads_config_dir)
            except PackError:
                continue
            for reference in uploads:
                line = abort_pending_upload(reference, settings)
                with self.lock:
                    job.log.append(line)
                    job.log_total += 1
                self.changed(job, urgent=True)

    def _persist(self, db: sqlite3.Connection) -> None:
        with self.lock:
            ids, self._to_persist = self._to_persist, set()
            forget, self._to_forget = self._to_forget, set()
            records = [
                (i, j.created, j.state, json.dumps(j.to_record(), default=str))
                for i in ids
                if (j := self._jobs.get(i))
            ]
        if not records and not forget:
            return
        try:
            db.executemany(
                "INSERT OR REPLACE INTO jobs (id, created, state, record) VALUES (?, ?, ?, ?)",
                records,
            )
            db.executemany("DELETE FROM jobs WHERE id = ?", [(i,) for i in forget])
            db.commit()
        except sqlite3.Error:
            log.exception("conda-pack-ext: writing the job history to %s failed", self.db_path)

    def _trim_history(self) -> None:
        finished = sorted((j for j in self._jobs.values() if not j.active), key=lambda j: j.created)
        excess = len(self._jobs) - self.history_limit
        for job in finished[: max(0, excess)]:
            del self._jobs[job.id]
            self._to_forget.add(job.id)


def _interrupted_error() -> dict:
    return {
        "code": "interrupted",
        "message": "the server stopped while this job was active",
        "hint": "run it again; its temporary files were removed",
    }


def is_pending_upload(reference: str) -> bool:
    """Whether a reported temporary path is a multipart upload in progress (see
    Progress.temp_path): `oci://bucket@namespace/object?upload_id=ID`."""
    return str(reference).startswith("oci://") and UPLOAD_ID_MARK in str(reference)


def abort_pending_upload(reference: str, settings) -> str:
    """Abort one multipart upload left by a dead job; returns a line for the job's log."""
    object_uri, _, upload_id = str(reference).rpartition(UPLOAD_ID_MARK)
    try:
        from .stores import oci_auth
        from .stores.oci_store import parse_oci_uri

        bucket, namespace, key = parse_oci_uri(object_uri)
        client = oci_auth.object_storage_client(settings)
        client.abort_multipart_upload(namespace, bucket, key, upload_id)
    except Exception as error:  # noqa: BLE001 - best effort; the log says what happened
        if getattr(error, "status", None) == 404:
            return f"the unfinished upload to {object_uri} was already gone"
        log.warning("conda-pack-ext: aborting the upload to %s: %s", object_uri, error)
        return f"could not abort the unfinished upload to {object_uri}: {error}"
    return f"aborted the unfinished upload to {object_uri}"


def _clean_up_temp_path(path: str | os.PathLike) -> str | None:
    """Remove a reported temporary file or folder; a build marker instead undoes its
    build (partial env removed, previous env put back). Says what it did, if anything."""
    from .create import build_marker_slug, recover_from_marker

    slug = build_marker_slug(path)
    if slug is None:
        return str(path) if _remove_path(path) else None
    try:
        if recover_from_marker(Path(path)):
            return f"the partial build {Path(path).parent / slug}"
    except (PackError, OSError) as error:
        log.warning("conda-pack-ext: undoing the build of %s: %s", path, error)
    return None


def _remove_path(path: str | os.PathLike) -> bool:
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


def _jsonable(value):
    return json.loads(json.dumps(value if value is not None else {}, default=str))
