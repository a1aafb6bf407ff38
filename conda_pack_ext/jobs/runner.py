"""The job runner: operations run in worker threads, their state kept in memory.

The REST API submits work here and reads job state from memory, so no request ever waits
for conda, conda-pack or a store. A JobManager owns:

- worker threads (bounded concurrency) that run operations with a JobProgress (the heavy
  ones in a child process: child.py),
- one job per slug at a time (a second one is refused with Conflict),
- a housekeeping thread that writes changed jobs to the history (history.py) in batches
  and sends throttled live updates through `on_event`,
- recovery at start: jobs that were queued or running when the process stopped come back
  as `interrupted`, and their temporary files are removed (recovery.py).

Nothing here imports jupyter_server: the server part wires `on_event` to its event bus.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path

from ..errors import Cancelled, Conflict, InvalidInput, NotFound, PackError
from ..operations import job_slug, settings_for, validate_params
from ..safe_yaml import shorten
from . import history, recovery
from .child import run_job
from .model import JOB_STATES, Job, JobProgress, interrupted_error

log = logging.getLogger(__name__)


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
        runner: Callable = run_job,
    ):
        if max_concurrent_jobs < 1:
            raise InvalidInput("max_concurrent_jobs must be at least 1")
        self.db_path = Path(db_path) if db_path else history.default_history_path()
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
                    self._finish(job, "interrupted", error=interrupted_error())
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
        recovery.remove_own_temp_files(job)
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
            err = interrupted_error() if state == "interrupted" else error.to_dict()
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

    # ---- housekeeping: events and persistence ---------------------------------------------

    def _housekeeping(self) -> None:
        db = history.connect(self.db_path)
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

    def _load_history(self) -> None:
        """Read past jobs; those active when the last server stopped become interrupted."""

        def recover(job: Job) -> None:
            uploads = recovery.recover_interrupted(job, self.ads_config_dir)
            if uploads:
                self._uploads_to_abort.append((job, uploads))

        for job in history.load_jobs(
            self.db_path, limit=self.history_limit, log_limit=self.log_limit, recover=recover
        ):
            self._jobs[job.id] = job

    def _abort_uploads(self) -> None:
        """Abort the Object Storage multipart uploads of jobs that died mid-upload: an
        upload left pending keeps its parts (and their cost) in the bucket."""
        for job, uploads in self._uploads_to_abort:
            for reference in uploads:
                line = recovery.abort_upload(reference, job.params, self.ads_config_dir)
                with self.lock:
                    job.log.append(line)
                    job.log_total += 1
                self.changed(job, urgent=True)

    def _persist(self, db) -> None:
        with self.lock:
            ids, self._to_persist = self._to_persist, set()
            forget, self._to_forget = self._to_forget, set()
            rows = [history.history_row(j) for i in ids if (j := self._jobs.get(i))]
        history.write_jobs(db, rows, forget)

    def _trim_history(self) -> None:
        finished = sorted((j for j in self._jobs.values() if not j.active), key=lambda j: j.created)
        excess = len(self._jobs) - self.history_limit
        for job in finished[: max(0, excess)]:
            del self._jobs[job.id]
            self._to_forget.add(job.id)


def _jsonable(value):
    return json.loads(json.dumps(value if value is not None else {}, default=str))
