"""One callback interface for progress, logs and cancellation, shared by the CLI and the jobs."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .errors import Cancelled


@dataclass
class Progress:
    """Receives what a long operation reports; subclasses render or store it.

    The base class records the latest state and is safe to use as a silent default.
    `cancel_event` is set by whoever wants the operation to stop; the core calls
    `check_cancelled()` between steps and passes the event to subprocess runners.
    """

    cancel_event: threading.Event = field(default_factory=threading.Event)
    phase_name: str = ""
    done: float = 0
    total: float | None = None
    unit: str = ""
    started: float = field(default_factory=time.monotonic)
    warnings: list[str] = field(default_factory=list)

    def phase(self, name: str, total: float | None = None, unit: str = "") -> None:
        """A new phase starts: solving, downloading, linking, pip, packing, uploading..."""
        self.phase_name, self.done, self.total, self.unit = name, 0, total, unit
        self.on_change()

    def advance(self, amount: float = 1) -> None:
        self.done += amount
        self.on_change()

    def update(self, done: float, total: float | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        self.on_change()

    def log(self, line: str) -> None:
        """A line of log output (the solver's, pip's, a container's)."""

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.log(f"warning: {message}")

    def on_change(self) -> None:
        """Called after every phase or count change."""

    def temp_path(self, path) -> None:
        """The operation made a temporary file or folder; a job runner removes it if the
        process dies before the operation could.

        Also reported this way: create's `<pack folder>/.<slug>.building` marker (the runner
        then undoes that build instead) and an Object Storage multipart upload in progress,
        as `oci://bucket@namespace/object?upload_id=ID` (the runner aborts it)."""

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled()
