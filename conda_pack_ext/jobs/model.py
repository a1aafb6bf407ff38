"""A job as users see it (Job) and the Progress that records an operation into it."""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..progress import Progress

if TYPE_CHECKING:
    from .runner import JobManager

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled", "interrupted")
ACTIVE_STATES = frozenset({"queued", "running"})
# The kinds of job that may build an environment (from an environment file).
JOB_KINDS_WITH_ENV_FILE = frozenset({"create", "publish"})
MAX_LINE_CHARS = 4000
# The Job fields the history database keeps.
RECORD_FIELDS = (
    "id", "kind", "params", "slug", "state", "phase", "done", "total", "unit", "log",
    "log_total", "result", "error", "created", "started", "finished", "temp_paths",
)  # fmt: skip


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


def interrupted_error() -> dict:
    """The error of a job that was active when the server stopped."""
    return {
        "code": "interrupted",
        "message": "the server stopped while this job was active",
        "hint": "run it again; its temporary files were removed",
    }
