"""Run a subprocess whose output streams into a Progress and which a cancel stops."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections import deque

from .errors import BuildFailed, Cancelled
from .progress import Progress


def run_process(
    command: list[str],
    progress: Progress,
    *,
    what: str,
    cwd: str | None = None,
    env: dict | None = None,
    on_line=None,
    tail_lines: int = 30,
) -> list[str]:
    """Run `command`, stream each output line to progress.log (or `on_line`), and return
    the last lines. A non-zero exit raises BuildFailed naming `what`, with the log's tail;
    a cancel kills the whole process group and raises Cancelled."""
    progress.check_cancelled()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,  # so a cancel reaches the tool's own children too
    )
    tail: deque[str] = deque(maxlen=tail_lines)
    finished = threading.Event()

    def kill_on_cancel():
        while not finished.is_set():
            if progress.cancel_event.wait(0.2):
                _kill_group(process)
                return

    watcher = threading.Thread(target=kill_on_cancel, daemon=True)
    watcher.start()
    try:
        for raw in process.stdout:
            line = raw.rstrip("\n")
            tail.append(line)
            (on_line or progress.log)(line)
        process.wait()
    except BaseException:
        _kill_group(process)
        raise
    finally:
        finished.set()
        process.stdout.close()
    if progress.cancelled:
        raise Cancelled()
    if process.returncode != 0:
        raise BuildFailed(
            f"{what} failed with exit code {process.returncode}",
            "last lines of its output:\n" + "\n".join(tail),
            exit_status=process.returncode,
        )
    return list(tail)


def _kill_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
